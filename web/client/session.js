/**
 * Sessions wire a socket client, the REST API and the stores together: the one place that
 * decides how each server frame changes the state. The React hooks and the demo page both use
 * them; `sharedChatSession`/`sharedNotificationSession` let several components share one socket.
 */
import { ChatClient } from "./chat.js";
import { toId } from "./ids.js";
import { NotificationClient } from "./notifications.js";
import { ApiError, RestApi } from "./rest.js";
import { ChatStore, hasReacted, NotificationStore, PresenceStore, TypingStore } from "./stores.js";

export class ChatSession {
  constructor({ baseUrl, token, fetch, ...clientOptions }) {
    this.api = new RestApi({ baseUrl, token, fetch });
    this.client = new ChatClient({ baseUrl, token, ...clientOptions });
    this.chat = new ChatStore();
    this.typing = new TypingStore();
    this.presence = new PresenceStore();
    this.loadedWith = new Set();
    // Conversation id -> the newest message id a read was asked up to, until the count reaches zero.
    this.readAsked = new Map();
    this.wire();
  }

  wire() {
    const { client, chat, typing, presence } = this;
    client.on("status", (status) => chat.set({ status }));
    client.on("connected", (frame, { resuming } = {}) => {
      chat.set({ userId: frame.user_id });
      // A resumed stream brings what was missed; otherwise (the first connect) load it. Presence,
      // mutes and blocks are not in the stream: the conversations (with the first two) and the
      // blocks are refreshed either way.
      if (resuming) this.refreshUnstreamed();
      else this.resync();
    });
    client.on("resync_required", () => this.resync());
    client.on("closed", () => typing.clearAll());
    const applyMessage = (frame) => {
      const known = chat.state.conversations.some((c) => c.conversation_id === frame.conversation_id);
      chat.applyMessage(frame);
      // A new conversation: the partner's name, and their presence (visible to contacts only,
      // which they just became), come from the server.
      if (!known) this.refreshConversations().catch(() => {});
    };
    client.on("message", (frame) => {
      typing.clear(frame.sender_id);
      applyMessage(frame);
    });
    client.on("message_sent", applyMessage);
    client.on("outbox", (entries) => chat.set({ outbox: entries.map(unsentView) }));
    client.on("send_failed", ({ entry, error }) => {
      chat.set({ failed: [...chat.state.failed, { ...unsentView(entry), error: error.error, code: error.code }] });
    });
    client.on("delivery_receipt", (frame) => {
      chat.updateMessage(frame.conversation_id, frame.message_id, { delivered_at: frame.delivered_at });
    });
    client.on("read_receipt", (frame) => {
      chat.updateMessage(frame.conversation_id, frame.message_id, { is_read: true, read_at: frame.read_at });
    });
    client.on("unread_count", (frame) => {
      // A count sent before our read arrives after it; only zero proves the read went through.
      if (frame.unread_count === 0) this.readAsked.delete(frame.conversation_id);
      chat.applyUnreadCount(frame);
    });
    client.on("message_edited", (frame) => chat.applyEdit(frame));
    client.on("message_deleted", (frame) => chat.applyDeletion(frame));
    client.on("reaction", (frame) => chat.applyReaction(frame));
    client.on("typing_indicator", (frame) => typing.apply(frame));
    const presenceChanged = (frame) => this.showPresence(frame.user_id, frame.is_online, frame.last_seen);
    client.on("online_status", presenceChanged);
    client.on("online_status_changed", presenceChanged);
  }

  showPresence(userId, isOnline, lastSeen) {
    this.presence.setOnline(userId, isOnline, lastSeen);
    this.chat.setOnline(userId, isOnline);
  }

  start() {
    this.client.connect();
    return this;
  }

  stop() {
    this.client.close();
    this.typing.clearAll();
  }

  /** The state over REST: on the first connect, and when the stream cannot be resumed. */
  async resync() {
    await Promise.allSettled([
      this.refreshUnstreamed(),
      ...[...this.loadedWith].map((userId) => this.loadHistory(userId)),
    ]);
  }

  /** What no event tells of: presence and mutes (in the conversation list), and blocks. */
  refreshUnstreamed() {
    return Promise.allSettled([this.refreshConversations(), this.refreshBlocks()]);
  }

  async refreshConversations() {
    const conversations = await this.api.conversations();
    this.chat.setConversations(conversations);
    this.presence.replace(conversations.filter((c) => c.other_user.is_online).map((c) => c.other_user.id));
    return conversations;
  }

