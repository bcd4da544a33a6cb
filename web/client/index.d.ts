/**
 * Type declarations of `erp-comm-web/client` (web/client/index.js): the dependency-free client
 * for the chat and notification sockets and the REST API (docs/frontend.md).
 *
 * Hand-written from the JavaScript; the wire shapes are those of docs/websocket-api.md,
 * docs/rest-api.md, docs/notifications.md and docs/asyncapi.yaml. Ids are numbers on the wire;
 * the methods that normalise an id (`toId`) also take a string of ASCII digits (`IdInput`), the
 * others compare ids as they are and want numbers. Timestamps are ISO-8601 UTC strings with
 * milliseconds (`"2026-11-25T10:30:00.456Z"`).
 *
 * Every class member the JavaScript has is declared; members marked "Internal." are public only
 * because the modules call each other, and may change without notice.
 */

// Basics ------------------------------------------------------------------------------------

/** A server id: a positive integer. */
export type Id = number;
/** An id as the methods that normalise it (`toId`) accept it: a number, or a string of ASCII digits. */
export type IdInput = number | string;
/** An ISO-8601 UTC timestamp with milliseconds, ending in `Z`. */
export type Timestamp = string;

/** A client-chosen idempotency key (contract §0: at most 64 characters): `${prefix}-` and 32 hex digits. */
export declare function newTempId(prefix?: string): string;

/** Normalises an id (a number, or a string of ASCII digits); throws `TypeError` for anything else. */
export declare function toId(value: unknown): Id;

/** A set that forgets its oldest entries past `limit`, for de-duplication over a long session. */
export declare class RecentSet<T = unknown> {
  #private;
  constructor(limit?: number);
  /** Default 5000. */
  limit: number;
  has(value: T): boolean;
  /** Adds `value`; returns false if it was already there. */
  add(value: T): boolean;
}

// Events ------------------------------------------------------------------------------------

/** The arguments of event `K` of an event map (`{ type: [arg, ...] }`). */
export type EventArgs<Events, K extends keyof Events> = Events[K] extends unknown[] ? Events[K] : never;

/**
 * A minimal event emitter: `on` returns the function that unsubscribes. `Events` maps each event
 * type to the arguments its listeners get.
 */
export declare class Emitter<Events extends object = Record<string, unknown[]>> {
  #private;
  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events & string>(type: K, listener: (...args: EventArgs<Events, K>) => void): () => void;
  /** Like `on`, for the next event only. */
  once<K extends keyof Events & string>(type: K, listener: (...args: EventArgs<Events, K>) => void): () => void;
  off<K extends keyof Events & string>(type: K, listener: (...args: EventArgs<Events, K>) => void): void;
  /** Calls every listener of `type`; one that throws does not stop the others (its error is rethrown in a microtask). */
  emit<K extends keyof Events & string>(type: K, ...args: EventArgs<Events, K>): void;
  /** Resolves with the first event of `type` (its first argument) that satisfies `where`; rejects after `timeoutMs` (10000). */
  waitFor<K extends keyof Events & string>(
    type: K,
    where?: (value: EventArgs<Events, K>[0]) => boolean,
    timeoutMs?: number,
  ): Promise<EventArgs<Events, K>[0]>;
}

// Messages, conversations, people -------------------------------------------------------------

/** What an attachment is, by its sniffed content type. */
export type AttachmentType = "image" | "video" | "audio" | "document";

/** The message a reply quotes, as it reads now. */
export interface ReplyExcerpt {
  id: Id;
  sender_id: Id;
  /** The first 200 characters of the original's text; `""` once it is deleted (or for an attachment alone). */
  message: string;
  /** The original was deleted (then `message` is `""`). */
  deleted: boolean;
}

/** One emoji on a message and who added it. */
export interface Reaction {
  /** One emoji grapheme, compared code point for code point (`❤️` and `❤` are two reactions). */
  emoji: string;
  /** Who added it, earliest first; never empty. */
  user_ids: Id[];
}

/**
 * A stored message: the same fields in `message` and `message_sent` frames, the pending replay and
 * every REST answer (docs/websocket-api.md, "Message fields").
 */
export interface Message {
  id: Id;
  conversation_id: Id;
  /** The same as `sender_id`. */
  sender: Id;
  sender_id: Id;
  sender_name: string;
  sender_avatar: string | null;
  /** The same as `receiver_id`. */
  receiver: Id;
  receiver_id: Id;
  receiver_name: string;
  /** The text: `""` for an attachment alone, and once deleted. */
  message: string;
  /** The attachment's download URL (fetch it with the token: `RestApi.download`); null without one and once deleted. */
  attachment: string | null;
  attachment_type: AttachmentType | null;
  is_read: boolean;
  read_at: Timestamp | null;
  delivered_at: Timestamp | null;
  timestamp: Timestamp;
  /** The sender's idempotency key, or null. */
  temp_id: string | null;
  /** The message this one answers, or null. */
  reply_to: ReplyExcerpt | null;
  /** When the sender last edited the text, or null. */
  edited_at: Timestamp | null;
  /** When the sender deleted it (then `message` is `""` and `attachment`, `attachment_type` null), or null. */
  deleted_at: Timestamp | null;
  /** One entry per emoji, in the order each was first used; `[]` when none. */
  reactions: Reaction[];
}

/** A person as the chat API shows them. */
export interface ChatUser {
  id: Id;
  username: string;
  full_name: string;
  avatar: string | null;
  /** Presence when read; always false for someone blocked either way. */
  is_online: boolean;
}

/** A person as the login answer shows them. */
export interface UserSummary {
  id: Id;
  username: string;
  full_name: string;
  avatar: string | null;
}

/** An entry of the conversation list (`GET chats/conversations/`). */
export interface Conversation {
  conversation_id: Id;
  other_user: ChatUser;
  /** The newest message's current text (`""` if it was deleted). */
  last_message: string | null;
  last_message_at: Timestamp | null;
  last_message_by_me: boolean;
  unread_count: number;
  updated_at: Timestamp;
  /** The user muted the conversation's chat notifications. */
  muted: boolean;
  /** When the mute ends; null both when it lasts until unmuted and when not muted (tell them apart by `muted`). */
  muted_until: Timestamp | null;
}

/** Someone the user blocked (`GET chats/blocks/`); `user.is_online` is always false here. */
export interface Block {
  user: ChatUser;
  created_at: Timestamp;
}

// Notifications -------------------------------------------------------------------------------

export type NotificationPriority = "low" | "normal" | "high" | "urgent";

