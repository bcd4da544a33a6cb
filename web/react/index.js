/**
 * React hooks over the client (docs/frontend.md). React is a peer: this module imports it from
 * the application, so it uses the application's copy.
 *
 * State shapes: `useChat().messages` is `{[conversationId]: Message[]}` (oldest first),
 * `useTyping().typingUsers` is `{[senderId]: {sender_id, sender_name, timestamp}}`,
 * `usePresence().onlineUsers` is a `Set` of user ids, `useNotifications().unreadCount` a number.
 *
 * Every hook takes `{baseUrl, token, WebSocket}` (or reads them from `<RealtimeProvider>`); hooks
 * with the same server and token share one socket.
 */
import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore } from "react";

import { sharedChatSession, sharedNotificationSession } from "../client/session.js";
import { ChatStore, NotificationStore, PresenceStore, TypingStore } from "../client/stores.js";

const RealtimeContext = createContext({});

/** Supplies `baseUrl`, `token` (and optionally `WebSocket`, `fetch`) to every hook below it. */
export function RealtimeProvider({ children, baseUrl, token, WebSocket, fetch }) {
  const value = useMemo(() => ({ baseUrl, token, WebSocket, fetch }), [baseUrl, token, WebSocket, fetch]);
  return createElement(RealtimeContext.Provider, { value }, children);
}

/**
 * What the nearest `<RealtimeProvider>` supplies (`{baseUrl, token, WebSocket, fetch}`; `{}` without
 * one), for hooks built outside this module (`web/react/compat.js`).
 */
export function useRealtimeConfig() {
  return useContext(RealtimeContext);
}

const IDLE = {
  chat: new ChatStore(), typing: new TypingStore(), presence: new PresenceStore(), notifications: new NotificationStore(),
};

function useSession(acquire, options) {
  const merged = { ...useContext(RealtimeContext), ...defined(options) };
  const { token, baseUrl } = merged;
  const [session, setSession] = useState(null);
  const latest = useLatest(merged);
  useEffect(() => {
    if (!token) return undefined;
    const { session: shared, release } = acquire(latest.current);
    setSession(shared);
    return () => {
      setSession(null);
      release();
    };
  }, [acquire, token, baseUrl, latest]);
  return session;
}

function defined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function useLatest(value) {
  const [ref] = useState(() => ({ current: value }));
  ref.current = value;
  return ref;
}

