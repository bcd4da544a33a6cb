/**
 * The drop-in `useWebSocket` on a URL other than the project's sockets, with a stand-in WebSocket
 * class (no server): what the source documented, frames sent before the socket opens are queued
 * and flushed on open, chat-shaped ones included; typing and pings are dropped instead. Run by
 * tests/browser/test_compat_hooks.py; the project's sockets are tested there in a browser.
 */
import "./dom-env.js";

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { createElement as h } from "react";

import { useWebSocket } from "../react/compat.js";
import { RealtimeProvider } from "../react/index.js";

class StandInSocket {
  static made = [];

  constructor(url) {
    this.url = url;
    this.sent = [];
    StandInSocket.made.push(this);
  }

  send(data) {
    this.sent.push(JSON.parse(data));
  }

  close() {}
}

afterEach(() => {
  cleanup();
  StandInSocket.made = [];
});

function renderOnPlainUrl(path, options = {}) {
  const wrapper = ({ children }) => h(RealtimeProvider, { baseUrl: "http://erp.example.test", WebSocket: StandInSocket }, children);
  return renderHook(() => useWebSocket(path, options), { wrapper });
}

test("frames sent before a plain socket opens are queued and flushed on open, in order", async () => {
  const received = [];
  const { result } = renderOnPlainUrl("/ws/other/", { onMessage: (data) => received.push(data) });
  await waitFor(() => assert.equal(StandInSocket.made.length, 1));
  const [socket] = StandInSocket.made;
  assert.equal(socket.url, "ws://erp.example.test/ws/other/");
  let went;
  act(() => {
    went = [
      result.current.sendMessage({ type: "message", receiver_id: 2, message: "queued, not lost" }),
      result.current.sendMessage({ receiver_id: 2, message: "no type" }),
      result.current.sendMessage({ type: "typing", receiver_id: 2, is_typing: true }),
      result.current.sendMessage({ type: "hello" }),
    ];
  });
  assert.deepEqual(went, [false, false, false, false]);
  assert.deepEqual(socket.sent, []);

  act(() => socket.onopen());
  await waitFor(() => assert.equal(result.current.isConnected, true));
  assert.deepEqual(socket.sent, [
    { type: "message", receiver_id: 2, message: "queued, not lost" },
    { receiver_id: 2, message: "no type" },
    { type: "hello" },
  ]);
  act(() => socket.onmessage({ data: JSON.stringify({ type: "welcome" }) }));
  assert.deepEqual(received, [{ type: "welcome" }]);
  act(() => assert.equal(result.current.sendMessage({ type: "now" }), true));
  assert.deepEqual(socket.sent.at(-1), { type: "now" });
});