/** A notification: the same fields in `notification` frames and REST (docs/notifications.md, "The notification payload"). */
export interface Notification {
  id: Id;
  /** `message`, `notice`, `event`, `event_reminder`, `registration`, `assignment`, `grade`, `announcement`, `system`, `escalation`, or a type added by setting. */
  notification_type: string;
  title: string;
  message: string;
  link: string | null;
  icon: string | null;
  color: string | null;
  priority: NotificationPriority;
  is_read: boolean;
  /** When it was stored (the newest, for a coalesced one). */
  created_at: Timestamp;
  /** `"just now"`, `"5 minutes ago"`. */
  time_ago: string;
  related_object_type: string | null;
  related_object_id: number | null;
  /** The sender's JSON object (`{}` when none). */
  data: { [key: string]: unknown } | null;
  /** How many notifications it stands for (coalesced ones, or a chat conversation's messages since read); 1 otherwise. */
  count: number;
  /** When the ERP object it is about was resolved (dealt with, by anyone); null while open. */
  resolved_at: Timestamp | null;
  /** Past this moment it leaves lists and counts: hide it then. Null if it never expires. */
  expires_at: Timestamp | null;
  /** It must be acknowledged (`acknowledge`), not just read. */
  requires_ack: boolean;
  /** When the user acknowledged it; null until then. */
  acknowledged_at: Timestamp | null;
}

/** A notification as `NotificationStore` lists it. */
export interface NotificationEntry extends Notification {
  /** Brought back by a reminder and not acknowledged since (false or absent otherwise). */
  reminder?: boolean;
  /** Set when the store marked it read or acknowledged (from the event, or the acknowledgement's time). */
  read_at?: Timestamp | null;
}

/** The user's email setting (`GET`/`PATCH notifications/preferences/`). */
export interface NotificationPreferences {
  /** Missed chat messages and high or urgent notifications are emailed. */
  email_digest: boolean;
  last_digest_at: Timestamp | null;
}

// Server frames -------------------------------------------------------------------------------

/** Carried by the frames that are events of the user's stream (docs/websocket-api.md, "Resume"). */
export interface StreamFields {
  /** The event's number in the user's stream of this socket family. */
  seq?: number;
  /** Written again by a resume. */
  replayed?: true;
}

export type ErrorCode =
  | "invalid_json" | "invalid_frame" | "unknown_type" | "validation_error" | "not_found" | "forbidden"
  | "rate_limited" | "too_large" | "conflict" | "server_error" | "auth_failed";

/** A refused frame (the socket stays open). A refused send echoes its `temp_id`; edits, deletions and reactions have none. */
export interface ErrorFrame {
  type: "error";
  error: string;
  code: ErrorCode;
  temp_id?: string | number;
}

export interface PongFrame {
  type: "pong";
  timestamp: Timestamp;
}

/** The end of a resume's replay. */
export interface ResumedFrame {
  type: "resumed";
  since: number;
  last_seq: number;
}

/** The stream no longer holds what a resume asked for: reload over REST (the sessions do). */
export interface ResyncRequiredFrame {
  type: "resync_required";
  since: number;
  oldest_seq: number;
  last_seq: number;
}

/** `/ws/chat/`'s first frame. */
export interface ChatConnectionFrame {
  type: "connection";
  status: "connected";
  user_id: Id;
  /** The newest `seq` of the user's chat stream (0 if none). */
  last_seq: number;
  timestamp: Timestamp;
}

/** A message to the user, or one they sent from another socket. */
export interface MessageFrame extends Message, StreamFields {
  type: "message";
}

/** The answer to this socket's send. */
export interface MessageSentFrame extends Message {
  type: "message_sent";
  seq?: number;
}

export interface MessageEditedFrame extends StreamFields {
  type: "message_edited";
  id: Id;
  conversation_id: Id;
  /** The new text (`""` in a replay once the message has been deleted since). */
  message: string;
  edited_at: Timestamp;
}

export interface MessageDeletedFrame extends StreamFields {
  type: "message_deleted";
  id: Id;
  conversation_id: Id;
  deleted_at: Timestamp;
}

export type ReactionAction = "add" | "remove";

export interface ReactionFrame extends StreamFields {
  type: "reaction";
  message_id: Id;
  conversation_id: Id;
  /** Who added or removed the emoji. */
  user_id: Id;
  emoji: string;
  action: ReactionAction;
}

export interface DeliveryReceiptFrame extends StreamFields {
  type: "delivery_receipt";
  message_id: Id;
  conversation_id: Id;
  delivered_at: Timestamp;
}

export interface ReadReceiptFrame extends StreamFields {
  type: "read_receipt";
  message_id: Id;
  conversation_id: Id;
  reader_id: Id;
  reader_name: string;
  read_at: Timestamp;
}

export interface ReadReceiptSentFrame {
  type: "read_receipt_sent";
  count: number;
}

export interface ChatUnreadCountFrame extends StreamFields {
  type: "unread_count";
  total_unread: number;
  conversation_id: Id;
  unread_count: number;
}

export interface TypingIndicatorFrame {
  type: "typing_indicator";
  sender_id: Id;
  sender_name: string;
  is_typing: boolean;
  timestamp: Timestamp;
}

/** The answer to `requestOnlineStatus`. */
export interface OnlineStatusFrame {
  type: "online_status";
  user_id: Id;
  is_online: boolean;
  /** Null when never seen, or hidden from the caller. */
  last_seen: Timestamp | null;
  timestamp: Timestamp;
}

/** A contact came online or went offline (then with `last_seen`). */
export interface OnlineStatusChangedFrame {
  type: "online_status_changed";
  user_id: Id;
  is_online: boolean;
  last_seen?: Timestamp | null;
  timestamp: Timestamp;
}

/** Every frame `/ws/chat/` sends. */
export type ChatServerFrame =
  | ChatConnectionFrame | MessageFrame | MessageSentFrame | MessageEditedFrame | MessageDeletedFrame | ReactionFrame
  | DeliveryReceiptFrame | ReadReceiptFrame | ReadReceiptSentFrame | ChatUnreadCountFrame | TypingIndicatorFrame
  | OnlineStatusFrame | OnlineStatusChangedFrame | ResumedFrame | ResyncRequiredFrame | PongFrame | ErrorFrame;

/** `/ws/notifications/`'s first frame. */
export interface NotificationConnectionFrame {
  type: "connection";
  status: "connected";
  user_id: Id;
  last_seq: number;
  unread_count: number;
  timestamp: Timestamp;
}

