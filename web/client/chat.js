/**
 * The `/ws/chat/` client (contract §2).
 *
 * - Sends go through an outbox keyed by `temp_id`. An entry leaves it only when its
 *   `message_sent` arrives; after a reconnect, and when no answer came within `resendAfterMs`,
 *   it is sent again with the same `temp_id`, which the server stores once. One send is in flight
 *   at a time, so that messages are stored (and shown to the receiver) in the order they were
 *   written: the server's workers may run two pipelined sends out of order.
 * - Incoming `message` (and `message_sent`) frames are de-duplicated by `id`: a replay after a
 *   reconnect or a frame delivered twice is emitted once.
 * - Typing is debounced: `is_typing:true` once (refreshed while typing goes on, before the server's
 *   5 s expiry), `false` after `typingIdleMs` without input or when the message is sent.
 * - Read and delivery receipts, edits, deletions and reactions are idempotent and are kept until the
 *   socket is open. The last three have no direct reply: their event (`message_edited`,
 *   `message_deleted`, `reaction`) reaches every socket of both people, this one included, and a
 *   refusal is an `error` frame without `temp_id`.
 *
 * - Events of the stream (`seq`) are passed on in order, once, and every reconnect resumes from the
 *   last one (`ReconnectingSocket`).
 *
 * Events: every server frame by its `type` (plus `frame` for all of them), `status`, `connected`
 * (frame, {resuming}), `closed`, `outbox` (the entries waiting for `message_sent`), `send_failed`
 * ({entry, error}).
 */
import { Emitter } from "./emitter.js";
import { newTempId, RecentSet, toId } from "./ids.js";
import { ReconnectingSocket } from "./socket.js";

/** Errors after which the same frame would fail again: the send is given up and reported. */
const PERMANENT_ERRORS = new Set([
  "validation_error", "not_found", "forbidden", "too_large", "conflict", "invalid_frame", "invalid_json", "unknown_type",
]);

export const CHAT_DEFAULTS = Object.freeze({
  resendAfterMs: 10000,
  typingIdleMs: 3000,
  typingRefreshMs: 3000,
});

export class ChatClient extends Emitter {
  constructor({ resendAfterMs, typingIdleMs, typingRefreshMs, ...socketOptions }) {
    super();
    this.options = { ...CHAT_DEFAULTS, ...defined({ resendAfterMs, typingIdleMs, typingRefreshMs }) };
    this.socket = new ReconnectingSocket({ ...socketOptions, path: "/ws/chat/" });
    this.outbox = new Map();
    this.deferred = new Map();
    this.typingTo = new Map();
    this.seen = new RecentSet();
    this.userId = null;
    this.resendTimer = null;
    this.socket.on("frame", (frame) => this.handle(frame));
    this.socket.on("connected", (frame, info) => this.onConnected(frame, info));
    this.socket.on("status", (status) => this.emit("status", status));
    this.socket.on("closed", (event) => this.onClosed(event));
  }

  get status() {
    return this.socket.status;
  }

  get isOpen() {
    return this.socket.isOpen;
  }

  connect() {
    this.socket.connect();
    return this;
  }

  close() {
    clearInterval(this.resendTimer);
    this.resendTimer = null;
    for (const state of this.typingTo.values()) clearTimeout(state.idleTimer);
    this.typingTo.clear();
    this.socket.close();
  }

  // Sending -------------------------------------------------------------------------------

  /**
   * Queues a message and sends it as soon as the socket is open. Returns the outbox entry; its
   * `sent` promise resolves with the `message_sent` frame or rejects with the `error` frame.
   */
  sendMessage(receiverId, text = "", { attachmentId, tempId, replyToId } = {}) {
    const receiver = toId(receiverId);
    this.stopTyping(receiver);
    const frame = { type: "message", receiver_id: receiver, message: text, temp_id: tempId ?? newTempId() };
    if (attachmentId != null) frame.attachment_id = toId(attachmentId);
    if (replyToId != null) frame.reply_to_id = toId(replyToId);
    const entry = {
      temp_id: frame.temp_id, receiver_id: receiver, message: text, attachment_id: frame.attachment_id ?? null,
      reply_to_id: frame.reply_to_id ?? null, created_at: new Date().toISOString(), frame, lastSentAt: 0, attempts: 0,
    };
    entry.sent = new Promise((resolve, reject) => {
      entry.settle = { resolve, reject };
    });
    entry.sent.catch(() => {});
    this.outbox.set(entry.temp_id, entry);
    this.emitOutbox();
    this.flush();
    return entry;
  }

  /** The entries still waiting for their `message_sent`, oldest first. */
  pending() {
    return [...this.outbox.values()];
  }

  /**
   * Sends the oldest entry unless it is already waiting for its answer; an answer overdue by
   * `resendAfterMs` counts as lost, and the server stores each `temp_id` once anyway.
   */
  flush({ force = false } = {}) {
    const head = this.outbox.values().next().value;
    if (!head) return;
    if (!force && head.lastSentAt > Date.now() - this.options.resendAfterMs) return;
    if (this.socket.send(head.frame)) {
      head.lastSentAt = Date.now();
      head.attempts += 1;
    }
  }

