/**
 * Drop-in replacements for the source system's hooks (`useWebSocket`, `useChatWebSocket`,
 * `useNotificationWebSocket`, `useTypingIndicator`): the same names, arguments and return shapes,
 * built on this project's client so that the source's defects go away. Changing the import line
 * (`from "erp-comm-web/react/compat"`) is the whole migration (docs/frontend.md, "Migrating from the
 * source hooks").
 *
 * What differs from the source, on purpose:
 * - One socket per user and family (`/ws/chat/`, `/ws/notifications/`), shared by every hook
 *   instance and by the project's own hooks (`web/react/index.js`): the shared sessions of
 *   `web/client/session.js`. React's StrictMode double mount reuses it too.
 * - The base URL comes from `<RealtimeProvider baseUrl>` when there is one, else from the page
 *   (`window.location`); the source hard-coded `ws://localhost:8000`.
 * - Reconnects back off exponentially with jitter, capped (30 s); never after close 4001 (bad
 *   token), 4029 (evicted: too many sockets) or a refused handshake (HTTP 403, the page's origin is
 *   not allowed: seen as a close 1006 before the socket opened while the server answers HTTP).
 *   Back online (the browser's `online` event), the socket reconnects at once.
 * - Every reconnect resumes the event stream (`seq`): nothing missed, nothing twice. Messages are
 *   de-duplicated by `id`, stream events by `seq`; the sender's own messages are added from
 *   `message_sent`; receipts update `is_read`/`read_at`/`delivered_at` on the message.
 * - Typing `true` is repeated every 2.5 s while the user keeps typing (the server forgets it 5 s
 *   after the last one), so the other side keeps showing it; `typingUsers` stays true while the
 *   other person's indicator is refreshed.
 * - Presence (`onlineUsers`, from the conversation list) and the notification inbox are loaded on
 *   mount and after a stream that cannot be resumed.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";

import { Emitter } from "../client/emitter.js";
import { RecentSet, toId } from "../client/ids.js";
import { sharedByKey, sharedChatSession, sharedNotificationSession } from "../client/session.js";
import { backoffDelay, CLOSE_AUTH_FAILED, CLOSE_EVICTED, socketBaseUrl, STATUS } from "../client/socket.js";
import { ChatStore, NotificationStore, PresenceStore, TypingStore } from "../client/stores.js";
import { useRealtimeConfig } from "./index.js";

/** Chromium's code for a socket that failed (a refused handshake, no network). */
const CLOSE_ABNORMAL = 1006;
/** `status` once a handshake was refused: no retry until the page (or the hook) starts again. */
export const STATUS_REFUSED = "refused";
/** While the user keeps typing, `true` is sent again this often (the server forgets it after 5 s). */
export const TYPING_REFRESH_MS = 2500;
/** `false` is sent after this long without a keystroke. */
export const TYPING_IDLE_MS = 3000;
/** Frames queued by `useWebSocket().sendMessage` while not open, at most (the oldest go first). */
const QUEUE_LIMIT = 200;

const IDLE = { chat: new ChatStore(), typing: new TypingStore(), presence: new PresenceStore(), notifications: new NotificationStore() };
const FAMILIES = {
  "/ws/chat/": { acquire: sharedChatSession, store: (session) => session.chat },
  "/ws/notifications/": { acquire: sharedNotificationSession, store: (session) => session.store },
};

// Plumbing ------------------------------------------------------------------------------------

function useLatest(value) {
  const ref = useRef(value);
  ref.current = value;
  return ref;
}

