/**
 * The `/ws/notifications/` client (contract §3).
 *
 * `notification` frames are de-duplicated by the notification's id and version: a coalesced one
 * comes again under its id with a higher `count` (and a newer `created_at`), and is passed on; a
 * reminder (`reminder: true`) is passed on every time. Commands given while the socket is down
 * (all idempotent) are sent once it is open again.
 *
 * Events of the stream (`seq`) are passed on in order, once, and every reconnect resumes from the
 * last one (`ReconnectingSocket`).
 *
 * Events: every server frame by its `type` (plus `frame`), `status`, `connected` (frame,
 * {resuming}), `closed`.
 */
import { Emitter } from "./emitter.js";
import { RecentSet, toId } from "./ids.js";
import { ReconnectingSocket } from "./socket.js";

export class NotificationClient extends Emitter {
  constructor(socketOptions) {
    super();
    this.socket = new ReconnectingSocket({ ...socketOptions, path: "/ws/notifications/" });
    this.waiting = new Map();
    this.seen = new RecentSet();
    this.socket.on("connected", (frame, info) => this.onConnected(frame, info));
    this.socket.on("frame", (frame) => this.handle(frame));
    this.socket.on("status", (status) => this.emit("status", status));
    this.socket.on("closed", (event) => this.emit("closed", event));
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
    this.socket.close();
  }

  markRead(notificationId) {
    const id = toId(notificationId);
    this.command(`read:${id}`, { type: "mark_read", notification_id: id });
  }

  markAllRead() {
    this.command("read:all", { type: "mark_all_read" });
  }

  dismiss(notificationId) {
    const id = toId(notificationId);
    this.command(`dismiss:${id}`, { type: "dismiss", notification_id: id });
  }

  requestUnreadCount() {
    this.command("count", { type: "get_unread_count" });
  }

  command(key, frame) {
    if (!this.socket.send(frame)) this.waiting.set(key, frame);
  }

  onConnected(frame, info) {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const command of waiting) this.socket.send(command);
    this.emit("connected", frame, info);
  }

  handle(frame) {
    this.emit("frame", frame);
    if (frame.type === "connection") return;
    if (frame.type === "notification") {
      const key = versionKey(frame);
      if (key != null && !this.seen.add(key)) return;
    }
    this.emit(frame.type, frame);
  }
}

/** What tells two `notification` frames of one notification apart; none for a reminder (each is news). */
function versionKey({ notification, reminder }) {
  if (notification?.id == null || reminder) return null;
  return `${notification.id}:${notification.count ?? 1}:${notification.created_at}`;
}