/** A new notification, or a new version of one the client has (same `id`): coalesced, updated, or a reminder. */
export interface NotificationFrame extends StreamFields {
  type: "notification";
  notification: Notification;
  /** Present (and true) only on a reminder of a must-acknowledge notification not yet acknowledged. */
  reminder?: true;
}

/** The answer to `markRead`. */
export interface NotificationReadFrame {
  type: "notification_read";
  notification_id: Id;
  unread_count: number;
}

/** The answer to `markAllRead`. */
export interface AllNotificationsReadFrame {
  type: "all_notifications_read";
  count: number;
  unread_count: number;
}

/** The answer to `requestUnreadCount`. */
export interface NotificationUnreadCountFrame {
  type: "unread_count";
  count: number;
}

interface NotificationUpdateBase extends StreamFields {
  type: "notification_update";
  /** The user's unread count after the change. */
  unread_count: number;
}

/** A change to the user's notifications, on every notification socket of theirs (`event` tells which). */
export type NotificationUpdateFrame =
  | (NotificationUpdateBase & { event: "notification_read"; notification_id: Id; is_read: true; read_at: Timestamp | null })
  | (NotificationUpdateBase & { event: "all_read"; count: number; is_read: true; read_at: Timestamp })
  | (NotificationUpdateBase & { event: "dismissed"; notification_id: Id })
  | (NotificationUpdateBase & { event: "all_dismissed"; count: number })
  | (NotificationUpdateBase & { event: "resolved"; notification_id: Id; reason: string; resolved_at: Timestamp })
  | (NotificationUpdateBase & { event: "acknowledged"; notification_id: Id; acknowledged_at: Timestamp; is_read: true });

export type NotificationUpdateEvent = NotificationUpdateFrame["event"];

/** Every frame `/ws/notifications/` sends. */
export type NotificationServerFrame =
  | NotificationConnectionFrame | NotificationFrame | NotificationReadFrame | AllNotificationsReadFrame
  | NotificationUnreadCountFrame | NotificationUpdateFrame | ResumedFrame | ResyncRequiredFrame | PongFrame | ErrorFrame;

/** A frame of either socket. */
export type ServerFrame = ChatServerFrame | NotificationServerFrame;

/** A frame this client sends (`ReconnectingSocket.send` takes any JSON object). */
export interface ClientFrame {
  type: string;
  [field: string]: unknown;
}

/** The `message` frame of a send, as queued in the outbox. */
export interface SendMessageFrame {
  type: "message";
  receiver_id: Id;
  message: string;
  temp_id: string;
  attachment_id?: Id;
  reply_to_id?: Id;
}

// The socket ------------------------------------------------------------------------------------

/** Closed by the server: the token is bad or revoked (no retry). */
export declare const CLOSE_AUTH_FAILED: 4001;
/** Closed by the server: the user opened more sockets than allowed and this was the oldest (no retry). */
export declare const CLOSE_EVICTED: 4029;
/** Closed by this client because the server stopped answering pings (it reconnects). */
export declare const CLOSE_UNRESPONSIVE: 4000;

export declare const STATUS: Readonly<{
  IDLE: "idle";
  CONNECTING: "connecting";
  OPEN: "open";
  RECONNECTING: "reconnecting";
  CLOSED: "closed";
  AUTH_FAILED: "auth_failed";
  EVICTED: "evicted";
}>;

/** `idle`, `connecting`, `open`, `reconnecting`, `closed` (by `close()`), `auth_failed` (4001), `evicted` (4029). */
export type SocketStatus = (typeof STATUS)[keyof typeof STATUS];

/**
 * What the client needs of a WebSocket class: the browser's, Node 22's global one, or the `ws`
 * package's. It is constructed with the URL alone.
 */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Reconnect backoff (docs/frontend.md): attempt n waits between half and all of `min(maxDelayMs, initialDelayMs × backoffFactor^n)`. */
export interface BackoffOptions {
  /** Default 500. */
  initialDelayMs: number;
  /** Default 30000. */
  maxDelayMs: number;
  /** Default 2. */
  backoffFactor: number;
}

/** The socket's timings, defaults filled in. */
export interface SocketTimings extends BackoffOptions {
  /** A `ping` every this many ms. Default 25000. */
  pingIntervalMs: number;
  /** Nothing received for `pingIntervalMs + pongTimeoutMs`: the connection is dead (closed with 4000) and replaced. Default 10000. */
  pongTimeoutMs: number;
}

/** The options of both socket clients (all optional but `token`). */
export interface SocketOptions extends Partial<SocketTimings> {
  /** `http(s)://` or `ws(s)://` origin of the backend; default the page's origin (required outside a browser). */
  baseUrl?: string | undefined;
  /** The user's API token (`RestApi.login`). */
  token: string;
  /** Resume the stream from this `seq` on the first connect (default: from the `connection` frame's `last_seq`). */
  lastSeq?: number | null | undefined;
  /** The WebSocket class; default `globalThis.WebSocket` (Node 20: run with `--experimental-websocket`, or pass `ws`'s). */
  WebSocket?: WebSocketConstructor | undefined;
  /** The jitter's random source; default `Math.random`. */
  random?: (() => number) | undefined;
}

export interface ReconnectingSocketOptions extends SocketOptions {
  /** The endpoint's path, `/ws/chat/` or `/ws/notifications/`. */
  path: string;
}

/** Whether the missed events follow this connection frame (it resumed from `lastSeq`). */
export interface ResumeInfo {
  resuming: boolean;
}

/** The `closed` event. */
export interface CloseInfo {
  code: number;
  reason: string;
  /** False after 4001 (`auth_failed`) and 4029 (`evicted`). */
  willReconnect: boolean;
}

/** One event per frame `type`, with that frame. */
export type FrameEvents<Frame extends { type: string }> = { [F in Frame as F["type"]]: [frame: F] };

/** The events of a `ReconnectingSocket` that carries `Frame`s. */
export type ReconnectingSocketEvents<Frame extends { type: string }> = FrameEvents<Frame> & {
  status: [status: SocketStatus];
  /** The server's `connection` frame, after every (re)connect. */
  connected: [frame: Extract<Frame, { type: "connection" }>, info: ResumeInfo];
  /** Every frame passed on (in stream order, each event once). */
  frame: [frame: Frame];
  closed: [event: CloseInfo];
};

/** `http://host` or `ws://host` (or nothing, in a browser: the page's own host) -> `ws(s)://host`. */
export declare function socketBaseUrl(baseUrl?: string | null): string;

