/**
 * One WebSocket endpoint that stays connected: exponential backoff with jitter, a ping keepalive
 * that also detects dead connections, and the backend's close codes.
 *
 * It also keeps the socket's place in its event stream (docs/websocket-api.md "Resume"): the
 * newest `seq` seen (`lastSeq`). Every reconnect resumes from it (`?since=`), a frame whose `seq`
 * was seen is dropped, and one that skips a `seq` asks the open socket to resume instead of being
 * shown out of order. Pass `lastSeq` to resume a stream that an earlier page or process followed.
 *
 * Events: `status` (see STATUS), `connected` (the server's `connection` frame, after every
 * (re)connect; `resuming` says whether the missed events follow), `frame` (every server frame
 * passed on), one event per frame `type` (`resync_required` means: reload the state over REST),
 * and `closed` ({code, reason, willReconnect}).
 */
import { Emitter } from "./emitter.js";

export const CLOSE_AUTH_FAILED = 4001;
export const CLOSE_EVICTED = 4029;
/** Closed by this client because the server stopped answering pings. */
export const CLOSE_UNRESPONSIVE = 4000;

export const STATUS = Object.freeze({
  IDLE: "idle",
  CONNECTING: "connecting",
  OPEN: "open",
  RECONNECTING: "reconnecting",
  CLOSED: "closed",
  AUTH_FAILED: "auth_failed",
  EVICTED: "evicted",
});

export const DEFAULT_OPTIONS = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30000,
  backoffFactor: 2,
  pingIntervalMs: 25000,
  pongTimeoutMs: 10000,
});

/** `http://host` or `ws://host` (or nothing, in a browser: the page's own host) -> `ws(s)://host`. */
export function socketBaseUrl(baseUrl) {
  const base = baseUrl ?? globalThis.location?.origin;
  if (!base) throw new Error("baseUrl is required outside a browser page");
  const url = new URL(base);
  const scheme = { "http:": "ws:", "https:": "wss:" }[url.protocol] ?? url.protocol;
  return `${scheme}//${url.host}`;
}