  /** Loads the newest page of history with `userId`; returns the conversation id (null if none yet). */
  async loadHistory(userId, { limit = 50 } = {}) {
    const page = await this.api.history(userId, { limit });
    this.loadedWith.add(userId);
    this.presence.setOnline(page.other_user.id, Boolean(page.other_user.is_online));
    if (page.conversation_id != null) {
      this.chat.addMessages(page.conversation_id, page.messages, { hasMore: page.has_more });
    }
    return page;
  }

  /** Loads the page before the oldest loaded message; returns whether more remain. */
  async loadOlder(userId, conversationId, { limit = 50 } = {}) {
    const oldest = this.chat.state.messages[conversationId]?.[0];
    if (!oldest) return false;
    const page = await this.api.history(userId, { limit, beforeId: oldest.id });
    this.chat.addMessages(conversationId, page.messages, { hasMore: page.has_more });
    return page.has_more;
  }

  /** `options`: `{attachmentId, replyToId}` (a message of the same conversation to answer). */
  sendMessage(receiverId, text, options) {
    return this.client.sendMessage(receiverId, text, options);
  }

  /**
   * Edits, deletions and reactions show once their event returns (to this socket too); a refusal
   * is an `error` event of the client, without `temp_id`.
   */
  editMessage(messageId, text) {
    this.client.editMessage(messageId, text);
  }

  deleteMessage(messageId) {
    this.client.deleteMessage(messageId);
  }

  react(messageId, emoji) {
    this.client.react(messageId, emoji);
  }

  unreact(messageId, emoji) {
    this.client.unreact(messageId, emoji);
  }

  /** Adds the user's `emoji` to a message, or removes it if it is there. */
  toggleReaction(message, emoji) {
    if (hasReacted(message, this.chat.state.userId, emoji)) this.unreact(message.id, emoji);
    else this.react(message.id, emoji);
  }

  /** Mutes a conversation's notifications until `until` (a Date or ISO string), or until unmuted. */
  async mute(conversationId, { until } = {}) {
    const mute = await this.api.mute(conversationId, { until });
    this.chat.updateConversation(mute.conversation_id, { muted: mute.muted, muted_until: mute.muted_until });
    return mute;
  }

  async unmute(conversationId) {
    await this.api.unmute(conversationId);
    this.chat.updateConversation(toId(conversationId), { muted: false, muted_until: null });
  }

  async refreshBlocks() {
    const blocks = await this.api.blocks();
    this.chat.set({ blocks });
    return blocks;
  }

  /** Blocks a user both ways: sends between the two are refused, typing and presence stop. */
  async block(userId) {
    const block = await this.api.block(userId);
    if (!this.chat.hasBlocked(block.user.id)) this.chat.set({ blocks: [...this.chat.state.blocks, block] });
    // No frame tells of a block: the person just stops being a contact, so stop showing them online.
    this.showPresence(block.user.id, false);
    return block;
  }

  async unblock(userId) {
    const id = toId(userId);
    await this.api.unblock(id);
    this.chat.set({ blocks: this.chat.state.blocks.filter((b) => b.user.id !== id) });
    // A contact again: ask for the presence the block hid.
    this.client.requestOnlineStatus(id);
  }

  discardFailed(tempId) {
    this.chat.set({ failed: this.chat.state.failed.filter((entry) => entry.temp_id !== tempId) });
  }

  /**
   * Marks what the user was shown in a conversation read, up to `upToId`: the newest message id on
   * screen (default: the newest message loaded there). A message that arrives after it stays
   * unread until it is shown too. Receipts go to the sender. Cheap to call on every render: it
   * sends only when something up to that id is unread that was not already asked for.
   */
  markConversationRead(conversationId, { upToId } = {}) {
    const loaded = this.chat.state.messages[conversationId] ?? [];
    const newestShown = upToId ?? loaded.at(-1)?.id;
    if (newestShown == null) return false;
    const me = this.chat.state.userId;
    const unreadLoaded = loaded.some((m) => m.receiver_id === me && !m.is_read && m.id <= newestShown);
    const unreadCounted = this.chat.state.unreadCounts[conversationId] > 0
      && (this.readAsked.get(conversationId) ?? 0) < newestShown;
    if (!unreadLoaded && !unreadCounted) return false;
    this.readAsked.set(conversationId, newestShown);
    this.client.markRead({ conversationId, upToId: newestShown });
    this.chat.markReceivedRead(conversationId, newestShown);
    return true;
  }

