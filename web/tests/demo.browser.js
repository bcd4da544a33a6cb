/**
 * Two people use the demo page in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) against the real stack: messages, ticks, typing, notifications, attachments, a
 * network drop, then replies, edits, reactions, deletions, a mute and a block, and last the bell's
 * ERP notifications: coalesced (×2), reminded, acknowledged and resolved, and the email preference.
 * Started by tests/browser/test_demo_page.py, which answers the "@@<command> <arguments>" lines this
 * script prints ("@@notify <user id>", "@@notify_ack <user id>", "@@notify_coalesced <user id>",
 * "@@remind <notification id>", "@@resolve <type> <id> <reason>") through the Celery task API, as
 * another ERP module would. Screenshots go to E2E_SCREENSHOTS.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

import { chromium } from "playwright-core";

import { authHeaders, BASE_URL, eventually, USERS } from "./helpers.js";

const SCREENSHOTS = process.env.E2E_SCREENSHOTS ?? "screenshots";
const WAIT = { timeout: 20000 };
const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const HELLO = "Hello Bob 👋 family 👨‍👩‍👧‍👦 thumbs 👍🏽 from the browser 🎉";
const REPLY = "Hi Alice 😀 got it ✅";
const NOTIFICATION_TITLE = process.env.E2E_NOTIFICATION_TITLE ?? "Timetable published";
const ACK_TITLE = process.env.E2E_ACK_TITLE ?? "Fire drill at 10:00";
const STOCK_TITLE = process.env.E2E_STOCK_TITLE ?? "Stock low: paper";
// "<type> <id>" of the ERP object the stock alerts are about.
const STOCK_ITEM = process.env.E2E_STOCK_ITEM ?? "inventory.item 42";

const [alice, bob, carol] = USERS;
mkdirSync(SCREENSHOTS, { recursive: true });

function step(text) {
  console.log(`✔ ${text}`);
}

async function shoot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

async function logIn(page, user) {
  await page.goto(BASE_URL);
  await page.fill("#login-username", user.username);
  await page.fill("#login-password", user.password);
  await page.click("#login-submit");
  await page.waitForSelector("#app-view:not([hidden])", WAIT);
  await page.waitForSelector('#connection[data-status="open"]', WAIT);
}

async function startChatWith(page, user) {
  await page.click("#new-chat");
  await page.fill("#people-search", user.username);
  await page.click(`#people button[data-user-id="${user.id}"]`, WAIT);
  await page.waitForSelector("#chat-head:not([hidden])", WAIT);
}

const myMessage = (text) => `.message.mine:has-text("${text}")`;
const theirMessage = (text) => `.message.theirs:has-text("${text}")`;

async function main() {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  const errors = [];
  try {
    const pages = [];
    for (const user of [alice, bob]) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      page.on("pageerror", (error) => errors.push(`${user.username}: ${error.message}`));
      pages.push(page);
    }
    const [alicePage, bobPage] = pages;
    const bobsNetwork = await cuttableNetwork(bobPage);

    await alicePage.goto(BASE_URL);
    await alicePage.waitForSelector("#login-view:not([hidden])", WAIT);
    await shoot(alicePage, "01-login");
    await logIn(alicePage, alice);
    await logIn(bobPage, bob);
    step("both users logged in and connected");

    await startChatWith(alicePage, bob);
    await alicePage.fill("#text", HELLO);
    await alicePage.press("#text", "Enter");
    await alicePage.waitForSelector(`${myMessage("from the browser")}[data-message-id]`, WAIT);
    step("alice sent a message with emoji (stored: it has an id)");

    const bobsConversation = `.conversation[data-user-id="${alice.id}"]`;
    await bobPage.waitForSelector(`${bobsConversation} .badge.unread`, WAIT);
    assert.equal(await bobPage.textContent(`${bobsConversation} .badge.unread`), "1");
    assert.match(await bobPage.textContent(`${bobsConversation} .conversation-preview`), /family 👨‍👩‍👧‍👦/);
    await alicePage.waitForSelector(`.conversation[data-user-id="${bob.id}"] .presence-dot[data-online="true"]`, WAIT);
    const tick = `${myMessage("from the browser")} .tick`;
    assert.notEqual(await alicePage.getAttribute(tick, "data-status"), "read");
    assert.equal(await alicePage.textContent(tick), "✓");
    await shoot(bobPage, "02-bob-sees-new-message");
    await shoot(alicePage, "03-alice-sent-single-tick");
    step("bob sees it live with an unread badge; alice's tick is ✓, bob shows online");

    await bobPage.click(bobsConversation);
    await bobPage.waitForSelector(theirMessage("from the browser"), WAIT);
    assert.equal(await bobPage.textContent(`${theirMessage("from the browser")} .text`), HELLO);
    await alicePage.waitForSelector(`${tick}[data-status="read"]`, WAIT);
    assert.equal(await alicePage.textContent(tick), "✓✓");
    await bobPage.waitForSelector(`${bobsConversation} .badge.unread`, { state: "detached", ...WAIT });
    step("bob opened the chat: the emoji text is intact, alice's tick turned ✓✓, bob's badge cleared");

    await bobPage.click("#text");
    await bobPage.keyboard.type("Hi Al", { delay: 60 });
    await alicePage.waitForSelector("#typing:not([hidden])", WAIT);
    assert.match(await alicePage.textContent("#typing-text"), /is typing/);
    assert.equal(await alicePage.textContent("#chat-status"), "typing…");
    await shoot(alicePage, "04-alice-sees-typing");
    await alicePage.waitForSelector("#typing", { state: "hidden", ...WAIT });
    step("the typing indicator appeared and cleared after bob stopped typing");

    await bobPage.fill("#text", REPLY);
    await bobPage.press("#text", "Enter");
    await alicePage.waitForSelector(theirMessage("got it"), WAIT);
    assert.equal(await alicePage.textContent(`${theirMessage("got it")} .text`), REPLY);
    step("bob's reply arrived live");

    console.log(`@@notify ${alice.id}`);
    await alicePage.waitForSelector("#bell-count:not([hidden])", WAIT);
    assert.equal(await alicePage.textContent("#bell-count"), "1");
    await alicePage.click("#bell");
    await alicePage.waitForSelector(`.notification[data-read="false"]:has-text("${NOTIFICATION_TITLE}")`, WAIT);
    await shoot(alicePage, "05-notification-bell");
    await alicePage.click("#mark-all-read");
    await alicePage.waitForSelector("#bell-count", { state: "hidden", ...WAIT });
    await alicePage.waitForSelector('.notification[data-read="true"]', WAIT);
    step("a notification appeared in the bell and mark-all-read cleared the count");
    await alicePage.keyboard.press("Escape");

    await alicePage.reload();
    await alicePage.waitForSelector('#connection[data-status="open"]', WAIT);
    await alicePage.waitForSelector(`${myMessage("from the browser")} .tick[data-status="read"]`, WAIT);
    await alicePage.waitForSelector(theirMessage("got it"), WAIT);
    assert.equal(await alicePage.textContent(`${myMessage("from the browser")} .text`), HELLO);
    assert.equal(await alicePage.isHidden("#bell-count"), true);
    await shoot(alicePage, "06-alice-after-reload");
    step("after a reload alice is still logged in and the history (with ✓✓) is there");

    await checkAttachments(alicePage, bobPage);
    await shoot(bobPage, "07-bob-chat");
    await networkDrop(alicePage, bobPage, bobsNetwork);
    await changeMessages(alicePage, bobPage);
    await erpNotifications(alicePage);
    assert.deepEqual(errors, [], "no script errors on either page");
  } finally {
    await browser.close();
  }
}

/**
 * Routes a page's sockets through the test, which can cut them: while cut, open sockets are
 * closed and new ones are refused, as on a train going through a tunnel.
 */