/** The delay before reconnect attempt `attempt` (0-based): exponential, capped, "equal jitter". */
export declare function backoffDelay(attempt: number, options: BackoffOptions, random?: () => number): number;

/**
 * One WebSocket endpoint that stays connected: exponential backoff with jitter, a ping keepalive
 * that also detects dead connections, the backend's close codes, and the socket's place in its
 * event stream (`lastSeq`): every reconnect resumes from it, a frame whose `seq` was seen is
 * dropped, and one that skips a `seq` makes the open socket ask to resume.
 */
export declare class ReconnectingSocket<Frame extends { type: string } = ServerFrame> extends Emitter<ReconnectingSocketEvents<Frame>> {
  /** Throws without a WebSocket implementation or a token. */
  constructor(options: ReconnectingSocketOptions);
  /** The socket URL with the token (without `since`). */
  url: string;
  WebSocket: WebSocketConstructor;
  random: () => number;
  options: SocketTimings;
  status: SocketStatus;
  /** Reconnect attempts since the last `connection` frame. */
  attempt: number;
  /** The newest `seq` seen (null until the first `connection` frame, unless given). */
  lastSeq: number | null;
  /** Whether this connection asked for the events missed since `lastSeq`. */
  resuming: boolean;
  /** Whether a `resume` frame waits for its `resumed` (or `resync_required`). */
  resumeAsked: boolean;
  /** Internal. The current WebSocket. */
  ws: WebSocketLike | null;
  /** Internal. */
  reconnectTimer: ReturnType<typeof setTimeout> | null;
  /** Internal. */
  pingTimer: ReturnType<typeof setInterval> | null;
  /** Internal. */
  deadlineTimer: ReturnType<typeof setTimeout> | null;
  get isOpen(): boolean;
  connect(): this;
  /** Closes for good (no reconnect) until `connect()` is called again. */
  close(): void;
  /** Skips the backoff wait (for example when the browser comes back online). */
  reconnectNow(): void;
  /** Sends a frame if the socket is open; returns whether it was written. */
  send(frame: object): boolean;
  /** Asks the open socket for every event after the last one seen (once until it is answered). */
  resume(): void;
  /** Internal. Handles a received WebSocket message. */
  receive(data: string | ArrayBuffer | ArrayBufferView): void;
  /** Internal. Whether a frame is passed on: an event (`seq`) must follow the last one seen. */
  inStreamOrder(frame: Frame): boolean;
  /** Internal. */
  closed(ws: WebSocketLike, code: number, reason: string): void;
  /** Internal. */
  startKeepalive(): void;
  /** Internal. */
  armDeadline(): void;
  /** Internal. Gives up on the current connection at once (and reconnects). */
  abandon(code: number, reason: string): void;
  /** Internal. */
  stopKeepalive(): void;
  /** Internal. */
  setStatus(status: SocketStatus): void;
}

// The chat client -------------------------------------------------------------------------------

export interface ChatTimings {
  /** An unanswered send is sent again after this. Default 10000. */
  resendAfterMs: number;
  /** `is_typing:false` after this long without input. Default 3000. */
  typingIdleMs: number;
  /** `is_typing:true` is refreshed this often while typing goes on. Default 3000. */
  typingRefreshMs: number;
}

export interface ChatClientOptions extends SocketOptions, Partial<ChatTimings> {}

export interface SendMessageOptions {
  /** An upload's id (`uploadAttachment`); the text may then be empty. */
  attachmentId?: IdInput | null | undefined;
  /** A message of the same conversation to answer. */
  replyToId?: IdInput | null | undefined;
  /** Your idempotency key (default: a random one). */
  tempId?: string | undefined;
}

/** Why a send was given up: `entry.sent` rejects with it. */
export interface SendError extends Error {
  /** The server's `error` frame. */
  frame: ErrorFrame;
}

/** A send waiting in the outbox for its `message_sent` (across reconnects). */
export interface OutboxEntry {
  temp_id: string;
  receiver_id: Id;
  message: string;
  attachment_id: Id | null;
  reply_to_id: Id | null;
  created_at: Timestamp;
  /**
   * Resolves with the stored message (`message_sent`, or the `message` a resume replayed in its
   * place); rejects with a `SendError` when the server refused it for good.
   */
  sent: Promise<MessageSentFrame | MessageFrame>;
  /** Internal. The frame sent (again). */
  frame: SendMessageFrame;
  /** Internal. When it was last written to the socket (ms), 0 before. */
  lastSentAt: number;
  /** Internal. How many times it was written. */
  attempts: number;
  /** Internal. */
  settle: { resolve(frame: MessageSentFrame | MessageFrame): void; reject(error: SendError): void };
}

/** Exactly one of `conversationId`, `senderId`, `messageIds`; `upToId` (the newest message id shown) with the first two. */
export type MarkReadSelector =
  | { conversationId: IdInput; upToId?: IdInput | null | undefined; senderId?: null | undefined; messageIds?: null | undefined }
  | { senderId: IdInput; upToId?: IdInput | null | undefined; conversationId?: null | undefined; messageIds?: null | undefined }
  | { messageIds: IdInput[]; conversationId?: null | undefined; senderId?: null | undefined; upToId?: null | undefined };

/** What the chat client emits. */
export interface ChatClientEvents {
  status: [status: SocketStatus];
  connected: [frame: ChatConnectionFrame, info: ResumeInfo];
  closed: [event: CloseInfo];
  /** Every frame passed on by the socket. */
  frame: [frame: ChatServerFrame];
  /** The entries waiting for `message_sent`, oldest first, after every change. */
  outbox: [entries: OutboxEntry[]];
  /** A send the server refused for good. */
  send_failed: [failure: { entry: OutboxEntry; error: ErrorFrame }];
  /** Once per message id. */
  message: [frame: MessageFrame];
  /** Once per message id: this socket's send was stored (a resume may replay it as a `message` frame). */
  message_sent: [frame: MessageSentFrame | MessageFrame];
  message_edited: [frame: MessageEditedFrame];
  message_deleted: [frame: MessageDeletedFrame];
  reaction: [frame: ReactionFrame];
  delivery_receipt: [frame: DeliveryReceiptFrame];
  read_receipt: [frame: ReadReceiptFrame];
  read_receipt_sent: [frame: ReadReceiptSentFrame];
  unread_count: [frame: ChatUnreadCountFrame];
  typing_indicator: [frame: TypingIndicatorFrame];
  online_status: [frame: OnlineStatusFrame];
  online_status_changed: [frame: OnlineStatusChangedFrame];
  resumed: [frame: ResumedFrame];
  resync_required: [frame: ResyncRequiredFrame];
  pong: [frame: PongFrame];
  /** A refusal: with `temp_id` for a send (see `send_failed`), without for an edit, deletion or reaction. */
  error: [frame: ErrorFrame];
}