function useStore(store) {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

function defined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/** Whether the server behind a socket URL answers HTTP (so a failed handshake was refused, not lost). */
async function serverAnswers(socketUrl) {
  if (typeof globalThis.fetch !== "function") return false;
  const url = new URL(socketUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  try {
    const response = await globalThis.fetch(`${url.origin}/`, {
      method: "HEAD", mode: "no-cors", cache: "no-store", credentials: "omit",
    });
    return response.type === "opaque" || response.status < 500;
  } catch {
    return false;
  }
}

const guarded = new WeakSet();

/**
 * Adds to a shared session's `ReconnectingSocket` what the source's users need besides the
 * client's own rules: reconnect at once when the browser is back online, and no retry when the
 * handshake is refused (HTTP 403 cannot be read in a browser: a failure before the socket opened,
 * while the server answers HTTP, is one). The pending reconnect waits for that check.
 */
function guardSocket(socket, { onRefused }) {
  if (guarded.has(socket)) return;
  guarded.add(socket);
  let opened = false;
  const online = () => socket.reconnectNow();
  globalThis.addEventListener?.("online", online);
  socket.on("connected", () => {
    opened = true;
  });
  socket.on("status", (status) => {
    if (status === STATUS.CLOSED || status === STATUS.AUTH_FAILED || status === STATUS.EVICTED) {
      globalThis.removeEventListener?.("online", online);
    }
  });
  socket.on("closed", ({ code }) => {
    const failedBeforeOpen = !opened;
    opened = false;
    // The socket schedules its reconnect after telling of the close: decide once it has.
    if (code === CLOSE_ABNORMAL && failedBeforeOpen) queueMicrotask(() => checkRefusal(socket, onRefused));
  });
}

/** Holds a reconnect back until the server says whether it refused the handshake (then: none). */
function checkRefusal(socket, onRefused) {
  if (!socket.reconnectTimer) return;
  clearTimeout(socket.reconnectTimer);
  socket.reconnectTimer = null;
  const started = Date.now();
  const delay = backoffDelay(Math.max(0, socket.attempt - 1), socket.options, socket.random);
  serverAnswers(socket.url).then((refused) => {
    // Closed meanwhile (the last hook went away), or already reconnecting: nothing to decide.
    if (socket.status !== STATUS.RECONNECTING || socket.ws || socket.reconnectTimer) return;
    if (refused) {
      onRefused();
      return;
    }
    socket.reconnectTimer = setTimeout(() => {
      socket.reconnectTimer = null;
      socket.connect();
    }, Math.max(0, delay - (Date.now() - started)));
  });
}

function guardChatSession(session) {
  guardSocket(session.client.socket, {
    onRefused: () => {
      session.client.close();
      session.chat.set({ status: STATUS_REFUSED });
    },
  });
}

function guardNotificationSession(session) {
  guardSocket(session.client.socket, {
    onRefused: () => {
      session.client.close();
      session.store.set({ status: STATUS_REFUSED });
    },
  });
}

function guardSession(session) {
  if ("chat" in session) guardChatSession(session);
  else guardNotificationSession(session);
}

/**
 * The shared session of `acquire` for `token`, held while the component is mounted (or until
 * `released`). `baseUrl`: an explicit one, else the provider's, else the page's.
 */
function useSharedSession(acquire, token, { baseUrl: explicitBaseUrl, enabled = true } = {}) {
  const config = useRealtimeConfig() ?? {};
  const baseUrl = explicitBaseUrl ?? config.baseUrl;
  const latest = useLatest(config);
  const [session, setSession] = useState(null);
  useEffect(() => {
    if (!token || !enabled) return undefined;
    const { WebSocket, fetch } = latest.current;
    const { session: shared, release } = acquire(defined({ baseUrl, token, WebSocket, fetch }));
    guardSession(shared);
    setSession(shared);
    return () => {
      setSession(null);
      release();
    };
  }, [acquire, token, baseUrl, enabled, latest]);
  return session;
}

/** Calls made before the session exists (the first render) run once it does, in order. */
function useUntilReady(session) {
  const waiting = useRef([]);
  useEffect(() => {
    if (!session) return;
    const calls = waiting.current.splice(0);
    for (const call of calls) call(session);
  }, [session]);
  return useCallback((call) => {
    if (session) return call(session);
    waiting.current.push(call);
    return undefined;
  }, [session]);
}

// useWebSocket --------------------------------------------------------------------------------

/** A frame passed on before (`message`/`message_sent` by id, a notification by version): not again. */
function makeRepeatFilter() {
  const seen = new RecentSet();
  return (frame) => {
    if ((frame.type === "message" || frame.type === "message_sent") && frame.id != null) return !seen.add(`m:${frame.id}`);
    if (frame.type === "notification" && frame.notification?.id != null && !frame.reminder) {
      const { id, count = 1, created_at: createdAt } = frame.notification;
      return !seen.add(`n:${id}:${count}:${createdAt}`);
    }
    return false;
  };
}

/**
 * A socket to an endpoint other than the two families: the source's options (`reconnectAttempts`
 * in a row, `reconnectInterval` doubled per attempt), with jitter and a 30 s cap, and none of the
 * retries the source made after 4001, 4029 or a refused handshake. Shared by the hooks with the
 * same URL.
 */
class PlainSocket extends Emitter {
  constructor(url, { reconnectAttempts = 5, reconnectInterval = 2000, WebSocket: Impl = globalThis.WebSocket } = {}) {
    super();
    this.url = url;
    this.WebSocket = Impl;
    this.maxAttempts = reconnectAttempts;
    this.backoff = { initialDelayMs: reconnectInterval, maxDelayMs: 30000, backoffFactor: 2 };
    this.status = STATUS.IDLE;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
  }

  get isOpen() {
    return this.status === STATUS.OPEN;
  }

  connect() {
    if (this.ws || this.status === STATUS.OPEN) return this;
    clearTimeout(this.timer);
    this.timer = null;
    this.setStatus(this.attempt === 0 ? STATUS.CONNECTING : STATUS.RECONNECTING);
    const ws = new this.WebSocket(this.url);
    let opened = false;
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.setStatus(STATUS.OPEN);
      this.emit("connected", null);
    };
    ws.onmessage = (event) => {
      let frame = event.data;
      try {
        frame = JSON.parse(event.data);
      } catch {
        // Not JSON: passed on as it is.
      }
      this.emit("frame", frame);
    };
    ws.onerror = (event) => this.emit("error", event);
    ws.onclose = (event) => this.closed(ws, event, opened);
    return this;
  }

  async closed(ws, { code, reason }, opened) {
    if (ws !== this.ws) return;
    this.ws = null;
    const terminal = { [CLOSE_AUTH_FAILED]: STATUS.AUTH_FAILED, [CLOSE_EVICTED]: STATUS.EVICTED }[code];
    const refused = !terminal && !opened && code === CLOSE_ABNORMAL && await serverAnswers(this.url);
    if (this.status === STATUS.CLOSED) return; // closed by the page meanwhile
    const givenUp = !terminal && !refused && this.attempt >= this.maxAttempts;
    const willReconnect = !terminal && !refused && !givenUp;
    this.emit("closed", { code, reason, willReconnect });
    if (!willReconnect) {
      this.setStatus(terminal ?? (refused ? STATUS_REFUSED : STATUS.CLOSED));
      return;
    }
    const delay = backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.setStatus(STATUS.RECONNECTING);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
    return true;
  }

  reconnectNow() {
    if (this.timer) this.connect();
  }

  close() {
    clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onmessage = ws.onclose = ws.onerror = ws.onopen = null;
      ws.close(1000, "client closed");
    }
    this.setStatus(STATUS.CLOSED);
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.emit("status", status);
  }
}