function useStore(store) {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/**
 * Messages, conversations, unread counts and blocks, and the actions on them.
 * `sendMessage(receiverId, text, {attachmentId, replyToId})` returns the outbox entry (its `temp_id`).
 * Edits, deletions and reactions show when their event returns; mutes and blocks when the server answered.
 */
export function useChat(options = {}) {
  const session = useSession(sharedChatSession, options);
  const store = session?.chat ?? IDLE.chat;
  const state = useStore(store);
  const sendMessage = useCallback((receiverId, text, extra) => {
    if (!session) throw new Error("useChat: not connected yet (no token?)");
    return session.sendMessage(receiverId, text, extra);
  }, [session]);
  const markAsRead = useCallback(
    (conversationId, upToId) => session?.markConversationRead(conversationId, { upToId }), [session]);
  const loadHistory = useCallback((userId, extra) => session?.loadHistory(userId, extra), [session]);
  const loadOlder = useCallback((userId, conversationId) => session?.loadOlder(userId, conversationId), [session]);
  const refreshConversations = useCallback(() => session?.refreshConversations(), [session]);
  const uploadAttachment = useCallback((file, name) => session?.uploadAttachment(file, name), [session]);
  const editMessage = useCallback((messageId, text) => session?.editMessage(messageId, text), [session]);
  const deleteMessage = useCallback((messageId) => session?.deleteMessage(messageId), [session]);
  const react = useCallback((messageId, emoji) => session?.react(messageId, emoji), [session]);
  const unreact = useCallback((messageId, emoji) => session?.unreact(messageId, emoji), [session]);
  const toggleReaction = useCallback((message, emoji) => session?.toggleReaction(message, emoji), [session]);
  const mute = useCallback((conversationId, extra) => session?.mute(conversationId, extra), [session]);
  const unmute = useCallback((conversationId) => session?.unmute(conversationId), [session]);
  const block = useCallback((userId) => session?.block(userId), [session]);
  const unblock = useCallback((userId) => session?.unblock(userId), [session]);
  // A new function whenever the blocks change, so that it works as a dependency.
  const isBlocked = useCallback((userId) => store.hasBlocked(userId), [store, state.blocks]);
  return {
    ...state,
    unreadCount: state.totalUnread,
    isConnected: state.status === "open",
    sendMessage, markAsRead, loadHistory, loadOlder, refreshConversations, uploadAttachment,
    editMessage, deleteMessage, react, unreact, toggleReaction, mute, unmute, block, unblock, isBlocked,
    session,
  };
}

/**
 * Who is typing to the user (`typingUsers` by sender id), and — given `receiverId` — `onInput()`
 * to call on every keystroke (debounced by the client) and `stopTyping()`.
 */
export function useTyping({ receiverId, ...options } = {}) {
  const session = useSession(sharedChatSession, options);
  const { typingUsers } = useStore(session?.typing ?? IDLE.typing);
  const onInput = useCallback(() => {
    if (session && receiverId != null) session.typingTo(receiverId);
  }, [session, receiverId]);
  const stopTyping = useCallback(() => {
    if (session && receiverId != null) session.stopTypingTo(receiverId);
  }, [session, receiverId]);
  const isTyping = useCallback((senderId) => senderId in typingUsers, [typingUsers]);
  return { typingUsers, isTyping, onInput, stopTyping };
}

/** `onlineUsers` (a Set of user ids), `lastSeen` by user id, `isOnline(id)`, `requestStatus(id)`. */
export function usePresence(options = {}) {
  const session = useSession(sharedChatSession, options);
  const { onlineUsers, lastSeen } = useStore(session?.presence ?? IDLE.presence);
  const isOnline = useCallback((userId) => onlineUsers.has(userId), [onlineUsers]);
  const requestStatus = useCallback((userId) => session?.client.requestOnlineStatus(userId), [session]);
  return { onlineUsers, lastSeen, isOnline, requestStatus };
}

/**
 * `notifications` (newest first, each once by id, with `count`, `requires_ack`, `acknowledged_at`
 * and, after a reminder, `reminder: true`), `unreadCount`, `preferences` (`{email_digest,
 * last_digest_at}`, null until loaded), and `markAsRead(id)`, `markAllAsRead()`, `dismiss(id)`,
 * `acknowledge(id)` (REST), `setPreferences({emailDigest})` (REST), `loadPreferences()`.
 */
export function useNotifications(options = {}) {
  const session = useSession(sharedNotificationSession, options);
  const state = useStore(session?.store ?? IDLE.notifications);
  const markAsRead = useCallback((id) => session?.markRead(id), [session]);
  const markAllAsRead = useCallback(() => session?.markAllRead(), [session]);
  const dismiss = useCallback((id) => session?.dismiss(id), [session]);
  const refresh = useCallback(() => session?.refresh(), [session]);
  const acknowledge = useCallback((id) => {
    if (!session) throw new Error("useNotifications: not connected yet (no token?)");
    return session.acknowledge(id);
  }, [session]);
  const setPreferences = useCallback((preferences) => {
    if (!session) throw new Error("useNotifications: not connected yet (no token?)");
    return session.setPreferences(preferences);
  }, [session]);
  const loadPreferences = useCallback(() => session?.loadPreferences(), [session]);
  return {
    ...state, isConnected: state.status === "open", markAsRead, markAllAsRead, dismiss, refresh,
    acknowledge, setPreferences, loadPreferences, session,
  };
}

export { awaitsAcknowledgement, hasReacted, messageStatus } from "../client/stores.js";