  typingTo(receiverId) {
    this.client.typing(receiverId);
  }

  stopTypingTo(receiverId) {
    this.client.stopTyping(receiverId);
  }

  /** Uploads a file for a later `sendMessage(..., {attachmentId})`. Throws ApiError (404 if the server has no uploads). */
  uploadAttachment(file, name) {
    return this.api.uploadAttachment(file, name);
  }
}

export class NotificationSession {
  constructor({ baseUrl, token, fetch, ...clientOptions }) {
    this.api = new RestApi({ baseUrl, token, fetch });
    this.client = new NotificationClient({ baseUrl, token, ...clientOptions });
    this.store = new NotificationStore();
    this.client.on("status", (status) => this.store.set({ status }));
    this.client.on("frame", (frame) => this.store.apply(frame));
    this.client.on("resync_required", () => this.refresh().catch((error) => this.store.set({ error: error.message })));
  }

  start() {
    this.client.connect();
    const failed = (error) => this.store.set({ error: error.message });
    this.refresh().catch(failed);
    this.loadPreferences().catch(failed);
    return this;
  }

  stop() {
    this.client.close();
  }

  /** Loads the newest notifications; a server without the notification API leaves `available` false. */
  async refresh() {
    try {
      const page = await this.api.notifications();
      this.store.setList(page.results ?? page);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      this.store.set({ available: false });
      this.client.close();
    }
  }

  markRead(id) {
    this.client.markRead(id);
    this.store.markRead(id);
  }

  markAllRead() {
    this.client.markAllRead();
    this.store.markAllRead();
  }

  dismiss(id) {
    this.client.dismiss(id);
    this.store.remove(id);
  }

  /**
   * Acknowledges a must-acknowledge notification over REST (which reads it too; reminders and
   * escalation stop); shown when the server answered, and on every tab by its `acknowledged`
   * event. Throws ApiError (400 when it does not ask to be acknowledged).
   */
  async acknowledge(id) {
    const notificationId = toId(id);
    const answer = await this.api.acknowledgeNotification(notificationId);
    // Queued (202) when the workers are slow: the event shows it once done.
    if (answer?.acknowledged_at) this.store.markAcknowledged(notificationId, answer.acknowledged_at);
    return answer;
  }

  /** The user's `{email_digest, last_digest_at}` into the store's `preferences` (null if the server has none). */
  async loadPreferences() {
    try {
      const preferences = await this.api.notificationPreferences();
      this.store.set({ preferences });
      return preferences;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
      return null;
    }
  }

  /** Whether missed notifications are emailed (`{emailDigest}`): shown at once, put back if the server refuses. */
  async setPreferences({ emailDigest }) {
    const before = this.store.state.preferences;
    this.store.set({ preferences: { last_digest_at: null, ...before, email_digest: emailDigest } });
    try {
      const preferences = await this.api.setNotificationPreferences({ emailDigest });
      this.store.set({ preferences });
      return preferences;
    } catch (error) {
      this.store.set({ preferences: before });
      throw error;
    }
  }
}

function unsentView(entry) {
  const { temp_id, receiver_id, message, attachment_id, reply_to_id, created_at } = entry;
  return { temp_id, receiver_id, message, attachment_id, reply_to_id, created_at };
}

/**
 * One value per key, shared by every user of it: `acquire(key, create)` makes it (`create()`) for
 * the first user and hands out `{ value, release }`; `stop(value)` runs when the last one releases
 * it, deferred: React mounts effects twice in development, and the second mount reuses the value.
 */
export function sharedByKey(stop) {
  const holders = new Map();
  return function acquire(key, create) {
    let holder = holders.get(key);
    if (!holder) {
      holder = { value: create(), users: 0, stopTimer: null };
      holders.set(key, holder);
    }
    clearTimeout(holder.stopTimer);
    holder.users += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      holder.users -= 1;
      if (holder.users === 0) {
        holder.stopTimer = setTimeout(() => {
          holders.delete(key);
          stop(holder.value);
        }, 0);
      }
    };
    return { value: holder.value, release };
  };
}

/** One session per server and token, shared by every user of it; stopped when the last releases it. */
function sharedRegistry(Session) {
  const acquire = sharedByKey((session) => session.stop());
  return (options) => {
    const { value, release } = acquire(`${options.baseUrl ?? ""}|${options.token}`, () => new Session(options).start());
    return { session: value, release };
  };
}

export const sharedChatSession = sharedRegistry(ChatSession);
export const sharedNotificationSession = sharedRegistry(NotificationSession);
