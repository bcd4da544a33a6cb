/** The dependency-free client for the chat and notification sockets (docs/frontend.md). */
export { Emitter } from "./emitter.js";
export { newTempId, RecentSet, toId } from "./ids.js";
export {
  backoffDelay, CLOSE_AUTH_FAILED, CLOSE_EVICTED, CLOSE_UNRESPONSIVE, ReconnectingSocket, socketBaseUrl, STATUS,
} from "./socket.js";
export { ChatClient } from "./chat.js";
export { NotificationClient } from "./notifications.js";
export { ApiError, RestApi } from "./rest.js";
export {
  awaitsAcknowledgement, ChatStore, hasReacted, messageStatus, NotificationStore, PresenceStore, Store, TypingStore,
} from "./stores.js";
export { ChatSession, NotificationSession, sharedChatSession, sharedNotificationSession } from "./session.js";
