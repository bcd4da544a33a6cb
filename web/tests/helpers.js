/**
 * What the client tests share: the server and users the pytest driver started
 * (tests/browser/test_js_client.py), and a WebSocket "tap" that records and can disturb traffic.
 */
import { setTimeout as sleep } from "node:timers/promises";

export const BASE_URL = required("E2E_BASE_URL");
/** Users made for this run: [{id, username, password, token}], each test takes its own. */
export const USERS = JSON.parse(required("E2E_USERS"));

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run these tests through pytest (tests/browser/test_js_client.py)`);
  return value;
}

let nextUser = 0;
/** A fresh user for one test, so that rate limits and conversations never leak between tests. */
export function takeUser() {
  if (nextUser >= USERS.length) throw new Error("not enough users: raise E2E_USER_COUNT in the pytest driver");
  return USERS[nextUser++];
}

/**
 * A WebSocket class for the client's `WebSocket` option that keeps every frame sent, and lets a
 * test duplicate or swallow incoming frames, or run code after a frame was sent.
 */
export function makeTap() {
  const tap = { sent: [], sockets: [], duplicateIncoming: false, muteIncoming: false, afterSend: null };
  tap.WebSocket = class TappedWebSocket extends globalThis.WebSocket {
    constructor(url) {
      super(url);
      tap.sockets.push(this);
    }

    set onmessage(listener) {
      super.onmessage = listener && ((event) => {
        if (tap.muteIncoming) return;
        listener(event);
        if (tap.duplicateIncoming) listener(event);
      });
    }

    get onmessage() {
      return super.onmessage;
    }

    send(data) {
      const frame = JSON.parse(data);
      tap.sent.push(frame);
      super.send(data);
      tap.afterSend?.(this, frame);
    }
  };
  tap.sentOf = (type) => tap.sent.filter((frame) => frame.type === type);
  return tap;
}

/** Polls `predicate` until it holds (the machine is slow and shared: generous timeouts, no fixed sleeps). */
export async function eventually(predicate, { timeoutMs = 15000, intervalMs = 50, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Records every event of `types` that `emitter` emits. */
export function record(emitter, ...types) {
  const events = Object.fromEntries(types.map((type) => [type, []]));
  for (const type of types) emitter.on(type, (value) => events[type].push(value));
  return events;
}

export function authHeaders(user) {
  return { Authorization: `Token ${user.token}`, "Content-Type": "application/json" };
}

/** The conversation with `other` as the server stores it (REST), to count stored messages. */
export async function history(user, other) {
  const response = await fetch(`${BASE_URL}/api/v1/communication/chats/conversation/${other.id}/?limit=100`, {
    headers: authHeaders(user),
  });
  if (!response.ok) throw new Error(`history: HTTP ${response.status}`);
  return response.json();
}

export { sleep };