const plainSockets = sharedByKey(({ socket, forget }) => {
  forget();
  socket.close();
});

function acquirePlainSocket(url, options) {
  const { value, release } = plainSockets(url, () => {
    const socket = new PlainSocket(url, options).connect();
    const online = () => socket.reconnectNow();
    globalThis.addEventListener?.("online", online);
    return { socket, forget: () => globalThis.removeEventListener?.("online", online) };
  });
  return { socket: value.socket, release };
}

/** `url` (absolute, or a path against the provider's or the page's host) -> what to connect to. */
function resolveSocketUrl(url, providerBaseUrl) {
  if (!url) return null;
  const defaultBase = socketBaseUrl(providerBaseUrl);
  const resolved = new URL(url, defaultBase);
  if (resolved.protocol === "http:") resolved.protocol = "ws:";
  if (resolved.protocol === "https:") resolved.protocol = "wss:";
  const token = resolved.searchParams.get("token");
  const family = FAMILIES[resolved.pathname];
  if (family && token) {
    // The same key as the other hooks when it is the same server, so that they share one socket.
    const baseUrl = resolved.origin === new URL(defaultBase).origin ? providerBaseUrl : resolved.origin;
    return { family, token, baseUrl, key: `${resolved.pathname}|${baseUrl ?? ""}|${token}` };
  }
  return { url: resolved.href, key: resolved.href };
}

