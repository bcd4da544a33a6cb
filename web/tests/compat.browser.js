/**
 * The drop-in hooks (web/react/compat.js) in headless Chromium against the real stack: two people
 * use the source's example ChatComponent and NotificationBell (web/tests/compat/) through ticks,
 * long typing, a network drop, a reload, and a page whose origin the server refuses. Started by
 * tests/browser/test_compat_hooks.py, which answers "@@notify <user id>" through the Celery task
 * API. Screenshots go to E2E_SCREENSHOTS (compat-*.png).
 *
 * The test page is served at the server's origin by routing /web/tests/compat/ (the page, its
 * components, and React from web/node_modules as ES modules: compat-vendor.js); the hooks and the
 * client (/web/react/, /web/client/) are served by Django as any application would load them.
 * Every page counts its sockets with a WebSocket wrapper (window.__sockets).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { vendorFiles } from "./compat-vendor.js";
import { BASE_URL, sleep, USERS } from "./helpers.js";

const WEB = dirname(dirname(fileURLToPath(import.meta.url)));
const SCREENSHOTS = process.env.E2E_SCREENSHOTS ?? "screenshots";
const NOTIFICATION_TITLE = process.env.E2E_NOTIFICATION_TITLE ?? "Timetable published";
const FOREIGN_ORIGIN = "http://foreign.example";
const WAIT = { timeout: 20000 };
const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  // The test page is served by a route, not by the server: Chromium would take it for a public page
  // and block its sockets and requests to 127.0.0.1 (Local Network Access). A real page comes from
  // the server itself (or the same network) and needs no such flag.
  "--disable-features=LocalNetworkAccessChecks,LocalNetworkAccessChecksWebSockets",
];
const NETWORK_GONE = 3000;
const TYPES = { ".js": "text/javascript", ".html": "text/html", ".css": "text/css" };

const [alice, bob] = USERS;
const VENDOR = vendorFiles();
/** What the pages logged: printed when a step fails. */
const consoleLines = [];
mkdirSync(SCREENSHOTS, { recursive: true });

function step(text) {
  console.log(`✔ ${text}`);
}

async function shoot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `compat-${name}.png`), fullPage: true });
}

/** Serves `/web/<prefix>…` of `origin` from web/ (the vendor files from memory). */
async function serve(context, origin, prefixes) {
  await context.route((url) => url.origin === origin && prefixes.some((p) => url.pathname.startsWith(p)), (route) => {
    const path = new URL(route.request().url()).pathname.slice("/web/".length);
    const vendor = path.match(/^tests\/compat\/vendor\/([\w.-]+)$/);
    const body = vendor ? VENDOR[vendor[1]] : readFile(path);
    if (body == null) return route.fulfill({ status: 404, body: "not found" });
    return route.fulfill({ status: 200, body, headers: { "Content-Type": TYPES[extname(path)] ?? "text/plain", "Cache-Control": "no-cache" } });
  });
}

function readFile(path) {
  const file = normalize(join(WEB, path));
  if (!file.startsWith(WEB) || file.includes("node_modules")) return null;
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

/** Counts the page's sockets by path: how many were made, and how many are open now. */
const SOCKET_COUNTER = () => {
  window.__sockets = [];
  const Native = window.WebSocket;
  window.WebSocket = class CountedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
};

async function sockets(page) {
  return page.evaluate(() => {
    const count = {};
    for (const socket of window.__sockets) {
      const path = new URL(socket.url).pathname;
      count[path] ??= { made: 0, open: 0 };
      count[path].made += 1;
      if (socket.readyState === WebSocket.OPEN) count[path].open += 1;
    }
    return count;
  });
}

async function assertOneSocketPerFamily(page, who) {
  const count = await sockets(page);
  assert.equal(count["/ws/chat/"]?.open, 1, `${who}: one open chat socket (${JSON.stringify(count)})`);
  assert.equal(count["/ws/notifications/"]?.open, 1, `${who}: one open notification socket (${JSON.stringify(count)})`);
  assert.deepEqual(Object.keys(count).sort(), ["/ws/chat/", "/ws/notifications/"], `${who}: no other socket`);
  return count;
}

function pageUrl(origin, me, peer, extra = {}) {
  const query = new URLSearchParams({ token: me.token, me: me.id, peer: peer.id, peerName: peer.username, ...extra });
  return `${origin}/web/tests/compat/index.html?${query}`;
}

async function waitConnected(page) {
  await page.waitForSelector('[data-testid="chat"][data-connected="true"]', WAIT);
  await page.waitForSelector('[data-testid="bell"][data-connected="true"]', WAIT);
  await page.waitForSelector('#raw-socket[data-connected="true"]', WAIT);
}

/**
 * Routes a page's sockets through the test, which can cut them (as web/tests/demo.browser.js
 * does); the context also goes offline meanwhile, so that REST fails and `online` fires on return.
 * The close code is one a browser may send (1000 or 3000-4999): Playwright closes the real
 * connection with it, and with 1001 that throws in the page and leaves the server's end open.
 * (Playwright's mock socket wraps the counting one of SOCKET_COUNTER: the counts are of real
 * connections to the server.)
 */
async function cuttableNetwork(context, page) {
  const network = { cut: false, routes: new Set() };
  await page.routeWebSocket(/\/ws\//, (route) => {
    if (network.cut) {
      route.close({ code: NETWORK_GONE, reason: "no network" });
      return;
    }
    route.connectToServer();
    network.routes.add(route);
  });
  network.drop = async () => {
    network.cut = true;
    await context.setOffline(true);
    for (const route of network.routes) route.close({ code: NETWORK_GONE, reason: "no network" });
    network.routes.clear();
  };
  network.restore = async () => {
    network.cut = false;
    await context.setOffline(false);
  };
  return network;
}

