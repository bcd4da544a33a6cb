/**
 * A browser-like global environment (jsdom) for rendering React in Node. Imported before React;
 * Node's own fetch and WebSocket stay in place, so the hooks talk to the real server.
 */
import { JSDOM } from "jsdom";

import { BASE_URL } from "./helpers.js";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { url: BASE_URL, pretendToBeVisual: true });
for (const name of Object.getOwnPropertyNames(dom.window)) {
  if (!(name in globalThis)) globalThis[name] = dom.window[name];
}
globalThis.window = dom.window;
globalThis.document = dom.window.document;

