/**
 * Framework-free state containers with the shapes the React hooks expose. Each store keeps an
 * immutable snapshot (a new object on every change) and notifies subscribers, which is what
 * React's `useSyncExternalStore` and any other view layer need.
 */

export class Store {
  #listeners = new Set();

  constructor(state) {
    this.state = state;
  }

  getSnapshot = () => this.state;

  subscribe = (listener) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  set(patch) {
    this.state = { ...this.state, ...patch };
    for (const listener of [...this.#listeners]) listener(this.state);
  }
}

/** ✓ sent, ✓✓ read; `pending` until the server stored it, `failed` if it refused it. */
export function messageStatus(message) {
  if (message.failed) return "failed";
  if (message.id == null) return "pending";
  if (message.is_read) return "read";
  if (message.delivered_at) return "delivered";
  return "sent";
}

/** Whether `userId`'s `emoji` is among the message's reactions. */
export function hasReacted(message, userId, emoji) {
  return Boolean(message.reactions?.some((r) => r.emoji === emoji && r.user_ids.includes(userId)));
}

/**
 * Chat state: `messages` by conversation id (oldest first), the conversation list (newest
 * activity first), `unreadCounts` by conversation id and `totalUnread`, the `outbox` of sends
 * not yet stored (each with its `receiver_id`), and the people the user `blocks` ([{user, created_at}]).
 *
 * Edits, deletions and reactions arrive once each (the socket drops a `seq` already seen, live or
 * replayed), yet applying one twice changes nothing: a REST reload may already show what an event
 * that follows it says.
 */
export class ChatStore extends Store {
  constructor() {
    super({
      userId: null, status: "idle", conversations: [], messages: {}, hasMore: {},
      unreadCounts: {}, totalUnread: 0, outbox: [], failed: [], blocks: [],
    });
  }

  conversationWith(userId) {
    return this.state.conversations.find((c) => c.other_user.id === userId) ?? null;
  }

  hasBlocked(userId) {
    return this.state.blocks.some((block) => block.user.id === userId);
  }

  /** The pending and failed sends addressed to `userId`, as message-like objects. */
  unsentTo(userId) {
    const unsent = [
      ...this.state.outbox.map((entry) => ({ ...entry, id: null })),
      ...this.state.failed.map((entry) => ({ ...entry, id: null, failed: true })),
    ];
    return unsent.filter((entry) => entry.receiver_id === userId);
  }

  /**
   * The conversation list from REST. A conversation it lacks stays: a live frame brought it after
   * the request left (the answer would otherwise drop a conversation just started).
   */
  setConversations(conversations) {
    const listed = new Set(conversations.map((c) => c.conversation_id));
    const merged = [...conversations, ...this.state.conversations.filter((c) => !listed.has(c.conversation_id))];
    const unreadCounts = Object.fromEntries(merged.map((c) => [c.conversation_id, c.unread_count]));
    const totalUnread = Object.values(unreadCounts).reduce((sum, n) => sum + n, 0);
    this.set({ conversations: sortConversations(merged), unreadCounts, totalUnread });
  }

  /** Merges messages (from REST or frames) into their conversations; duplicates by id collapse. */
  addMessages(conversationId, incoming, { hasMore } = {}) {
    if (conversationId == null) return;
    const byId = new Map((this.state.messages[conversationId] ?? []).map((m) => [m.id, m]));
    for (const message of incoming) byId.set(message.id, { ...byId.get(message.id), ...stripFrame(message) });
    const merged = [...byId.values()].sort((a, b) => a.id - b.id);
    const patch = { messages: { ...this.state.messages, [conversationId]: merged } };
    if (hasMore !== undefined) patch.hasMore = { ...this.state.hasMore, [conversationId]: hasMore };
    this.set(patch);
  }

  /** A live message (received, sent here, or sent from another of the user's devices). */
  applyMessage(frame) {
    this.addMessages(frame.conversation_id, [frame]);
    const mine = frame.sender_id === this.state.userId;
    const otherId = mine ? frame.receiver_id : frame.sender_id;
    const existing = this.state.conversations.find((c) => c.conversation_id === frame.conversation_id);
    const summary = {
      conversation_id: frame.conversation_id,
      other_user: existing?.other_user ?? {
        id: otherId, username: mine ? `user${otherId}` : frame.sender_name,
        full_name: mine ? `User ${otherId}` : frame.sender_name, avatar: mine ? null : frame.sender_avatar, is_online: false,
      },
      last_message: preview(frame),
      last_message_at: frame.timestamp,
      last_message_by_me: mine,
      unread_count: existing?.unread_count ?? 0,
      updated_at: frame.timestamp,
      muted: existing?.muted ?? false,
      muted_until: existing?.muted_until ?? null,
    };
    if (existing && existing.last_message_at > frame.timestamp) return;
    const others = this.state.conversations.filter((c) => c.conversation_id !== frame.conversation_id);
    this.set({ conversations: sortConversations([summary, ...others]) });
  }

  updateMessage(conversationId, messageId, patch) {
    this.changeMessages(conversationId, (m) => (m.id === messageId ? { ...m, ...patch } : m));
  }

  /** Applies `change` to each loaded message of a conversation; returning the same object keeps it. */
  changeMessages(conversationId, change) {
    const list = this.state.messages[conversationId];
    if (!list) return;
    const updated = list.map(change);
    if (updated.every((m, index) => m === list[index])) return;
    this.set({ messages: { ...this.state.messages, [conversationId]: updated } });
  }

  /** The caller read what they received in a conversation, up to message `upToId`. */
  markReceivedRead(conversationId, upToId, readAt = new Date().toISOString()) {
    const me = this.state.userId;
    const read = (m) => m.receiver_id === me && !m.is_read && m.id <= upToId;
    this.changeMessages(conversationId, (m) => (read(m) ? { ...m, is_read: true, read_at: readAt } : m));
  }

  /** `message_edited`: the new text, on the message and on the excerpts of the replies quoting it. */
  applyEdit({ id, conversation_id: conversationId, message: text, edited_at: editedAt }) {
    this.changeMessages(conversationId, (m) => {
      // A deletion is final: a late edit (a reload already showed the deletion) must not bring text back.
      if (m.id === id) return m.deleted_at ? m : { ...m, message: text, edited_at: editedAt };
      if (m.reply_to?.id !== id || m.reply_to.deleted) return m;
      const quoted = excerpt(text);
      return m.reply_to.message === quoted ? m : { ...m, reply_to: { ...m.reply_to, message: quoted } };
    });
    this.previewChanged(conversationId, id);
  }

  /** `message_deleted`: no text, no attachment, and the replies quoting it show it deleted. */
  applyDeletion({ id, conversation_id: conversationId, deleted_at: deletedAt }) {
    const gone = { message: "", attachment: null, attachment_type: null, deleted_at: deletedAt };
    this.changeMessages(conversationId, (m) => {
      if (m.id === id) return m.deleted_at ? m : { ...m, ...gone };
      if (m.reply_to?.id !== id || m.reply_to.deleted) return m;
      return { ...m, reply_to: { ...m.reply_to, message: "", deleted: true } };
    });
    this.previewChanged(conversationId, id);
  }

  /** `reaction`: `user_id`'s `emoji` added to or removed from the message. */
  applyReaction({ message_id: id, conversation_id: conversationId, user_id: userId, emoji, action }) {
    this.changeMessages(conversationId, (m) => {
      if (m.id !== id) return m;
      const reactions = withReaction(m.reactions ?? [], emoji, userId, action);
      return reactions === m.reactions ? m : { ...m, reactions };
    });
  }

  /** The conversation list previews the newest message as it reads now (as the server's list does). */
  previewChanged(conversationId, messageId) {
    const newest = this.state.messages[conversationId]?.at(-1);
    if (newest?.id !== messageId) return;
    this.updateConversation(conversationId, { last_message: preview(newest) });
  }

  updateConversation(conversationId, patch) {
    if (!this.state.conversations.some((c) => c.conversation_id === conversationId)) return;
    const conversations = this.state.conversations.map((c) => (c.conversation_id === conversationId ? { ...c, ...patch } : c));
    this.set({ conversations });
  }

  applyUnreadCount({ conversation_id: conversationId, unread_count: count, total_unread: total }) {
    const conversations = this.state.conversations.map((c) =>
      c.conversation_id === conversationId ? { ...c, unread_count: count } : c,
    );
    this.set({ unreadCounts: { ...this.state.unreadCounts, [conversationId]: count }, totalUnread: total, conversations });
  }

  setOnline(userId, isOnline) {
    if (!this.state.conversations.some((c) => c.other_user.id === userId && c.other_user.is_online !== isOnline)) return;
    const conversations = this.state.conversations.map((c) =>
      c.other_user.id === userId ? { ...c, other_user: { ...c.other_user, is_online: isOnline } } : c,
    );
    this.set({ conversations });
  }
}

/** Who is typing to this user right now: `{[senderId]: {sender_id, sender_name, timestamp}}`. */
export class TypingStore extends Store {
  #timers = new Map();

  /** A stop that never arrives (a lost frame, a dropped socket) still clears after `expiryMs`. */
  constructor({ expiryMs = 7000 } = {}) {
    super({ typingUsers: {} });
    this.expiryMs = expiryMs;
  }

  apply({ sender_id: senderId, sender_name: senderName, is_typing: isTyping, timestamp }) {
    if (!isTyping) return this.clear(senderId);
    clearTimeout(this.#timers.get(senderId));
    this.#timers.set(senderId, setTimeout(() => this.clear(senderId), this.expiryMs));
    this.set({ typingUsers: { ...this.state.typingUsers, [senderId]: { sender_id: senderId, sender_name: senderName, timestamp } } });
  }

  clear(senderId) {
    clearTimeout(this.#timers.get(senderId));
    this.#timers.delete(senderId);
    if (!(senderId in this.state.typingUsers)) return;
    const { [senderId]: _gone, ...rest } = this.state.typingUsers;
    this.set({ typingUsers: rest });
  }

  clearAll() {
    for (const senderId of Object.keys(this.state.typingUsers)) this.clear(Number(senderId));
  }
}

/** Who is online: `onlineUsers` (a Set of user ids, replaced on change) and `lastSeen` by user id. */
export class PresenceStore extends Store {
  constructor() {
    super({ onlineUsers: new Set(), lastSeen: {} });
  }

  setOnline(userId, isOnline, lastSeen) {
    const patch = {};
    if (this.state.onlineUsers.has(userId) !== isOnline) {
      const onlineUsers = new Set(this.state.onlineUsers);
      if (isOnline) onlineUsers.add(userId);
      else onlineUsers.delete(userId);
      patch.onlineUsers = onlineUsers;
    }
    if (lastSeen !== undefined) patch.lastSeen = { ...this.state.lastSeen, [userId]: lastSeen };
    if (Object.keys(patch).length) this.set(patch);
  }

  replace(userIds) {
    this.set({ onlineUsers: new Set(userIds) });
  }
}

/** Whether a notification still asks to be acknowledged (`requires_ack`, not yet `acknowledged_at`). */
export function awaitsAcknowledgement(notification) {
  return Boolean(notification.requires_ack && !notification.acknowledged_at);
}

/**
 * Notifications, newest first, and the server's `unreadCount`. `available` is false when the
 * server has no notification API (the demo hides the bell's list then). `preferences` is the
 * user's `{email_digest, last_digest_at}`, null until loaded.
 *
 * Each notification is listed once, by id: a coalesced one (the same id again, with a higher
 * `count`) replaces its entry and goes to the top; a reminder (a `notification` frame with
 * `reminder: true`) moves its entry to the top marked `reminder: true`; a resolved one leaves the
 * list; an acknowledged one is read, with its `acknowledged_at`.
 */
export class NotificationStore extends Store {
  constructor() {
    super({ notifications: [], unreadCount: 0, available: null, status: "idle", preferences: null });
  }

  setList(notifications) {
    // The server's shape has no reminder mark: a reload keeps the ones shown.
    const reminded = new Set(this.state.notifications.filter((n) => n.reminder).map((n) => n.id));
    const marked = notifications.map((n) => (reminded.has(n.id) && awaitsAcknowledgement(n) ? { ...n, reminder: true } : n));
    this.set({ notifications: marked, available: true });
  }

  /**
   * A notification from a frame. A new one goes on top; one already listed is replaced (on top)
   * by a newer version of it (coalesced, or re-opened), and not by an older one; a `reminder`
   * always re-surfaces it. `unreadCount` grows only by what became unread here: a replayed frame
   * (`counted`) is in the `connection` frame's count already, a reminder is of a notification
   * counted when it came, and so is a coalesced one (`count` above 1: it only coalesces into an
   * unread notification).
   */
  add(notification, { counted = false, reminder = false } = {}) {
    const existing = this.state.notifications.find((n) => n.id === notification.id);
    // A repeat, or a frame older than what is shown, changes nothing.
    if (existing && !reminder && !isNewer(notification, existing)) return;
    // An acknowledgement is final: a frame that crossed it does not undo it.
    const acknowledgedAt = notification.acknowledged_at ?? existing?.acknowledged_at ?? null;
    const entry = acknowledgedAt
      ? { ...notification, acknowledged_at: acknowledgedAt, is_read: true, reminder: false }
      : { ...notification, reminder };
    const becameUnread = !entry.is_read && (existing ? existing.is_read : (entry.count ?? 1) <= 1);
    const unreadCount = this.state.unreadCount + (becameUnread && !counted && !reminder ? 1 : 0);
    const others = this.state.notifications.filter((n) => n.id !== notification.id);
    this.set({ notifications: [entry, ...others], unreadCount });
  }

  markRead(id, readAt) {
    this.set({ notifications: this.state.notifications.map((n) => (n.id === id ? { ...n, is_read: true, read_at: readAt ?? n.read_at } : n)) });
  }

  markAllRead() {
    this.set({ notifications: this.state.notifications.map((n) => ({ ...n, is_read: true })) });
  }

  /** Acknowledged (which reads it too): the first `acknowledged_at` stays, and the reminder mark goes. */
  markAcknowledged(id, acknowledgedAt) {
    const acknowledged = (n) => ({
      ...n, is_read: true, read_at: n.read_at ?? acknowledgedAt, acknowledged_at: n.acknowledged_at ?? acknowledgedAt, reminder: false,
    });
    this.set({ notifications: this.state.notifications.map((n) => (n.id === id ? acknowledged(n) : n)) });
  }

  remove(id) {
    this.set({ notifications: this.state.notifications.filter((n) => n.id !== id) });
  }

  /** Applies a server frame of `/ws/notifications/`. */
  apply(frame) {
    switch (frame.type) {
      case "connection":
        return this.setCount(frame.unread_count);
      case "notification":
        // A replayed one is older than the `connection` frame's count, which includes it already.
        return this.add(frame.notification, { counted: frame.replayed === true, reminder: frame.reminder === true });
      case "notification_read":
        this.markRead(frame.notification_id);
        return this.setCount(frame.unread_count);
      case "all_notifications_read":
        this.markAllRead();
        return this.setCount(frame.unread_count);
      case "unread_count":
        return this.setCount(frame.count);
      case "notification_update":
        return this.applyUpdate(frame);
      default:
    }
  }

  applyUpdate(frame) {
    if (frame.event === "notification_read") this.markRead(frame.notification_id, frame.read_at);
    if (frame.event === "all_read") this.markAllRead();
    if (frame.event === "dismissed") this.remove(frame.notification_id);
    if (frame.event === "all_dismissed") this.set({ notifications: [] });
    // What it was about was dealt with (by anyone): it leaves the list.
    if (frame.event === "resolved") this.remove(frame.notification_id);
    if (frame.event === "acknowledged") this.markAcknowledged(frame.notification_id, frame.acknowledged_at);
    this.setCount(frame.unread_count);
  }

  setCount(count) {
    if (typeof count === "number" && count !== this.state.unreadCount) this.set({ unreadCount: count });
  }
}

/**
 * Whether `a` is a later version of the same notification than `b`: coalescing and re-opening
 * give it a new `created_at` and count it (`count`, 1 when absent).
 */
function isNewer(a, b) {
  const [at, bt] = [Date.parse(a.created_at), Date.parse(b.created_at)];
  if (at !== bt && !Number.isNaN(at) && !Number.isNaN(bt)) return at > bt;
  return (a.count ?? 1) > (b.count ?? 1);
}

function sortConversations(conversations) {
  return [...conversations].sort((a, b) => String(b.last_message_at ?? "").localeCompare(String(a.last_message_at ?? "")));
}

/** What the conversation list shows of a message. */
function preview(message) {
  return message.message || (message.attachment ? "📎 Attachment" : "");
}

/** A reply's excerpt of its original: the first 200 characters (code points, as the server counts). */
function excerpt(text) {
  return Array.from(text).slice(0, 200).join("");
}

/** `reactions` with `userId`'s `emoji` added or removed; the same array when that changes nothing. */
function withReaction(reactions, emoji, userId, action) {
  const entry = reactions.find((r) => r.emoji === emoji);
  const adding = action === "add";
  if ((entry?.user_ids.includes(userId) ?? false) === adding) return reactions;
  if (!entry) return [...reactions, { emoji, user_ids: [userId] }];
  const userIds = adding ? [...entry.user_ids, userId] : entry.user_ids.filter((id) => id !== userId);
  if (!userIds.length) return reactions.filter((r) => r !== entry);
  return reactions.map((r) => (r === entry ? { ...r, user_ids: userIds } : r));
}

/** A frame carries protocol fields (`type`) that are not part of the message. */
function stripFrame({ type: _type, ...message }) {
  return message;
}