/**
 * The `/ws/chat/` client: an outbox that sends each message until stored (same `temp_id`, in
 * order), de-duplicated messages, debounced typing, and receipts, edits, deletions and reactions
 * kept until the socket is open.
 */
export declare class ChatClient extends Emitter<ChatClientEvents> {
  constructor(options: ChatClientOptions);
  options: ChatTimings;
  socket: ReconnectingSocket<ChatServerFrame>;
  /** By `temp_id`, oldest first. */
  outbox: Map<string, OutboxEntry>;
  /** The user's id, from the `connection` frame. */
  userId: Id | null;
  /** Internal. Idempotent frames kept until the socket is open, by key. */
  deferred: Map<string, ClientFrame>;
  /** Internal. Typing state by receiver. */
  typingTo: Map<Id, { lastSentAt: number; idleTimer: ReturnType<typeof setTimeout> | null }>;
  /** Internal. Message ids emitted. */
  seen: RecentSet<Id>;
  /** Internal. */
  resendTimer: ReturnType<typeof setInterval> | null;
  get status(): SocketStatus;
  get isOpen(): boolean;
  connect(): this;
  close(): void;
  /**
   * Queues a message and sends it as soon as the socket is open. Returns the outbox entry; its
   * `sent` promise resolves with the stored message or rejects with a `SendError`.
   */
  sendMessage(receiverId: IdInput, text?: string, options?: SendMessageOptions): OutboxEntry;
  /** The entries still waiting for their `message_sent`, oldest first. */
  pending(): OutboxEntry[];
  /** Sends the oldest entry unless it is waiting for its answer (and not overdue), or `force`. */
  flush(options?: { force?: boolean }): void;
  /** Marks received messages read (throws `TypeError` unless exactly one selector is given). */
  markRead(selector: MarkReadSelector): void;
  acknowledgeDelivery(messageIds: IdInput[]): void;
  /** Sends an idempotent frame now, or else on connect: the newest one per `key`. */
  sendOrDefer(key: string, frame: ClientFrame): void;
  /** Asks for one user's presence (answered by an `online_status` event); false if the socket is not open. */
  requestOnlineStatus(userId: IdInput): boolean;
  /** Replaces the text of the user's own message (within the server's edit window); shown by `message_edited`. */
  editMessage(messageId: IdInput, text: string): void;
  /** Deletes the user's own message; shown by `message_deleted`. */
  deleteMessage(messageId: IdInput): void;
  react(messageId: IdInput, emoji: string): void;
  unreact(messageId: IdInput, emoji: string): void;
  sendReaction(messageId: IdInput, emoji: string, action: ReactionAction): void;
  /** Call on every keystroke in the composer for `receiverId`. */
  typing(receiverId: IdInput): void;
  stopTyping(receiverId: IdInput): void;
  /** Applies a server frame as if the socket had passed it on. */
  handle(frame: ChatServerFrame): void;
  /** Internal. */
  onConnected(frame: ChatConnectionFrame, info: ResumeInfo): void;
  /** Internal. */
  onClosed(event: CloseInfo): void;
  /** Internal. */
  onMessageSent(frame: MessageSentFrame | MessageFrame): void;
  /** Internal. */
  onError(frame: ErrorFrame): void;
  /** Internal. */
  emitOutbox(): void;
}

// The notification client -----------------------------------------------------------------------

/** What the notification client emits. */
export interface NotificationClientEvents {
  status: [status: SocketStatus];
  connected: [frame: NotificationConnectionFrame, info: ResumeInfo];
  closed: [event: CloseInfo];
  /** Every frame passed on by the socket. */
  frame: [frame: NotificationServerFrame];
  /** Once per version of a notification (a coalesced one comes again with a higher `count`); every reminder. */
  notification: [frame: NotificationFrame];
  notification_read: [frame: NotificationReadFrame];
  all_notifications_read: [frame: AllNotificationsReadFrame];
  unread_count: [frame: NotificationUnreadCountFrame];
  notification_update: [frame: NotificationUpdateFrame];
  resumed: [frame: ResumedFrame];
  resync_required: [frame: ResyncRequiredFrame];
  pong: [frame: PongFrame];
  error: [frame: ErrorFrame];
}

/** The `/ws/notifications/` client; commands given while the socket is down are sent once it is open. */
export declare class NotificationClient extends Emitter<NotificationClientEvents> {
  constructor(options: SocketOptions);
  socket: ReconnectingSocket<NotificationServerFrame>;
  /** Internal. Commands kept until the socket is open, by key. */
  waiting: Map<string, ClientFrame>;
  /** Internal. Notification versions emitted. */
  seen: RecentSet<string>;
  get status(): SocketStatus;
  get isOpen(): boolean;
  connect(): this;
  close(): void;
  markRead(notificationId: IdInput): void;
  markAllRead(): void;
  dismiss(notificationId: IdInput): void;
  requestUnreadCount(): void;
  /** Sends a command now, or once the socket is open: the newest one per `key`. */
  command(key: string, frame: ClientFrame): void;
  /** Applies a server frame as if the socket had passed it on. */
  handle(frame: NotificationServerFrame): void;
  /** Internal. */
  onConnected(frame: NotificationConnectionFrame, info: ResumeInfo): void;
}

// REST ----------------------------------------------------------------------------------------

/** A 4xx or 5xx body: `error` and `code` (DRF's own errors: `detail`), and DRF's messages per field. */
export interface ApiErrorBody {
  error?: string;
  code?: ErrorCode | "resync_required" | (string & {});
  detail?: string;
  [field: string]: unknown;
}

/** A REST call that failed (`status` is the HTTP status). */
export declare class ApiError extends Error {
  constructor(status: number, body: ApiErrorBody | null);
  status: number;
  /** The parsed body (`{error: <text>}` when it was not JSON), or null. */
  body: ApiErrorBody | null;
}

export interface RestApiOptions {
  /** The backend's origin; default the page's origin. */
  baseUrl?: string | undefined;
  token?: string | null | undefined;
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
}

export interface LoginResult {
  token: string;
  /** The same as `token`. */
  key: string;
  user: UserSummary;
}

/** The workers did not answer in time: the change is still made (and its event sent). */
export interface ChatQueued {
  status: "queued";
  temp_id: string | null;
}