/** The shared session's socket and how its frames and commands reach it. */
function familyConnection(session, family) {
  const { client } = session;
  return {
    // A chat message sent through it goes to the client's outbox, open or not.
    hasOutbox: "chat" in session,
    status: () => family.store(session).state.status,
    isOpen: () => client.isOpen,
    on: (type, listener) => client.on(type, listener),
    onFrame: (listener) => client.on("frame", listener),
    send(frame) {
      // A chat message goes through the client's outbox: resent with its temp_id until stored once.
      if ("chat" in session && (frame.type === "message" || (frame.type == null && frame.receiver_id != null))) {
        session.sendMessage(frame.receiver_id, frame.message ?? "", defined({
          tempId: frame.temp_id ?? undefined, attachmentId: frame.attachment_id ?? undefined,
          replyToId: frame.reply_to_id ?? undefined,
        }));
        return true;
      }
      return client.socket.send(frame);
    },
  };
}

function plainConnection(socket) {
  return {
    hasOutbox: false,
    status: () => socket.status,
    isOpen: () => socket.isOpen,
    on: (type, listener) => socket.on(type, listener),
    onFrame: (listener) => socket.on("frame", listener),
    send: (frame) => socket.send(frame),
  };
}

/**
 * `useWebSocket(url, { onMessage, onOpen, onClose, onError, reconnectAttempts = 5,
 * reconnectInterval = 2000 })` -> `{ sendMessage(obj), disconnect(), isConnected }`.
 *
 * A `/ws/chat/` or `/ws/notifications/` URL with a `token` uses the shared socket of that user and
 * family (its reconnect policy: jittered backoff capped at 30 s, no give-up but on 4001, 4029 or a
 * refused handshake); any other URL gets a socket of its own (shared by the hooks with that URL)
 * that follows `reconnectAttempts` and `reconnectInterval`. `onMessage(data)` gets each parsed
 * frame once (duplicates by message id and `seq` are dropped). Frames sent while not open are
 * queued and flushed on open; typing and ping frames are dropped instead (stale by then).
 * `disconnect()` lets go of the socket for this hook (it closes when no other hook uses it).
 */
export function useWebSocket(url, options = {}) {
  const config = useRealtimeConfig() ?? {};
  const target = useMemo(() => resolveSocketUrl(url, config.baseUrl), [url, config.baseUrl]);
  const callbacks = useLatest(options);
  const latestConfig = useLatest(config);
  const [connection, setConnection] = useState(null);
  const [isConnected, setIsConnected] = useState(false);
  const [disconnected, setDisconnected] = useState(false);
  const queue = useRef([]);
  const releaseRef = useRef(null);

  useEffect(() => {
    setDisconnected(false);
  }, [target?.key]);

  useEffect(() => {
    if (!target || disconnected) return undefined;
    let acquired;
    let conn;
    if (target.family) {
      const { WebSocket, fetch } = latestConfig.current;
      acquired = target.family.acquire(defined({ baseUrl: target.baseUrl, token: target.token, WebSocket, fetch }));
      guardSession(acquired.session);
      conn = familyConnection(acquired.session, target.family);
    } else {
      const { reconnectAttempts, reconnectInterval } = callbacks.current;
      acquired = acquirePlainSocket(target.url, defined({ reconnectAttempts, reconnectInterval, WebSocket: latestConfig.current.WebSocket }));
      conn = plainConnection(acquired.socket);
    }
    const isRepeat = makeRepeatFilter();
    const flush = () => {
      while (queue.current.length && conn.isOpen()) conn.send(queue.current.shift());
    };
    const offs = [
      conn.onFrame((frame) => {
        if (!isRepeat(frame)) callbacks.current.onMessage?.(frame);
      }),
      conn.on("connected", (frame) => {
        setIsConnected(true);
        flush();
        callbacks.current.onOpen?.(frame);
      }),
      conn.on("status", (status) => setIsConnected(status === STATUS.OPEN)),
      conn.on("closed", (event) => {
        setIsConnected(false);
        if (event.code !== 1000 && event.code !== 1001) callbacks.current.onError?.(event);
        callbacks.current.onClose?.(event);
      }),
    ];
    if (!target.family) offs.push(conn.on("error", (event) => callbacks.current.onError?.(event)));
    setIsConnected(conn.isOpen());
    setConnection(conn);
    flush();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const off of offs) off();
      setConnection(null);
      setIsConnected(false);
      acquired.release();
    };
    releaseRef.current = release;
    return release;
  }, [target, disconnected, callbacks, latestConfig]);

  const connectionRef = useLatest(connection);
  const sendMessage = useCallback((frame) => {
    const conn = connectionRef.current;
    if (conn?.isOpen() && conn.send(frame)) return true;
    if (conn && "type" in frame && (frame.type === "typing" || frame.type === "ping")) return false;
    if (conn?.hasOutbox && (frame.type === "message" || (frame.type == null && frame.receiver_id != null))) {
      return conn.send(frame);
    }
    queue.current.push(frame);
    if (queue.current.length > QUEUE_LIMIT) queue.current.shift();
    return false;
  }, [connectionRef]);

  const disconnect = useCallback(() => {
    queue.current = [];
    releaseRef.current?.();
    setDisconnected(true);
  }, []);

  return { sendMessage, disconnect, isConnected };
}

