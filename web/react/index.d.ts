/**
 * Type declarations of `erp-comm-web/react` (web/react/index.js): React hooks over the client
 * (docs/frontend.md). React is a peer; these declarations use its types (`@types/react`).
 *
 * Every hook takes `{ baseUrl, token, WebSocket, fetch }` (or reads them from
 * `<RealtimeProvider>`, its own options winning); hooks with the same server and token share one
 * session, and so one socket per endpoint, started with the options of the first of them. Until a
 * token is there (and during the first render) there is no session: the state is the empty one,
 * and the actions do nothing and return `undefined`, except `sendMessage`, `acknowledge` and
 * `setPreferences`, which throw.
 */
import type { ReactElement, ReactNode } from "react";

import type {
  AcknowledgeResult, Block, ChatSession, ChatSessionOptions, ChatState, Conversation, HistoryPage, Id, IdInput,
  MuteOptions, MuteResult, NotificationPreferences, NotificationSession, NotificationSessionOptions,
  NotificationState, OutboxEntry, PresenceState, ReactableMessage, SendMessageOptions, TypingState,
  UploadedAttachment, WebSocketConstructor,
} from "../client/index.js";

export { awaitsAcknowledgement, hasReacted, messageStatus } from "../client/index.js";
export type { MessageStatus } from "../client/index.js";