/** The workers did not answer in time: the action is still applied and broadcast. */
export interface NotificationQueued {
  status: "queued";
}

export interface RestSendMessage {
  receiverId: IdInput;
  message?: string | undefined;
  tempId?: string | undefined;
  attachmentId?: IdInput | null | undefined;
  replyToId?: IdInput | null | undefined;
}

export interface MuteOptions {
  /** When the mute ends (a Date or ISO string); none or null for "until unmuted". */
  until?: Date | string | null | undefined;
}

export interface MuteResult {
  conversation_id: Id;
  muted: boolean;
  muted_until: Timestamp | null;
}

export interface HistoryPage {
  /** Null before the first message. */
  conversation_id: Id | null;
  /** Newest first. */
  messages: Message[];
  other_user: ChatUser;
  has_more: boolean;
}

export interface HistoryOptions {
  /** 1 to 100 (default 50). */
  limit?: number | undefined;
  /** The last `id` of the previous page. */
  beforeId?: IdInput | undefined;
}

/** The body of `POST chats/mark-read/`: exactly one selector. */
export type RestMarkReadSelector =
  | { conversation_id: IdInput; up_to_id?: IdInput }
  | { sender_id: IdInput; up_to_id?: IdInput }
  | { message_ids: IdInput[] };

export interface MarkReadResult {
  success: boolean;
  marked_count: number;
  read_at: Timestamp;
}

export interface ChatUnreadCounts {
  total_unread: number;
  conversations: { conversation_id: Id; unread_count: number; other_user_id: Id; other_user_name: string }[];
}

export interface UploadedAttachment {
  /** Pass it as `attachmentId`. */
  id: Id;
  url: string;
  attachment_type: AttachmentType;
  size: number;
  content_type: string;
  name: string;
}

/** `GET notifications/` query parameters. */
export interface NotificationFilters {
  page?: number | string;
  page_size?: number | string;
  notification_type?: string;
  is_read?: boolean | string;
  priority?: NotificationPriority;
  ordering?: "created_at" | "-created_at" | "priority" | "-priority";
  /** List resolved notifications too. */
  include_resolved?: boolean | string;
  [parameter: string]: string | number | boolean | undefined;
}

export interface NotificationPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: Notification[];
}

export type AcknowledgeResult =
  | { success: boolean; notification_id: Id; acknowledged_at: Timestamp }
  | NotificationQueued;

/** The REST API (contract §1 and §4) over `fetch`, with token authentication. Failures reject with `ApiError`. */
export declare class RestApi {
  constructor(options?: RestApiOptions);
  /** Without a trailing slash (`""` in a page: same origin). */
  baseUrl: string;
  token: string | null | undefined;
  fetch: typeof fetch;
  /** `POST /api/v1/auth/login/`. */
  static login(options: {
    baseUrl?: string | undefined;
    username: string;
    password: string;
    fetch?: typeof fetch | undefined;
  }): Promise<LoginResult>;
  /** `POST /api/v1/auth/logout/` (the token is deleted). */
  logout(): Promise<null>;
  /** Any call: a JSON body (or `FormData`) in, the parsed JSON answer (null when empty) out. */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;

  /** `POST chats/`: the stored message (201), or queued (202). */
  sendMessage(send: RestSendMessage): Promise<Message | ChatQueued>;
  /** `PATCH chats/{id}/`: the message as edited. */
  editMessage(messageId: IdInput, message: string): Promise<Message | ChatQueued>;
  /** `DELETE chats/{id}/`: null (204), or queued. */
  deleteMessage(messageId: IdInput): Promise<ChatQueued | null>;
  /** `POST chats/{id}/reactions/`: the message with its `reactions`. */
  addReaction(messageId: IdInput, emoji: string): Promise<Message | ChatQueued>;
  /** `DELETE chats/{id}/reactions/{emoji}/` (the emoji percent-encoded). */
  removeReaction(messageId: IdInput, emoji: string): Promise<Message | ChatQueued>;
  mute(conversationId: IdInput, options?: MuteOptions): Promise<MuteResult>;
  /** 204: null. */
  unmute(conversationId: IdInput): Promise<null>;
  /** The people the caller blocked, oldest first. */
  blocks(): Promise<Block[]>;
  /** Blocks a user, both ways. */
  block(userId: IdInput): Promise<Block>;
  /** 204: null. */
  unblock(userId: IdInput): Promise<null>;
  /** Newest activity first. */
  conversations(): Promise<Conversation[]>;
  /** History with one user, newest first. */
  history(userId: IdInput, options?: HistoryOptions): Promise<HistoryPage>;
  markRead(selector: RestMarkReadSelector): Promise<MarkReadResult | ChatQueued>;
  unreadCount(): Promise<ChatUnreadCounts>;
  onlineUsers(): Promise<{ online_users: Id[] }>;
  /** `POST chats/attachments/` (multipart `file`); `name` defaults to the File's. */
  uploadAttachment(file: Blob, name?: string): Promise<UploadedAttachment>;
  /** Fetches a protected file (an attachment URL) with the token. */
  download(url: string | URL): Promise<Blob>;

  /** The inbox, newest first (paginated); `{include_resolved: true}` lists the resolved ones too. */
  notifications(filters?: NotificationFilters): Promise<NotificationPage>;
  /** The newest 100 unread (`count` is exact). */
  unreadNotifications(): Promise<{ count: number; notifications: Notification[] }>;
  notificationUnreadCount(): Promise<{ count: number }>;
  markNotificationRead(id: IdInput): Promise<{ success: boolean; notification_id: Id; read_at: Timestamp } | NotificationQueued>;
  markAllNotificationsRead(): Promise<{ success: boolean; count: number } | NotificationQueued>;
  dismissNotification(id: IdInput): Promise<{ success: boolean; notification_id: Id } | NotificationQueued>;
  /** For a notification with `requires_ack` (else `ApiError` 400); again: the first `acknowledged_at`. */
  acknowledgeNotification(id: IdInput): Promise<AcknowledgeResult>;
  notificationPreferences(): Promise<NotificationPreferences>;
  /** Throws `TypeError` unless `emailDigest` is a boolean (the server takes a missing field as `true`). */
  setNotificationPreferences(preferences: { emailDigest: boolean }): Promise<NotificationPreferences>;
}

// Stores --------------------------------------------------------------------------------------

/**
 * A state container: an immutable snapshot (a new object on every change) and subscribers, which
 * is what React's `useSyncExternalStore` and any other view layer need.
 */