// useChatWebSocket ----------------------------------------------------------------------------

const typingSent = new WeakMap();

/** When `is_typing:true` last went to each receiver on a session's socket (cleared when it closes). */
function typingState(session) {
  let state = typingSent.get(session);
  if (!state) {
    state = new Map();
    typingSent.set(session, state);
    session.client.on("closed", () => state.clear()); // the server ends typing with the socket
  }
  return state;
}

/**
 * `useChatWebSocket(authToken)` -> `{ isConnected, messages, typingUsers, onlineUsers,
 * sendChatMessage(receiverId, message, tempId?), sendTypingIndicator(receiverId, isTyping),
 * markAsRead(messageIdOrIds), markConversationAsRead(conversationId) }`.
 *
 * `messages` is `{ [conversation_id]: Message[] }` (oldest first, each once, the user's own from
 * `message_sent`); `typingUsers` is `{ [sender_id]: true }` for who is typing now; `onlineUsers` a
 * `Set` of user ids. `sendChatMessage` returns the `temp_id` (a fresh unique one by default); the
 * send is kept and resent with it until the server stored it. Also returned (not in the source):
 * `status`, `userId`, `conversations`, `unreadCount`.
 */
export function useChatWebSocket(authToken) {
  const session = useSharedSession(sharedChatSession, authToken);
  const whenReady = useUntilReady(session);
  const chat = useStore(session?.chat ?? IDLE.chat);
  const { typingUsers: typing } = useStore(session?.typing ?? IDLE.typing);
  const { onlineUsers } = useStore(session?.presence ?? IDLE.presence);
  const typingUsers = useMemo(() => Object.fromEntries(Object.keys(typing).map((id) => [id, true])), [typing]);

  const sendChatMessage = useCallback((receiverId, message, tempId) => {
    const id = tempId ?? newCompatTempId();
    whenReady((s) => s.sendMessage(receiverId, message, { tempId: id }));
    return id;
  }, [whenReady]);

  const sendTypingIndicator = useCallback((receiverId, isTyping) => {
    if (!session) return;
    const receiver = toId(receiverId);
    const sent = typingState(session);
    if (isTyping) {
      // Several components may call it on every keystroke: one `true` per refresh period is enough.
      if (Date.now() - (sent.get(receiver) ?? 0) < TYPING_REFRESH_MS - 500) return;
      if (session.client.socket.send({ type: "typing", receiver_id: receiver, is_typing: true })) sent.set(receiver, Date.now());
    } else if (sent.has(receiver)) {
      sent.delete(receiver);
      session.client.socket.send({ type: "typing", receiver_id: receiver, is_typing: false });
    }
  }, [session]);

  const markAsRead = useCallback((messageIdOrIds) => {
    const ids = (Array.isArray(messageIdOrIds) ? messageIdOrIds : [messageIdOrIds]).map(toId);
    if (!ids.length) return;
    whenReady((s) => {
      s.client.markRead({ messageIds: ids });
      const wanted = new Set(ids);
      const me = s.chat.state.userId;
      const readAt = new Date().toISOString();
      for (const [conversationId, list] of Object.entries(s.chat.state.messages)) {
        if (!list.some((m) => wanted.has(m.id))) continue;
        s.chat.changeMessages(Number(conversationId), (m) => (
          wanted.has(m.id) && m.receiver_id === me && !m.is_read ? { ...m, is_read: true, read_at: readAt } : m));
      }
    });
  }, [whenReady]);

  const markConversationAsRead = useCallback((conversationId) => {
    whenReady((s) => s.markConversationRead(toId(conversationId)));
  }, [whenReady]);

  return {
    isConnected: chat.status === STATUS.OPEN,
    messages: chat.messages,
    typingUsers,
    onlineUsers,
    sendChatMessage,
    sendTypingIndicator,
    markAsRead,
    markConversationAsRead,
    status: chat.status,
    userId: chat.userId,
    conversations: chat.conversations,
    unreadCount: chat.totalUnread,
  };
}