async function cuttableNetwork(page) {
  const network = { cut: false, routes: new Set() };
  await page.routeWebSocket(/\/ws\//, (route) => {
    if (network.cut) {
      route.close({ code: 1001, reason: "no network" });
      return;
    }
    route.connectToServer();
    network.routes.add(route);
  });
  network.drop = () => {
    network.cut = true;
    for (const route of network.routes) route.close({ code: 1001, reason: "no network" });
    network.routes.clear();
  };
  network.restore = () => {
    network.cut = false;
  };
  return network;
}

/**
 * Bob's network drops. Meanwhile alice reads his last message, writes twice and he gets a
 * notification; back online, his page shows all of it (the read ticks, both messages, the bell
 * badge), each once: the sockets resumed their event streams.
 */
async function networkDrop(alicePage, bobPage, bobsNetwork) {
  await startChatWith(alicePage, carol); // alice looks elsewhere: bob's next message stays unread
  await bobPage.fill("#text", "before the tunnel 🚇");
  await bobPage.press("#text", "Enter");
  const bobsTunnelMessage = `${myMessage("before the tunnel")} .tick`;
  await bobPage.waitForSelector(`${bobsTunnelMessage}[data-status="delivered"]`, WAIT);

  bobsNetwork.drop();
  await bobPage.waitForSelector('#connection:not([data-status="open"])', WAIT);
  await alicePage.click(`.conversation[data-user-id="${bob.id}"]`);
  await alicePage.waitForSelector(theirMessage("before the tunnel"), WAIT);
  for (const text of ["while you were in the tunnel 1", "while you were in the tunnel 2"]) {
    await alicePage.fill("#text", text);
    await alicePage.press("#text", "Enter");
    await alicePage.waitForSelector(`${myMessage(text)}[data-message-id]`, WAIT);
  }
  console.log(`@@notify ${bob.id}`);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the notification is stored meanwhile
  assert.equal(await bobPage.isVisible(theirMessage("in the tunnel 1")), false, "bob is really offline");
  step("bob's network dropped; alice read his message, wrote twice, and he got a notification meanwhile");

  bobsNetwork.restore();
  await bobPage.waitForSelector('#connection[data-status="open"]', WAIT);
  await bobPage.waitForSelector(theirMessage("in the tunnel 2"), WAIT);
  await bobPage.waitForSelector(`${bobsTunnelMessage}[data-status="read"]`, WAIT);
  await bobPage.waitForSelector("#bell-count:not([hidden])", WAIT);
  await bobPage.waitForSelector(`.notification:has-text("${NOTIFICATION_TITLE}")`, { state: "attached", ...WAIT });
  assert.equal(await bobPage.textContent("#bell-count"), "1", "counted once: the replay is in the connection's count");
  for (const text of ["in the tunnel 1", "in the tunnel 2"]) {
    assert.equal(await bobPage.locator(theirMessage(text)).count(), 1, `"${text}" is shown once`);
  }
  assert.equal(await bobPage.locator(myMessage("before the tunnel")).count(), 1);
  await bobPage.click("#bell");
  await bobPage.waitForSelector(`.notification:has-text("${NOTIFICATION_TITLE}")`, WAIT);
  assert.equal(await bobPage.locator(`.notification:has-text("${NOTIFICATION_TITLE}")`).count(), 1);
  await shoot(bobPage, "08-bob-after-the-network-drop");
  await bobPage.keyboard.press("Escape");
  step("back online, bob's page shows the read tick, both messages once and the notification badge");
}