export declare class Store<S extends object> {
  #private;
  constructor(state: S);
  state: S;
  /** The current snapshot (bound: can be passed as is). */
  getSnapshot: () => S;
  /** Calls `listener` after every change; returns the function that unsubscribes (bound). */
  subscribe: (listener: (state: S) => void) => () => void;
  /** A new snapshot with `patch` merged in; notifies the subscribers. */
  set(patch: Partial<S>): void;
}

/** `messageStatus`: ✓ for sent or delivered, ✓✓ for read. */
export type MessageStatus = "pending" | "sent" | "delivered" | "read" | "failed";

/** `pending` until the server stored it (no `id`), `failed` if it refused it, then `read`, `delivered` or `sent`. */
export declare function messageStatus(message: {
  id?: Id | null;
  failed?: boolean;
  is_read?: boolean;
  delivered_at?: Timestamp | null;
}): MessageStatus;

/** Whether `userId`'s `emoji` is among the message's reactions. */
export declare function hasReacted(message: { reactions?: Reaction[] | null }, userId: Id | null, emoji: string): boolean;

/** Whether a notification still asks to be acknowledged: `requires_ack` and no `acknowledged_at` yet. */
export declare function awaitsAcknowledgement(notification: {
  requires_ack?: boolean;
  acknowledged_at?: Timestamp | null;
}): boolean;

/** A frame's fields that a store method reads (required) and the rest of the frame (optional). */
export type FrameFields<F, K extends keyof F> = Pick<F, K> & Partial<F>;

/** A send not yet stored, as the chat store lists it. */
export interface UnsentMessage {
  temp_id: string;
  receiver_id: Id;
  message: string;
  attachment_id: Id | null;
  reply_to_id: Id | null;
  created_at: Timestamp;
}

/** A send the server refused, with its reason (`forbidden`, "You cannot message this user"). */
export interface FailedMessage extends UnsentMessage {
  error: string;
  code: ErrorCode;
}

/** `ChatStore.unsentTo`: pending and failed sends as message-like objects (no `id`). */
export type UnsentMessageView = (UnsentMessage & { id: null }) | (FailedMessage & { id: null; failed: true });

export interface ChatState {
  /** From the `connection` frame. */
  userId: Id | null;
  status: SocketStatus;
  /** Newest activity first, kept live. */
  conversations: Conversation[];
  /** By conversation id, oldest first, each message once. */
  messages: { [conversationId: number]: Message[] };
  /** By conversation id: whether older history remains. */
  hasMore: { [conversationId: number]: boolean };
  unreadCounts: { [conversationId: number]: number };
  totalUnread: number;
  /** Sends not yet stored, oldest first. */
  outbox: UnsentMessage[];
  /** Sends the server refused. */
  failed: FailedMessage[];
  /** The people the user blocked, oldest first. */
  blocks: Block[];
}

/** Chat state; applying an edit, deletion or reaction twice changes nothing. */
export declare class ChatStore extends Store<ChatState> {
  constructor();
  conversationWith(userId: Id): Conversation | null;
  hasBlocked(userId: Id): boolean;
  /** The pending and failed sends addressed to `userId`, as message-like objects. */
  unsentTo(userId: Id): UnsentMessageView[];
  /** The REST list; a conversation it lacks that a live frame brought meanwhile stays. */
  setConversations(conversations: Conversation[]): void;
  /** Merges messages (from REST or frames) into their conversation; duplicates by id collapse. */
  addMessages(conversationId: Id | null | undefined, incoming: Message[], options?: { hasMore?: boolean }): void;
  /** A live message (received, sent here, or sent from another of the user's devices). */
  applyMessage(frame: Message): void;
  updateMessage(conversationId: Id, messageId: Id, patch: Partial<Message>): void;
  /** Applies `change` to each loaded message of a conversation; returning the same object keeps it. */
  changeMessages(conversationId: Id, change: (message: Message, index: number) => Message): void;
  /** The user read what they received in a conversation, up to message `upToId`. */
  markReceivedRead(conversationId: Id, upToId: Id, readAt?: Timestamp): void;
  /** `message_edited`: the new text, on the message and on the excerpts of the replies quoting it. */
  applyEdit(frame: FrameFields<MessageEditedFrame, "id" | "conversation_id" | "message" | "edited_at">): void;
  /** `message_deleted`: no text, no attachment, and the replies quoting it show it deleted. */
  applyDeletion(frame: FrameFields<MessageDeletedFrame, "id" | "conversation_id" | "deleted_at">): void;
  /** `reaction`: `user_id`'s `emoji` added to or removed from the message. */
  applyReaction(frame: FrameFields<ReactionFrame, "message_id" | "conversation_id" | "user_id" | "emoji" | "action">): void;
  /** The conversation list previews the newest message as it reads now. */
  previewChanged(conversationId: Id, messageId: Id): void;
  updateConversation(conversationId: Id, patch: Partial<Conversation>): void;
  applyUnreadCount(frame: FrameFields<ChatUnreadCountFrame, "conversation_id" | "unread_count" | "total_unread">): void;
  setOnline(userId: Id, isOnline: boolean): void;
}

/** Who is typing to the user. */
export interface TypingUser {
  sender_id: Id;
  sender_name: string;
  timestamp: Timestamp;
}

export interface TypingState {
  /** By sender id. */
  typingUsers: { [senderId: number]: TypingUser };
}

/** Who is typing to this user right now; an entry without news for `expiryMs` (7000) leaves. */
export declare class TypingStore extends Store<TypingState> {
  #private;
  constructor(options?: { expiryMs?: number });
  expiryMs: number;
  apply(frame: FrameFields<TypingIndicatorFrame, "sender_id" | "sender_name" | "is_typing" | "timestamp">): void;
  clear(senderId: Id): void;
  clearAll(): void;
}

export interface PresenceState {
  /** User ids; a new Set whenever it changes. */
  onlineUsers: Set<Id>;
  /** By user id (null: never seen, or hidden). */
  lastSeen: { [userId: number]: Timestamp | null };
}

export declare class PresenceStore extends Store<PresenceState> {
  constructor();
  /** `lastSeen` undefined leaves the user's `lastSeen` as it is. */
  setOnline(userId: Id, isOnline: boolean, lastSeen?: Timestamp | null): void;
  replace(userIds: Iterable<Id>): void;
}

export interface NotificationState {
  /** Newest first, each once by id. */
  notifications: NotificationEntry[];
  /** The server's count. */
  unreadCount: number;
  /** False when the server has no notification API; null until known. */
  available: boolean | null;
  status: SocketStatus;
  /** Null until loaded (and on a server without preferences). */
  preferences: NotificationPreferences | null;
  /** The message of the last failed REST load, if any. */
  error?: string;
}