let tempCounter = 0;

/** A unique `temp_id` (the source used `Date.now()`, which two quick sends share). */
function newCompatTempId() {
  tempCounter += 1;
  const random = globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2);
  return `compat-${Date.now().toString(36)}-${tempCounter}-${random}`.slice(0, 64);
}

// useNotificationWebSocket --------------------------------------------------------------------

/**
 * `useNotificationWebSocket(authToken)` -> `{ isConnected, notifications, unreadCount,
 * markNotificationAsRead(id), markAllAsRead(), getUnreadCount() }`.
 *
 * `notifications` is the inbox (loaded over REST on mount, newest first, each once by id, live
 * ones on top); `unreadCount` the server's. `getUnreadCount()` asks the server again (the answer
 * updates `unreadCount`) and returns the count known now. Also returned: `status`.
 */
export function useNotificationWebSocket(authToken) {
  const session = useSharedSession(sharedNotificationSession, authToken);
  const whenReady = useUntilReady(session);
  const state = useStore(session?.store ?? IDLE.notifications);
  const stateRef = useLatest(state);
  const markNotificationAsRead = useCallback((id) => whenReady((s) => s.markRead(toId(id))), [whenReady]);
  const markAllAsRead = useCallback(() => whenReady((s) => s.markAllRead()), [whenReady]);
  const getUnreadCount = useCallback(() => {
    whenReady((s) => s.client.requestUnreadCount());
    return stateRef.current.unreadCount;
  }, [whenReady, stateRef]);
  return {
    isConnected: state.status === STATUS.OPEN,
    notifications: state.notifications,
    unreadCount: state.unreadCount,
    markNotificationAsRead,
    markAllAsRead,
    getUnreadCount,
    status: state.status,
  };
}

// useTypingIndicator --------------------------------------------------------------------------

/**
 * `useTypingIndicator(sendTypingFn, receiverId)` -> `{ startTyping(), stopTyping() }`.
 *
 * Call `startTyping()` on every keystroke: `sendTypingFn(receiverId, true)` goes out on the first
 * one and again every 2.5 s while keystrokes keep coming (the source sent it once, so the other
 * side lost it after the server's 5 s); `sendTypingFn(receiverId, false)` after 3 s without one,
 * at once on `stopTyping()` (call it when the message is sent), and when the receiver changes or
 * the component unmounts.
 */
export function useTypingIndicator(sendTypingFn, receiverId) {
  const send = useLatest(sendTypingFn);
  const spell = useRef(null);

  const stopTyping = useCallback(() => {
    const current = spell.current;
    if (!current) return;
    spell.current = null;
    clearTimeout(current.idleTimer);
    clearInterval(current.refreshTimer);
    send.current?.(current.receiverId, false);
  }, [send]);

  const startTyping = useCallback(() => {
    if (receiverId == null) return;
    if (spell.current && spell.current.receiverId !== receiverId) stopTyping();
    if (!spell.current) {
      const current = { receiverId, idleTimer: null, refreshTimer: null };
      spell.current = current;
      send.current?.(receiverId, true);
      current.refreshTimer = setInterval(() => send.current?.(current.receiverId, true), TYPING_REFRESH_MS);
    }
    clearTimeout(spell.current.idleTimer);
    spell.current.idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }, [receiverId, send, stopTyping]);

  // A new receiver, or the component going away, ends the spell.
  useEffect(() => stopTyping, [receiverId, stopTyping]);

  return { startTyping, stopTyping };
}
