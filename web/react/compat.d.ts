/**
 * Type declarations of `erp-comm-web/react/compat` (web/react/compat.js): drop-in replacements
 * for the source system's hooks, with their names, arguments and return shapes
 * (docs/frontend.md, "Migrating from the source hooks").
 */
import type {
  ChatConnectionFrame, CloseInfo, Conversation, Id, IdInput, Message, NotificationConnectionFrame, NotificationEntry,
  ServerFrame, SocketStatus,
} from "../client/index.js";

/** `status` once a handshake was refused: no retry until the page (or the hook) starts again. */
export declare const STATUS_REFUSED: "refused";
/** While the user keeps typing, `true` is sent again this often, in milliseconds. */
export declare const TYPING_REFRESH_MS: number;
/** `false` is sent after this long without a keystroke, in milliseconds. */
export declare const TYPING_IDLE_MS: number;

/** The status of a hook's socket: the client's, or `"refused"` after a refused handshake. */
export type CompatStatus = SocketStatus | typeof STATUS_REFUSED;

/**
 * `Data` is what `onMessage` gets: the project's frames by default (for `/ws/chat/` and
 * `/ws/notifications/`); for another URL, name its type (or `unknown`): a frame that is not JSON
 * arrives as its text.
 */
export interface UseWebSocketOptions<Data = ServerFrame> {
  /** Every frame, parsed, once (duplicates by message id and `seq` are dropped). */
  onMessage?: ((data: Data) => void) | undefined;
  /** On every (re)connection: the `connection` frame on the project's sockets, null on another URL. */
  onOpen?: ((frame: ChatConnectionFrame | NotificationConnectionFrame | null) => void) | undefined;
  onClose?: ((event: CloseInfo) => void) | undefined;
  /**
   * An abnormal close (any code but 1000 and 1001), with its `CloseInfo`; on another URL also the
   * socket's `error` event (the source passed the error event only).
   */
  onError?: ((event: CloseInfo | Event) => void) | undefined;
  /** Other URLs than the project's sockets only: attempts before giving up (default 5). */
  reconnectAttempts?: number | undefined;
  /** Other URLs than the project's sockets only: the first delay, doubled per attempt (default 2000 ms). */
  reconnectInterval?: number | undefined;
}

export interface UseWebSocketResult {
  /**
   * Sends a frame now, or queues it until open (typing and ping are dropped instead); returns
   * whether it went now. A chat `message` on the project's chat socket goes to the client's outbox
   * (returns true): sent, and resent with its `temp_id`, until stored.
   */
  sendMessage: (data: object) => boolean;
  /** Lets go of the socket for this hook (it closes when no other hook uses it). */
  disconnect: () => void;
  isConnected: boolean;
}

/** One socket per URL: `/ws/chat/?token=…` and `/ws/notifications/?token=…` use the user's shared socket. */
export declare function useWebSocket<Data = ServerFrame>(
  url: string | null | undefined, options?: UseWebSocketOptions<Data>,
): UseWebSocketResult;

/** A message as the source's hooks keep it: the project's message, with the receipt fields they set. */
export type CompatMessage = Message;

export interface UseChatWebSocketResult {
  isConnected: boolean;
  /** By conversation id, oldest first, each once; the user's own from `message_sent`. */
  messages: { [conversationId: number]: CompatMessage[] };
  /** `{ [sender_id]: true }` for whoever is typing to the user now (the source set `false`; here the key goes). */
  typingUsers: { [senderId: string]: boolean };
  onlineUsers: Set<Id>;
  /** Returns the `temp_id` (a fresh unique one by default); the send is retried with it until stored. */
  sendChatMessage: (receiverId: IdInput, message: string, tempId?: string) => string;
  /** `true` at most once per 2 s per receiver (several callers may call it on every keystroke); `false` only after a `true`. */
  sendTypingIndicator: (receiverId: IdInput, isTyping: boolean) => void;
  markAsRead: (messageIdOrIds: IdInput | IdInput[]) => void;
  markConversationAsRead: (conversationId: IdInput) => void;
  /** Not in the source: the socket's status, the user's id, the conversation list and the total unread. */
  status: CompatStatus;
  userId: Id | null;
  conversations: Conversation[];
  unreadCount: number;
}

/** The chat socket for `authToken` (none without one). */
export declare function useChatWebSocket(authToken: string | null | undefined): UseChatWebSocketResult;

export interface UseNotificationWebSocketResult {
  isConnected: boolean;
  /** Newest first, each once by id; loaded over REST on mount. */
  notifications: NotificationEntry[];
  unreadCount: number;
  markNotificationAsRead: (id: IdInput) => void;
  markAllAsRead: () => void;
  /** Asks the server again (the answer updates `unreadCount`); returns the count known now. */
  getUnreadCount: () => number;
  /** Not in the source. */
  status: CompatStatus;
}

/** The notification socket for `authToken` (none without one). */
export declare function useNotificationWebSocket(authToken: string | null | undefined): UseNotificationWebSocketResult;

export interface UseTypingIndicatorResult {
  /** On every keystroke: `true` at once and every 2.5 s while typing goes on; `false` after 3 s idle. */
  startTyping: () => void;
  /** `false` at once (on blur and on send). */
  stopTyping: () => void;
}

export declare function useTypingIndicator(
  sendTypingFn: (receiverId: IdInput, isTyping: boolean) => void,
  receiverId: IdInput | null | undefined,
): UseTypingIndicatorResult;