const mine = (text) => `.message.mine:has-text("${text}")`;
const theirs = (text) => `.message.theirs:has-text("${text}")`;

async function send(page, text) {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
  await page.waitForSelector(`${mine(text)}[data-message-id]`, WAIT);
}

async function main() {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  const errors = [];
  try {
    const contexts = [];
    const pages = [];
    for (const user of [alice, bob]) {
      const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
      await context.addInitScript(SOCKET_COUNTER);
      await serve(context, new URL(BASE_URL).origin, ["/web/tests/compat/"]);
      const page = await context.newPage();
      page.on("pageerror", (error) => errors.push(`${user.username}: ${error.message}`));
      page.on("console", (message) => consoleLines.push(`${user.username} console.${message.type()}: ${message.text()}`));
      page.on("requestfailed", (request) => consoleLines.push(`${user.username} request failed: ${request.url().slice(0, 120)} ${request.failure()?.errorText}`));
      contexts.push(context);
      pages.push(page);
    }
    const [alicePage, bobPage] = pages;
    const bobsNetwork = await cuttableNetwork(contexts[1], bobPage);

    // Alice's page goes through <RealtimeProvider baseUrl>, Bob's takes the page's location.
    await alicePage.goto(pageUrl(BASE_URL, alice, bob, { provider: "1" }));
    await bobPage.goto(pageUrl(BASE_URL, bob, alice, { open: "0" }));
    await waitConnected(alicePage);
    await waitConnected(bobPage);
    await assertOneSocketPerFamily(alicePage, "alice");
    await assertOneSocketPerFamily(bobPage, "bob");
    step("both pages connected (StrictMode, three hooks each): one chat and one notification socket per page");

    await send(alicePage, "Hello Bob 👋 from the compat hooks");
    const aliceTick = `${mine("from the compat hooks")} .tick`;
    assert.equal(await alicePage.textContent(aliceTick), "✓");
    assert.notEqual(await alicePage.getAttribute(aliceTick, "data-status"), "read");
    await bobPage.waitForSelector('#unread-note:has-text("1 new")', WAIT);
    await shoot(alicePage, "01-alice-sent-single-tick");
    step("alice's own message shows (from message_sent) with ✓; bob's closed chat counts it unread");

    await bobPage.click("#toggle-chat");
    await bobPage.waitForSelector(theirs("from the compat hooks"), WAIT);
    await alicePage.waitForSelector(`${aliceTick}[data-status="read"]`, WAIT);
    assert.equal(await alicePage.textContent(aliceTick), "✓✓");
    await alicePage.waitForSelector('[data-testid="presence"][data-online="true"]', WAIT);
    await send(bobPage, "Hi Alice 😀");
    await alicePage.waitForSelector(theirs("Hi Alice"), WAIT);
    await shoot(alicePage, "02-alice-double-tick-and-reply");
    step("bob opened the chat: it marked the message read and alice's tick turned ✓✓; bob's reply arrived");

    await typingPastTheServersExpiry(alicePage, bobPage);
    await networkDrop(alicePage, bobPage, bobsNetwork);

    await bobPage.reload();
    await waitConnected(bobPage);
    await bobPage.waitForSelector('[data-testid="presence"][data-online="true"]', WAIT);
    await bobPage.click("#bell");
    await bobPage.waitForSelector(`.notification:has-text("${NOTIFICATION_TITLE}")`, WAIT);
    assert.equal(await bobPage.locator(`.notification:has-text("${NOTIFICATION_TITLE}")`).count(), 1);
    assert.equal(await bobPage.textContent("#bell-count"), "1");
    await assertOneSocketPerFamily(bobPage, "bob after the reload");
    await shoot(bobPage, "05-bob-after-reload");
    step("after a reload bob sees alice online and the bell's list (loaded over REST), still one socket per family");

    await refusedOrigin(browser);
    assert.deepEqual(errors, [], "no script errors on either page");
  } finally {
    await browser.close();
  }
}

/**
 * Bob types for about 7 s without pausing 3 s: alice sees him typing all along, past the server's
 * 5 s expiry of a `true` that is not repeated; it goes 3 s after he stops.
 */