/** Where the hooks connect, given to `<RealtimeProvider>` or to each hook. */
export interface RealtimeOptions {
  /** The backend's origin (`https://erp.example.com`); default the page's origin. */
  baseUrl?: string | undefined;
  /** The user's API token; no session (nothing connects) without one. */
  token?: string | null | undefined;
  /** The WebSocket class; default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor | undefined;
  /** For the REST calls; default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
}

export interface RealtimeProviderProps extends RealtimeOptions {
  children?: ReactNode;
}

/** Supplies `baseUrl`, `token` (and optionally `WebSocket`, `fetch`) to every hook below it. */
export declare function RealtimeProvider(props: RealtimeProviderProps): ReactElement;

/**
 * What the nearest `<RealtimeProvider>` supplies (`{ baseUrl, token, WebSocket, fetch }`; `{}`
 * without one), for hooks built outside this module.
 */
export declare function useRealtimeConfig(): RealtimeOptions;

/** `useChat`, `usePresence`: where to connect, and the chat client's options (reconnect backoff, timings). */
export interface ChatHookOptions extends RealtimeOptions, Partial<Omit<ChatSessionOptions, keyof RealtimeOptions>> {}

/** `useNotifications`: where to connect, and the socket's options. */
export interface NotificationHookOptions
  extends RealtimeOptions, Partial<Omit<NotificationSessionOptions, keyof RealtimeOptions>> {}

/** `useTyping`: the chat hooks' options, and whom the composer types to. */
export interface TypingHookOptions extends ChatHookOptions {
  /** The person the composer writes to: `onInput()` and `stopTyping()` need it. */
  receiverId?: IdInput | null | undefined;
}

/** What `useChat` returns: the chat state and the actions on it. */
export interface UseChatResult extends ChatState {
  /** Total unread messages (the same as `totalUnread`). */
  unreadCount: number;
  /** `status === "open"`. */
  isConnected: boolean;
  /**
   * Queues a send (`replyToId`: a message of the same conversation to answer); returns the outbox
   * entry (`entry.temp_id`, `entry.sent`). Throws without a session (no token yet).
   */
  sendMessage: (receiverId: IdInput, text?: string, options?: SendMessageOptions) => OutboxEntry;
  /**
   * Marks what the user received in a conversation read, up to `upToId`, the newest message id on
   * screen (default: the newest loaded); returns whether a receipt was sent.
   */
  markAsRead: (conversationId: Id, upToId?: Id | null) => boolean | undefined;
  /** REST history with a user, merged into `messages`. */
  loadHistory: (userId: IdInput, options?: { limit?: number | undefined }) => Promise<HistoryPage> | undefined;
  /** The page before the oldest loaded message; resolves with whether more remain. */
  loadOlder: (userId: IdInput, conversationId: Id) => Promise<boolean> | undefined;
  refreshConversations: () => Promise<Conversation[]> | undefined;
  /** `POST chats/attachments/`; pass the returned `id` as `attachmentId`. */
  uploadAttachment: (file: Blob, name?: string) => Promise<UploadedAttachment> | undefined;
  /** The user's own message, within the edit window; shows when `message_edited` returns. */
  editMessage: (messageId: IdInput, text: string) => void;
  /** The user's own message; shows when `message_deleted` returns. */
  deleteMessage: (messageId: IdInput) => void;
  react: (messageId: IdInput, emoji: string) => void;
  unreact: (messageId: IdInput, emoji: string) => void;
  /** Adds or removes the user's emoji, by whether it is there. */
  toggleReaction: (message: ReactableMessage, emoji: string) => void;
  /** REST; `until` a Date or ISO string, none for "until unmuted". */
  mute: (conversationId: IdInput, options?: MuteOptions) => Promise<MuteResult> | undefined;
  unmute: (conversationId: IdInput) => Promise<void> | undefined;
  /** REST; `blocks` follows when the server answered, and the person stops showing online. */
  block: (userId: IdInput) => Promise<Block> | undefined;
  unblock: (userId: IdInput) => Promise<void> | undefined;
  /** A new function whenever the blocks change, so that it works as a dependency. */
  isBlocked: (userId: Id) => boolean;
  /** The shared session behind the hook; null until connected. */
  session: ChatSession | null;
}

/** What `useTyping` returns. */
export interface UseTypingResult extends TypingState {
  /** Whether `senderId` is typing to the user. */
  isTyping: (senderId: IdInput) => boolean;
  /** The composer calls it on every keystroke (debounced by the client); needs `receiverId`. */
  onInput: () => void;
  /** Ends the typing spell now; needs `receiverId`. */
  stopTyping: () => void;
}

/** What `usePresence` returns. */
export interface UsePresenceResult extends PresenceState {
  isOnline: (userId: Id) => boolean;
  /** Asks the server (the answer updates `onlineUsers`); false if the socket is not open. */
  requestStatus: (userId: IdInput) => boolean | undefined;
}

/** What `useNotifications` returns: the notification state and the actions on it. */
export interface UseNotificationsResult extends NotificationState {
  /** `status === "open"`. */
  isConnected: boolean;
  markAsRead: (id: Id) => void;
  markAllAsRead: () => void;
  dismiss: (id: Id) => void;
  /** Reloads the newest notifications over REST. */
  refresh: () => Promise<void> | undefined;
  /** REST, for a notification with `requires_ack`; rejects with `ApiError` (400) otherwise. Throws without a session. */
  acknowledge: (id: IdInput) => Promise<AcknowledgeResult>;
  /** REST; `preferences` changes at once and is put back if the server refuses. Throws without a session. */
  setPreferences: (preferences: { emailDigest: boolean }) => Promise<NotificationPreferences>;
  loadPreferences: () => Promise<NotificationPreferences | null> | undefined;
  /** The shared session behind the hook (its `store`, `client` and `api`); null until connected. */
  session: NotificationSession | null;
}

/** Messages, conversations, unread counts and blocks, and the actions on them. */
export declare function useChat(options?: ChatHookOptions): UseChatResult;

/** Who is typing to the user (`typingUsers` by sender id) and, given `receiverId`, the composer's `onInput()`. */
export declare function useTyping(options?: TypingHookOptions): UseTypingResult;

/** `onlineUsers` (a Set of user ids), `lastSeen` by user id, `isOnline(id)`, `requestStatus(id)`. */
export declare function usePresence(options?: ChatHookOptions): UsePresenceResult;

/** The bell: notifications (newest first, each once by id), the unread count, preferences, and the actions. */
export declare function useNotifications(options?: NotificationHookOptions): UseNotificationsResult;