/**
 * Alice writes and Bob replies to it; she edits it, he reacts, she deletes it, each seen live on the
 * other page (the reply's quote follows too). Then Bob mutes the conversation and blocks Alice,
 * whose next message is refused with the server's words.
 */
async function changeMessages(alicePage, bobPage) {
  const LUNCH = "Lunch at noon? 🍝";
  const EDITED = "Lunch at one instead? 🍝";
  await alicePage.fill("#text", LUNCH);
  await alicePage.press("#text", "Enter");
  await alicePage.waitForSelector(`${myMessage("Lunch at noon")}[data-message-id]`, WAIT);
  const lunch = `.message[data-message-id="${await alicePage.getAttribute(myMessage("Lunch at noon"), "data-message-id")}"]`;
  const [alicesLunch, bobsLunch] = [alicePage.locator(lunch), bobPage.locator(lunch)];
  const bobsReply = bobPage.locator(myMessage("see you there"));
  await bobsLunch.waitFor(WAIT);

  await bobsLunch.getByRole("button", { name: "Reply", exact: true }).click();
  await bobPage.waitForSelector("#composer-context:not([hidden])", WAIT);
  assert.equal(await bobPage.textContent("#composer-context-title"), "Replying to Alice Anders");
  assert.equal(await bobPage.textContent("#composer-context-text"), LUNCH);
  await bobPage.fill("#text", "Yes, see you there 🙌");
  await bobPage.press("#text", "Enter");
  await bobPage.waitForSelector("#composer-context", { state: "hidden", ...WAIT });
  const alicesQuote = alicePage.locator(`${theirMessage("see you there")} .quote`);
  await alicesQuote.waitFor(WAIT);
  assert.deepEqual(await alicesQuote.locator("span").allTextContents(), ["You", LUNCH]);
  step("bob replied to alice's message: the reply shows its quote on both pages");

  await alicesLunch.getByRole("button", { name: "Edit", exact: true }).click();
  assert.equal(await alicePage.inputValue("#text"), LUNCH);
  await alicePage.fill("#text", EDITED);
  await alicePage.press("#text", "Enter");
  await bobsLunch.locator(".text", { hasText: EDITED }).waitFor(WAIT);
  assert.equal(await bobsLunch.locator(".edited").textContent(), "edited");
  await bobsReply.locator(".quote-text", { hasText: EDITED }).waitFor(WAIT);
  step("alice edited it: bob sees the new text marked edited, and in his reply's quote");

  await bobsLunch.getByRole("button", { name: "React with 👍" }).click();
  await alicesLunch.locator(".reaction").waitFor(WAIT);
  assert.equal(await alicesLunch.locator(".reaction").textContent(), "👍 1");
  assert.equal(await alicesLunch.locator(".reaction").getAttribute("aria-pressed"), "false", "not alice's own");
  await bobsLunch.locator('.reaction[aria-pressed="true"]').waitFor(WAIT);
  await alicesLunch.hover(); // shows the message's actions
  await shoot(alicePage, "09-alice-sees-the-reply-edit-and-reaction");
  step("bob reacted 👍: alice sees the count under her message");

  await alicesLunch.getByRole("button", { name: "Delete", exact: true }).click();
  await bobsLunch.locator(".text.deleted").waitFor(WAIT);
  assert.equal(await bobsLunch.locator(".bubble").textContent(), "Message deleted");
  assert.equal(await bobsLunch.locator(".reaction, .actions").count(), 0, "nothing left to react to or answer");
  await bobsReply.locator(".quote-text.deleted", { hasText: "Message deleted" }).waitFor(WAIT);
  await alicesLunch.locator(".text.deleted").waitFor(WAIT);
  step("alice deleted it: bob sees \"Message deleted\", in his reply's quote too");

  await bobPage.getByRole("button", { name: "Mute", exact: true }).click();
  await bobPage.waitForSelector("#chat-muted:not([hidden])", WAIT);
  await bobPage.getByRole("button", { name: "Unmute", exact: true }).waitFor(WAIT);
  await bobPage.waitForSelector(`.conversation[data-user-id="${alice.id}"] .conversation-muted`, WAIT);
  step("bob muted the conversation: the header and the conversation list say so");

  await bobPage.getByRole("button", { name: "Block", exact: true }).click();
  await bobPage.waitForSelector("#chat-blocked:not([hidden])", WAIT);
  await bobPage.getByRole("button", { name: "Unblock", exact: true }).waitFor(WAIT);
  await alicePage.fill("#text", "Are you there? 👋");
  await alicePage.press("#text", "Enter");
  const refused = myMessage("Are you there?");
  await alicePage.waitForSelector(`${refused} .tick[data-status="failed"]`, WAIT);
  assert.equal(await alicePage.textContent(`${refused} .send-error`), "You cannot message this user");
  assert.equal(await bobPage.locator(theirMessage("Are you there?")).count(), 0);
  await shoot(alicePage, "10-alice-refused-after-the-block");
  await shoot(bobPage, "11-bob-muted-and-blocked");
  step("bob blocked alice: her next message is refused, with the server's reason under it");
}