async function typingPastTheServersExpiry(alicePage, bobPage) {
  await bobPage.click("#text");
  const typing = bobPage.keyboard.type("I am writing a rather long answer, please hold on", { delay: 140 });
  let done = false;
  typing.then(() => {
    done = true;
  });
  await alicePage.waitForSelector("#typing:not([hidden])", WAIT);
  const since = Date.now();
  const gaps = [];
  while (!done) {
    if (await alicePage.isHidden("#typing")) gaps.push(Date.now() - since);
    await sleep(200);
  }
  const shown = Date.now() - since;
  assert.ok(shown > 5500, `the indicator was shown ${shown} ms: bob typed for longer than the server's expiry`);
  assert.deepEqual(gaps, [], `the indicator stayed on while bob typed (hidden at ${gaps} ms)`);
  await shoot(alicePage, "03-alice-sees-typing-after-5s");
  await alicePage.waitForSelector("#typing", { state: "hidden", ...WAIT });
  await bobPage.fill("#text", "");
  step(`alice saw bob typing for ${shown} ms without a gap; it cleared after he stopped`);
}

/**
 * Bob's network drops. Meanwhile alice writes twice and he gets a notification; back online, his
 * page shows both messages once (read at once: his chat is open, so alice's ticks turn ✓✓), the
 * bell shows the notification once, and each page still has one socket per family.
 */
async function networkDrop(alicePage, bobPage, bobsNetwork) {
  await bobsNetwork.drop();
  await bobPage.waitForSelector('[data-testid="chat"][data-connected="false"]', WAIT);
  await bobPage.waitForSelector('[data-testid="bell"][data-connected="false"]', WAIT);
  const tunnel = ["while you were in the tunnel 1 🚇", "while you were in the tunnel 2 🚇"];
  for (const text of tunnel) await send(alicePage, text);
  console.log(`@@notify ${bob.id}`);
  await sleep(2000); // the notification is stored meanwhile
  assert.equal(await bobPage.isVisible(theirs("in the tunnel 1")), false, "bob is really offline");
  step("bob's network dropped; alice wrote twice and he got a notification meanwhile");

  await bobsNetwork.restore();
  await waitConnected(bobPage);
  for (const text of tunnel) await bobPage.waitForSelector(theirs(text), WAIT);
  await bobPage.waitForSelector("#bell-count", WAIT);
  for (const text of tunnel) await alicePage.waitForSelector(`${mine(text)} .tick[data-status="read"]`, WAIT);
  await send(bobPage, "back from the tunnel 🌞");
  await alicePage.waitForSelector(theirs("back from the tunnel"), WAIT);
  await sleep(1500); // anything late (a replay, a duplicate) would show by now
  for (const page of [alicePage, bobPage]) {
    for (const text of [...tunnel, "from the compat hooks", "Hi Alice", "back from the tunnel"]) {
      assert.equal(await page.locator(`.message:has-text("${text}")`).count(), 1, `"${text}" is shown once`);
    }
  }
  assert.equal(await bobPage.textContent("#bell-count"), "1", "the notification is counted once");
  await bobPage.click("#bell");
  assert.equal(await bobPage.locator(`.notification:has-text("${NOTIFICATION_TITLE}")`).count(), 1);
  const counts = [await assertOneSocketPerFamily(alicePage, "alice"), await assertOneSocketPerFamily(bobPage, "bob")];
  await shoot(bobPage, "04-bob-after-the-network-drop");
  step(`back online: every message once, alice's ticks ✓✓, the bell once, one socket per family (${JSON.stringify(counts[1])})`);
}

/**
 * A page on an origin the server does not allow: the handshake is refused (HTTP 403), and the
 * hooks do not try again (the source retried, five times, then gave up; the client alone would
 * retry forever).
 */
async function refusedOrigin(browser) {
  const context = await browser.newContext();
  await context.addInitScript(SOCKET_COUNTER);
  await serve(context, FOREIGN_ORIGIN, ["/web/tests/compat/", "/web/react/", "/web/client/"]);
  const page = await context.newPage();
  await page.goto(pageUrl(FOREIGN_ORIGIN, alice, bob, { provider: "1", base: BASE_URL }));
  await page.waitForFunction(() => window.__sockets.length >= 2, null, WAIT);
  await sleep(6000); // the backoff would have tried again several times by now
  const count = await sockets(page);
  assert.equal(count["/ws/chat/"]?.made, 1, `one chat handshake, refused, not retried (${JSON.stringify(count)})`);
  assert.equal(count["/ws/notifications/"]?.made, 1, `one notification handshake, not retried (${JSON.stringify(count)})`);
  assert.equal(await page.getAttribute('[data-testid="chat"]', "data-connected"), "false");
  await context.close();
  step("a page on a refused origin made one handshake per family and did not retry");
}

main().then(
  () => console.log("compat hooks: all steps passed"),
  (error) => {
    console.error(consoleLines.slice(-60).join("\n"));
    console.error(error);
    process.exitCode = 1;
  },
);