/**
 * Notifications, newest first, and the server's `unreadCount`. A coalesced one replaces its entry
 * and goes to the top; a reminder moves it to the top (`reminder: true`); a resolved one leaves;
 * an acknowledged one is read, with its `acknowledged_at`.
 */
export declare class NotificationStore extends Store<NotificationState> {
  constructor();
  /** A REST page (keeps the reminder marks shown). */
  setList(notifications: Notification[]): void;
  /**
   * A notification from a frame: a new one on top, a newer version replaces its entry (on top),
   * an older one changes nothing; `counted`: already in the server's count (a replay); `reminder`: re-surface it.
   */
  add(notification: Notification, options?: { counted?: boolean; reminder?: boolean }): void;
  markRead(id: Id, readAt?: Timestamp | null): void;
  markAllRead(): void;
  /** Acknowledged (which reads it too): the first `acknowledged_at` stays, the reminder mark goes. */
  markAcknowledged(id: Id, acknowledgedAt: Timestamp): void;
  remove(id: Id): void;
  /** Applies a server frame of `/ws/notifications/`. */
  apply(frame: NotificationServerFrame): void;
  applyUpdate(frame: NotificationUpdateFrame): void;
  /** Sets `unreadCount` (ignores anything but a number). */
  setCount(count: number | undefined): void;
}

// Sessions ------------------------------------------------------------------------------------

export interface ChatSessionOptions extends ChatClientOptions {
  /** For the REST calls; default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
}

export interface NotificationSessionOptions extends SocketOptions {
  /** For the REST calls; default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
}

/** A message `toggleReaction` can act on. */
export interface ReactableMessage {
  id: IdInput;
  reactions?: Reaction[] | null;
}

/** A chat client, the REST API and the stores wired together (what the hooks and the demo use). */
export declare class ChatSession {
  constructor(options: ChatSessionOptions);
  api: RestApi;
  client: ChatClient;
  chat: ChatStore;
  typing: TypingStore;
  presence: PresenceStore;
  /** Internal. The users whose history was loaded (reloaded on a resync). */
  loadedWith: Set<IdInput>;
  /** Internal. Conversation id -> the newest message id a read was asked up to. */
  readAsked: Map<Id, Id>;
  /** Internal. */
  wire(): void;
  /** Connects; returns the session. */
  start(): this;
  stop(): void;
  showPresence(userId: Id, isOnline: boolean, lastSeen?: Timestamp | null): void;
  /** The state over REST: on the first connect, and when the stream cannot be resumed. */
  resync(): Promise<void>;
  /** What no event tells of: presence and mutes (in the conversation list), and blocks. */
  refreshUnstreamed(): Promise<[PromiseSettledResult<Conversation[]>, PromiseSettledResult<Block[]>]>;
  refreshConversations(): Promise<Conversation[]>;
  /** Loads the newest page of history with `userId` into the store; returns the page. */
  loadHistory(userId: IdInput, options?: { limit?: number | undefined }): Promise<HistoryPage>;
  /** Loads the page before the oldest loaded message; returns whether more remain. */
  loadOlder(userId: IdInput, conversationId: Id, options?: { limit?: number | undefined }): Promise<boolean>;
  sendMessage(receiverId: IdInput, text?: string, options?: SendMessageOptions): OutboxEntry;
  /** Shown once its `message_edited` returns; a refusal is an `error` event of the client (without `temp_id`). */
  editMessage(messageId: IdInput, text: string): void;
  deleteMessage(messageId: IdInput): void;
  react(messageId: IdInput, emoji: string): void;
  unreact(messageId: IdInput, emoji: string): void;
  /** Adds the user's `emoji` to a message, or removes it if it is there. */
  toggleReaction(message: ReactableMessage, emoji: string): void;
  /** Mutes a conversation's notifications until `until`, or until unmuted; the store follows the answer. */
  mute(conversationId: IdInput, options?: MuteOptions): Promise<MuteResult>;
  unmute(conversationId: IdInput): Promise<void>;
  refreshBlocks(): Promise<Block[]>;
  /** Blocks a user both ways: sends between the two are refused, typing and presence stop. */
  block(userId: IdInput): Promise<Block>;
  unblock(userId: IdInput): Promise<void>;
  /** Removes a failed send from `failed`. */
  discardFailed(tempId: string): void;
  /**
   * Marks what the user was shown in a conversation read, up to `upToId` (default: the newest
   * message loaded there). Sends only when something up to it is unread and not already asked
   * for; returns whether it sent.
   */
  markConversationRead(conversationId: Id, options?: { upToId?: Id | null | undefined }): boolean;
  typingTo(receiverId: IdInput): void;
  stopTypingTo(receiverId: IdInput): void;
  /** Uploads a file for a later `sendMessage(..., {attachmentId})` (`ApiError` 404 if the server has no uploads). */
  uploadAttachment(file: Blob, name?: string): Promise<UploadedAttachment>;
}

/** A notification client, the REST API and the notification store wired together. */
export declare class NotificationSession {
  constructor(options: NotificationSessionOptions);
  api: RestApi;
  client: NotificationClient;
  store: NotificationStore;
  /** Connects, loads the inbox and the preferences; returns the session. */
  start(): this;
  stop(): void;
  /** Loads the newest notifications; a server without the notification API leaves `available` false. */
  refresh(): Promise<void>;
  markRead(id: Id): void;
  markAllRead(): void;
  dismiss(id: Id): void;
  /** REST; shown when the server answered, and on every tab by its `acknowledged` event. `ApiError` 400 if it does not ask to be. */
  acknowledge(id: IdInput): Promise<AcknowledgeResult>;
  /** Into the store's `preferences` (null if the server has none). */
  loadPreferences(): Promise<NotificationPreferences | null>;
  /** Shown at once, put back if the server refuses. */
  setPreferences(preferences: { emailDigest: boolean }): Promise<NotificationPreferences>;
}

/** A session shared by every user of the same server and token, and the function that releases it. */
export interface SharedSession<S> {
  session: S;
  /** The session stops when its last user released it (deferred a tick). Calling it twice does nothing. */
  release(): void;
}

/** One started `ChatSession` per server and token. */
export declare function sharedChatSession(options: ChatSessionOptions): SharedSession<ChatSession>;
/** One started `NotificationSession` per server and token. */
export declare function sharedNotificationSession(options: NotificationSessionOptions): SharedSession<NotificationSession>;