/**
 * ERP modules notify alice: a notice she must acknowledge, and two stock alerts about one item that
 * coalesce into one line with "×2" (counted once). A reminder of the notice brings it to the top
 * marked "Reminder", still once; Acknowledge turns into "Acknowledged". Her choice about emails of
 * what she misses stays after a reload, as do the counter and the acknowledgement. Last, the item
 * is restocked (resolved): its alert leaves the bell, with a toast that says why.
 */
async function erpNotifications(alicePage) {
  const line = (title) => alicePage.locator(`.notification:has-text("${title}")`);
  const [notice, stock] = [line(ACK_TITLE), line(STOCK_TITLE)];
  const acknowledgeButton = notice.getByRole("button", { name: "Acknowledge", exact: true });
  const bellCount = async (text) => alicePage.waitForFunction(
    (expected) => document.querySelector("#bell-count").textContent === expected, text, WAIT);
  await alicePage.click("#bell");
  await alicePage.waitForSelector("#bell-panel:not([hidden])", WAIT);

  console.log(`@@notify_ack ${alice.id}`);
  await acknowledgeButton.waitFor(WAIT);
  await alicePage.waitForSelector("#bell-count:not([hidden])", WAIT);
  await bellCount("1");
  console.log(`@@notify_coalesced ${alice.id}`);
  await stock.waitFor(WAIT);
  assert.equal(await stock.locator(".notification-count").count(), 0, "one alert: no counter yet");
  await bellCount("2");
  console.log(`@@notify_coalesced ${alice.id}`);
  await stock.locator(".notification-count", { hasText: "×2" }).waitFor(WAIT);
  assert.equal(await stock.count(), 1, "the second alert joined the first one's line");
  assert.equal(await alicePage.textContent("#bell-count"), "2", "and is not counted again");
  step("a notice to acknowledge arrived, and two stock alerts show as one line with ×2");

  const noticeId = await notice.getAttribute("data-notification-id");
  const top = alicePage.locator("#notification-list > li").first().locator(".notification");
  assert.notEqual(await top.getAttribute("data-notification-id"), noticeId, "the stock alert came after it");
  console.log(`@@remind ${noticeId}`);
  await notice.locator(".notification-reminder", { hasText: "Reminder" }).waitFor(WAIT);
  assert.equal(await notice.count(), 1, "reminded, not repeated");
  assert.equal(await top.getAttribute("data-notification-id"), noticeId, "the reminder brought it to the top");
  assert.equal(await alicePage.textContent("#bell-count"), "2");
  await shoot(alicePage, "12-alice-bell-coalesced-and-reminder");
  step("the unacknowledged notice came back as a reminder: on top, marked, still one line");

  await acknowledgeButton.click();
  await notice.locator(".acknowledged", { hasText: "Acknowledged" }).waitFor(WAIT);
  assert.equal(await notice.locator(".ack-button, .notification-reminder").count(), 0);
  assert.equal(await notice.getAttribute("data-read"), "true", "acknowledging reads it");
  await bellCount("1");
  step("alice acknowledged it: the button became \"Acknowledged\" and the count went down");

  const digest = alicePage.locator("#email-digest");
  await alicePage.waitForSelector("#email-digest:not([disabled])", WAIT);
  assert.equal(await digest.isChecked(), true, "on until turned off");
  await digest.uncheck();
  const preferences = async () => (await fetch(`${BASE_URL}/api/v1/communication/notifications/preferences/`, {
    headers: authHeaders(alice),
  })).json();
  await eventually(async () => (await preferences()).email_digest === false, { what: "the server to keep it" });
  await alicePage.reload();
  await alicePage.waitForSelector('#connection[data-status="open"]', WAIT);
  await alicePage.click("#bell");
  await alicePage.waitForSelector("#email-digest:not([disabled])", WAIT);
  assert.equal(await digest.isChecked(), false, "still off after a reload");
  await stock.locator(".notification-count", { hasText: "×2" }).waitFor(WAIT);
  await notice.locator(".acknowledged").waitFor(WAIT);
  await bellCount("1");
  step("\"Email me what I miss\" turned off stays off after a reload, as do ×2 and the acknowledgement");

  console.log(`@@resolve ${STOCK_ITEM} Restocked by Bob`);
  await stock.waitFor({ state: "detached", ...WAIT });
  await alicePage.waitForSelector('#toast:has-text("Resolved: Restocked by Bob")', WAIT);
  await alicePage.waitForSelector("#bell-count", { state: "hidden", ...WAIT });
  assert.equal(await notice.count(), 1, "the notice is about something else: it stays");
  await shoot(alicePage, "13-alice-bell-acknowledged-and-resolved");
  step("the item was restocked: its alert left the bell, with a toast saying why");
}