/** The delay before reconnect attempt `attempt` (0-based): exponential, capped, "equal jitter". */
export function backoffDelay(attempt, { initialDelayMs, maxDelayMs, backoffFactor }, random = Math.random) {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * backoffFactor ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class ReconnectingSocket extends Emitter {
  constructor({
    baseUrl, path, token, lastSeq = null, WebSocket: Impl = globalThis.WebSocket, random = Math.random, ...options
  }) {
    super();
    if (!Impl) throw new Error("No WebSocket implementation: pass one as the WebSocket option");
    if (!token) throw new Error("token is required");
    this.url = `${socketBaseUrl(baseUrl)}${path}?token=${encodeURIComponent(token)}`;
    this.WebSocket = Impl;
    this.random = random;
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.status = STATUS.IDLE;
    this.attempt = 0;
    this.ws = null;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.deadlineTimer = null;
    this.lastSeq = lastSeq;
    // Whether this connection asked for the events missed since `lastSeq` (the URL's `since`).
    this.resuming = false;
    // Whether a `resume` frame is waiting for its `resumed` (or `resync_required`).
    this.resumeAsked = false;
  }

  get isOpen() {
    return this.status === STATUS.OPEN;
  }

  connect() {
    if (this.ws || this.status === STATUS.OPEN || this.status === STATUS.CONNECTING) return this;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.setStatus(this.attempt === 0 ? STATUS.CONNECTING : STATUS.RECONNECTING);
    this.resuming = this.lastSeq !== null;
    this.resumeAsked = false;
    const ws = new this.WebSocket(this.resuming ? `${this.url}&since=${this.lastSeq}` : this.url);
    this.ws = ws;
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => this.closed(ws, event.code, event.reason);
    // An error is always followed by a close event, which decides what happens next.
    ws.onerror = () => {};
    return this;
  }

  /** Closes for good (no reconnect) until `connect()` is called again. */
  close() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopKeepalive();
    const ws = this.ws;
    this.ws = null;
    this.attempt = 0;
    if (ws) {
      ws.onmessage = ws.onclose = null;
      ws.close(1000, "client closed");
    }
    this.setStatus(STATUS.CLOSED);
  }

  /** Skips the backoff wait (for example when the browser comes back online). */
  reconnectNow() {
    if (this.reconnectTimer) {
      this.attempt = Math.max(0, this.attempt - 1);
      this.connect();
    }
  }

  /** Sends a frame if the socket is open; returns whether it was written. */
  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    this.armDeadline();
    if (frame.type === "connection") {
      this.attempt = 0;
      if (this.lastSeq === null && Number.isInteger(frame.last_seq)) this.lastSeq = frame.last_seq;
      this.setStatus(STATUS.OPEN);
      this.startKeepalive();
      this.emit("connected", frame, { resuming: this.resuming });
    }
    if (!this.inStreamOrder(frame)) return;
    this.emit("frame", frame);
    if (typeof frame.type === "string") this.emit(frame.type, frame);
  }

  /** Whether a frame is passed on: an event (`seq`) must follow the last one seen. */
  inStreamOrder(frame) {
    // An error may answer the `resume` (rate_limited, server_error): the next hole asks again.
    if (frame.type === "resumed" || (frame.type === "error" && frame.temp_id == null)) this.resumeAsked = false;
    if (frame.type === "resync_required") {
      this.resumeAsked = false;
      this.lastSeq = frame.last_seq;
    }
    if (!Number.isInteger(frame.seq)) return true;
    if (this.lastSeq === null || frame.seq === this.lastSeq + 1) {
      this.lastSeq = frame.seq;
      return true;
    }
    if (frame.seq > this.lastSeq) this.resume();
    return false;
  }

  /** Asks the open socket for every event after the last one seen (once until it is answered). */
  resume() {
    if (this.resumeAsked || this.lastSeq === null) return;
    this.resumeAsked = this.send({ type: "resume", since: this.lastSeq });
  }

  closed(ws, code, reason) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.stopKeepalive();
    const terminal = { [CLOSE_AUTH_FAILED]: STATUS.AUTH_FAILED, [CLOSE_EVICTED]: STATUS.EVICTED }[code];
    this.emit("closed", { code, reason, willReconnect: !terminal });
    if (terminal) {
      // 4001: the token is bad, retrying cannot help. 4029: this tab was evicted because the user
      // opened too many sockets; reconnecting would evict another one, back and forth.
      this.attempt = 0;
      this.setStatus(terminal);
      return;
    }
    const delay = backoffDelay(this.attempt, this.options, this.random);
    this.attempt += 1;
    this.setStatus(STATUS.RECONNECTING);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  startKeepalive() {
    this.stopKeepalive();
    this.pingTimer = setInterval(() => this.send({ type: "ping" }), this.options.pingIntervalMs);
    this.armDeadline();
  }

  /** Any frame proves the connection alive; silence past a ping and its timeout means it is dead. */
  armDeadline() {
    if (this.status !== STATUS.OPEN) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(
      () => this.abandon(CLOSE_UNRESPONSIVE, "no answer to ping"),
      this.options.pingIntervalMs + this.options.pongTimeoutMs,
    );
  }

  /** Gives up on the current connection at once: a dead peer may never finish a close handshake. */
  abandon(code, reason) {
    const ws = this.ws;
    if (!ws) return;
    ws.onmessage = ws.onclose = null;
    try {
      ws.close(code, reason);
    } catch {
      // Already closing; the connection is dropped either way.
    }
    this.closed(ws, code, reason);
  }

  stopKeepalive() {
    clearInterval(this.pingTimer);
    clearTimeout(this.deadlineTimer);
    this.pingTimer = this.deadlineTimer = null;
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.emit("status", status);
  }
}