  /**
   * Marks received messages read: exactly one of `conversationId`, `senderId`, `messageIds`. With a
   * conversation or a sender, `upToId` is the newest message id the user was shown: a message that
   * arrived after it stays unread. Without it, every unread message there is marked.
   */
  markRead({ conversationId, senderId, messageIds, upToId } = {}) {
    const given = [conversationId, senderId, messageIds].filter((value) => value != null);
    if (given.length !== 1) throw new TypeError("markRead needs exactly one of conversationId, senderId, messageIds");
    if (upToId != null && messageIds != null) throw new TypeError("markRead: upToId goes with conversationId or senderId");
    const watermark = upToId != null ? { up_to_id: toId(upToId) } : {};
    if (conversationId != null) {
      return this.sendOrDefer(`c:${conversationId}`, { type: "read_receipt", conversation_id: toId(conversationId), ...watermark });
    }
    if (senderId != null) return this.sendOrDefer(`s:${senderId}`, { type: "read_receipt", sender_id: toId(senderId), ...watermark });
    const ids = messageIds.map(toId);
    return this.sendOrDefer(`m:${ids.join(",")}`, { type: "read_receipt", message_ids: ids });
  }

  acknowledgeDelivery(messageIds) {
    const ids = messageIds.map(toId);
    return this.sendOrDefer(`d:${ids.join(",")}`, { type: "delivery_receipt", message_ids: ids });
  }

  /** Sends an idempotent frame now, or else on connect: the newest one per `key` (a later edit replaces an earlier). */
  sendOrDefer(key, frame) {
    if (!this.socket.send(frame)) this.deferred.set(key, frame);
  }

  /** Asks for one user's presence; the answer arrives as an `online_status` event. */
  requestOnlineStatus(userId) {
    return this.socket.send({ type: "get_online_status", user_id: toId(userId) });
  }

  // Changing sent messages ----------------------------------------------------------------

  /** Replaces the text of the user's own message (within the server's edit window). */
  editMessage(messageId, text) {
    const id = toId(messageId);
    return this.sendOrDefer(`e:${id}`, { type: "edit_message", message_id: id, message: text });
  }

  /** Deletes the user's own message: both people then see it without text or attachment. */
  deleteMessage(messageId) {
    const id = toId(messageId);
    return this.sendOrDefer(`x:${id}`, { type: "delete_message", message_id: id });
  }

  react(messageId, emoji) {
    return this.sendReaction(messageId, emoji, "add");
  }

  unreact(messageId, emoji) {
    return this.sendReaction(messageId, emoji, "remove");
  }

  sendReaction(messageId, emoji, action) {
    const id = toId(messageId);
    // One key for both actions: a remove given offline after an add leaves only the remove to send.
    return this.sendOrDefer(`r:${id}:${emoji}`, { type: "react", message_id: id, emoji, action });
  }

  // Typing --------------------------------------------------------------------------------

  /** Call on every keystroke in the composer for `receiverId`. */
  typing(receiverId) {
    const receiver = toId(receiverId);
    const state = this.typingTo.get(receiver) ?? { lastSentAt: 0, idleTimer: null };
    this.typingTo.set(receiver, state);
    if (Date.now() - state.lastSentAt >= this.options.typingRefreshMs) {
      if (this.socket.send({ type: "typing", receiver_id: receiver, is_typing: true })) state.lastSentAt = Date.now();
    }
    clearTimeout(state.idleTimer);
    state.idleTimer = setTimeout(() => this.stopTyping(receiver), this.options.typingIdleMs);
  }

  stopTyping(receiverId) {
    const receiver = toId(receiverId);
    const state = this.typingTo.get(receiver);
    if (!state) return;
    clearTimeout(state.idleTimer);
    this.typingTo.delete(receiver);
    if (state.lastSentAt) this.socket.send({ type: "typing", receiver_id: receiver, is_typing: false });
  }

  // Receiving -----------------------------------------------------------------------------

  onConnected(frame, info) {
    this.userId = frame.user_id;
    // Whatever was in flight on the old connection may never have arrived.
    this.flush({ force: true });
    const deferred = [...this.deferred.values()];
    this.deferred.clear();
    for (const kept of deferred) this.socket.send(kept);
    clearInterval(this.resendTimer);
    this.resendTimer = setInterval(() => this.flush(), Math.max(1000, this.options.resendAfterMs / 2));
    this.emit("connected", frame, info);
  }

  onClosed(event) {
    clearInterval(this.resendTimer);
    this.resendTimer = null;
    // The server ends typing when the socket closes; a new socket starts from nothing.
    for (const state of this.typingTo.values()) clearTimeout(state.idleTimer);
    this.typingTo.clear();
    this.emit("closed", event);
  }

  handle(frame) {
    this.emit("frame", frame);
    switch (frame.type) {
      case "connection":
        return;
      case "message":
        // Our own send, replayed by a resume in place of the `message_sent` this socket missed.
        if (frame.sender_id === this.userId && this.outbox.has(frame.temp_id)) return this.onMessageSent(frame);
        if (this.seen.add(frame.id)) this.emit("message", frame);
        return;
      case "message_sent":
        return this.onMessageSent(frame);
      case "error":
        this.onError(frame);
        return this.emit("error", frame);
      default:
        return this.emit(frame.type, frame);
    }
  }

  onMessageSent(frame) {
    const entry = frame.temp_id != null ? this.outbox.get(frame.temp_id) : undefined;
    if (entry) {
      this.outbox.delete(frame.temp_id);
      entry.settle.resolve(frame);
      this.emitOutbox();
    }
    if (this.seen.add(frame.id)) this.emit("message_sent", frame);
    if (entry) this.flush();
  }

  onError(frame) {
    const entry = frame.temp_id != null ? this.outbox.get(frame.temp_id) : undefined;
    if (!entry) return;
    if (PERMANENT_ERRORS.has(frame.code)) {
      this.outbox.delete(entry.temp_id);
      entry.settle.reject(Object.assign(new Error(frame.error), { frame }));
      this.emitOutbox();
      this.emit("send_failed", { entry, error: frame });
      this.flush();
    } else {
      // Rate limited or a transient server error: the overdue check sends it again later.
      entry.lastSentAt = Date.now();
    }
  }

  emitOutbox() {
    this.emit("outbox", this.pending());
  }
}

function defined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