/** Uploads work when the server has them; otherwise the page says so and disables the button. */
async function checkAttachments(alicePage, bobPage) {
  const probe = await fetch(`${BASE_URL}/api/v1/communication/chats/attachments/`, {
    method: "POST", headers: { Authorization: `Token ${alice.token}` }, body: new FormData(),
  });
  const png = gradientPng(180, 110);
  await alicePage.setInputFiles("#file", { name: "chart.png", mimeType: "image/png", buffer: png });
  if (probe.status === 404 || probe.status === 405) {
    await alicePage.waitForSelector("#attach:disabled", WAIT);
    assert.match(await alicePage.textContent("#toast"), /not available/);
    step("attachments are not available on this server: the page says so and disables 📎");
    return;
  }
  await bobPage.waitForSelector(".message.theirs .attachment img[src^='blob:']", WAIT);
  await bobPage.waitForSelector(`.conversation[data-user-id="${alice.id}"] .badge.unread`, { state: "detached", ...WAIT });
  await alicePage.waitForSelector(".message.mine:has(.attachment) .tick[data-status='read']", WAIT);
  step("an image attachment was uploaded, sent, shown to bob in the open chat, and read at once");
}

/** A small RGB PNG (a diagonal gradient), made here so that the test needs no fixture file. */
function gradientPng(width, height) {
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x += 1) {
      const t = (x + y) / (width + height);
      row.set([Math.round(37 + 180 * t), Math.round(99 + 100 * t), Math.round(235 - 120 * t)], 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header), chunk("IDAT", deflateSync(Buffer.concat(rows))), chunk("IEND", Buffer.alloc(0)),
  ]);
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

main().then(
  () => console.log("demo page: all steps passed"),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
