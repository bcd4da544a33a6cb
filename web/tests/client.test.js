/**
 * The socket clients against a real server and worker (started by tests/browser/test_js_client.py).
 * Run with: node --experimental-websocket --test web/tests/ (Node 20; the flag is default from 22).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { isDeepStrictEqual } from "node:util";

import {
  awaitsAcknowledgement, backoffDelay, ChatClient, ChatSession, ChatStore, NotificationClient, NotificationSession,
  NotificationStore, STATUS,
} from "../client/index.js";
import { DEFAULT_OPTIONS as SOCKET_DEFAULTS } from "../client/socket.js";
import { BASE_URL, eventually, history, makeTap, record, sleep, takeUser } from "./helpers.js";

const EMOJI = "Hello 👋 family 👨‍👩‍👧‍👦 thumbs 👍🏽 math 𝔸 done ✅";
const open = [];

function chatClient(user, options = {}) {
  const client = new ChatClient({ baseUrl: BASE_URL, token: user.token, ...options });
  open.push(client);
  return client;
}

function chatSession(user, options = {}) {
  const session = new ChatSession({ baseUrl: BASE_URL, token: user.token, ...options });
  open.push(session.client);
  return session;
}

/** A message as a session's store holds it now. */
function stored(session, conversationId, id) {
  return session.chat.state.messages[conversationId]?.find((m) => m.id === id);
}

async function connected(client) {
  const ready = client.waitFor("connected", () => true, 15000);
  client.connect();
  return ready;
}

after(() => {
  for (const client of open) client.close();
});

function pick(object, ...keys) {
  return Object.fromEntries(keys.map((key) => [key, object[key]]));
}

describe("backoff", () => {
  test("grows exponentially, stays within [ceiling/2, ceiling], and is capped", () => {
    const options = { ...SOCKET_DEFAULTS, initialDelayMs: 500, maxDelayMs: 30000, backoffFactor: 2 };
    assert.equal(backoffDelay(0, options, () => 0), 250);
    assert.equal(backoffDelay(0, options, () => 1), 500);
    assert.equal(backoffDelay(3, options, () => 0), 2000);
    assert.equal(backoffDelay(3, options, () => 1), 4000);
    assert.equal(backoffDelay(20, options, () => 1), 30000);
    assert.equal(backoffDelay(20, options, () => 0), 15000);
  });

  test("jitter spreads clients that lost the server at the same moment", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, SOCKET_DEFAULTS)));
    assert.ok(delays.size > 10, `only ${delays.size} distinct delays`);
  });
});

describe("chat client", () => {
  test("two users chat with emoji; the outbox empties on message_sent", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const a = chatClient(alice);
    const b = chatClient(bob);
    const connection = await connected(a);
    await connected(b);
    assert.equal(connection.user_id, alice.id);
    assert.equal(a.status, STATUS.OPEN);

    const bobSaw = b.waitFor("message", (m) => m.temp_id === "emoji-1");
    const entry = a.sendMessage(bob.id, EMOJI, { tempId: "emoji-1" });
    assert.equal(a.pending().length, 1);
    const sent = await entry.sent;
    const received = await bobSaw;
    assert.equal(sent.id, received.id);
    assert.equal(received.message, EMOJI);
    assert.equal(received.sender_id, alice.id);
    assert.equal(a.pending().length, 0);

    const receipt = await a.waitFor("delivery_receipt", (r) => r.message_id === sent.id);
    assert.match(receipt.delivered_at, /Z$/);
    const readReceipt = a.waitFor("read_receipt", (r) => r.message_id === sent.id);
    b.markRead({ conversationId: sent.conversation_id });
    assert.equal((await readReceipt).reader_id, bob.id);
  });

  test("messages queued while disconnected are sent on connect, each stored once", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const b = chatClient(bob);
    await connected(b);
    const received = record(b, "message");
    const a = chatClient(alice);
    const entries = ["one 1️⃣", "two 2️⃣", "three 3️⃣"].map((text) => a.sendMessage(bob.id, text));
    assert.equal(a.pending().length, 3);
    a.connect();
    await Promise.all(entries.map((entry) => entry.sent));
    await eventually(() => received.message.length === 3, { what: "bob to get three messages" });
    assert.deepEqual(received.message.map((m) => m.message), ["one 1️⃣", "two 2️⃣", "three 3️⃣"]);
    const stored = await history(alice, bob);
    assert.equal(stored.messages.length, 3);
  });

  test("a send cut off by a dropped connection is re-sent with the same temp_id and stored once", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const b = chatClient(bob);
    await connected(b);
    const bobGot = record(b, "message");
    const tap = makeTap();
    const a = chatClient(alice, { WebSocket: tap.WebSocket, initialDelayMs: 100 });
    await connected(a);
    // The connection dies right after the frame left, before the server could answer.
    tap.afterSend = (socket, frame) => {
      if (frame.type === "message" && tap.sentOf("message").length === 1) socket.close();
    };
    const statuses = record(a, "status");
    const entry = a.sendMessage(bob.id, "survives a reconnect 🔁");
    const sent = await entry.sent;

    assert.ok(statuses.status.includes(STATUS.RECONNECTING), `statuses: ${statuses.status}`);
    assert.ok(tap.sockets.length >= 2, "the client reconnected");
    const attempts = tap.sentOf("message");
    assert.ok(attempts.length >= 2, "the frame was sent again");
    assert.ok(attempts.every((frame) => frame.temp_id === entry.temp_id), "with the same temp_id");
    await eventually(() => bobGot.message.length >= 1, { what: "bob to get the message" });
    await sleep(500);
    assert.equal(bobGot.message.length, 1, "bob's client emitted it once");
    const stored = (await history(alice, bob)).messages.filter((m) => m.temp_id === entry.temp_id);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].id, sent.id);
  });

  test("the same temp_id sent again from a new connection answers the same id, and nothing is duplicated", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const first = chatClient(alice);
    await connected(first);
    const original = await first.sendMessage(bob.id, "once", { tempId: "same-key" }).sent;
    first.close();
    const second = chatClient(alice);
    await connected(second);
    const again = await second.sendMessage(bob.id, "once", { tempId: "same-key" }).sent;
    assert.equal(again.id, original.id);
    assert.equal((await history(alice, bob)).messages.length, 1);
  });

  test("incoming messages are de-duplicated by id", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const tap = makeTap();
    tap.duplicateIncoming = true;
    const b = chatClient(bob, { WebSocket: tap.WebSocket });
    await connected(b);
    const frames = record(b, "frame", "message");
    const a = chatClient(alice);
    await connected(a);
    await a.sendMessage(bob.id, "only once please").sent;
    await a.sendMessage(bob.id, "and once more").sent;
    await eventually(() => frames.message.length === 2, { what: "two messages" });
    await sleep(300);
    assert.equal(frames.message.length, 2);
    // Each frame did arrive twice; the repeat carried a `seq` already seen and went no further.
    assert.equal(frames.frame.filter((f) => f.type === "message").length, 2);
  });

  test("pending messages are replayed on connect, and the sender gets delivery receipts", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const a = chatClient(alice);
    await connected(a);
    const ids = [];
    for (const text of ["while you were away", "second 🌙"]) ids.push((await a.sendMessage(bob.id, text).sent).id);
    const receipts = record(a, "delivery_receipt");
    const b = chatClient(bob);
    const got = record(b, "message");
    await connected(b);
    await eventually(() => got.message.length === 2, { what: "the pending replay" });
    assert.deepEqual(got.message.map((m) => m.id), ids);
    await eventually(() => receipts.delivery_receipt.length === 2, { what: "delivery receipts" });
  });

  test("a permanent error fails the send and removes it from the outbox", async () => {
    const alice = takeUser();
    const a = chatClient(alice);
    await connected(a);
    const failures = record(a, "send_failed");
    const entry = a.sendMessage(alice.id, "to myself");
    await assert.rejects(entry.sent, (error) => error.frame.code === "validation_error");
    assert.equal(a.pending().length, 0);
    assert.equal(failures.send_failed.length, 1);
    assert.equal(failures.send_failed[0].entry.temp_id, entry.temp_id);
  });

  test("typing is debounced: true once, false after the idle time, false on send", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const tap = makeTap();
    const a = chatClient(alice, { WebSocket: tap.WebSocket, typingIdleMs: 800 });
    const b = chatClient(bob);
    await connected(a);
    await connected(b);
    const indicators = record(b, "typing_indicator");

    for (let key = 0; key < 10; key += 1) a.typing(bob.id);
    assert.deepEqual(tap.sentOf("typing").map((f) => f.is_typing), [true]);
    await eventually(() => indicators.typing_indicator.some((f) => f.is_typing), { what: "typing on" });
    await eventually(() => tap.sentOf("typing").length === 2, { what: "the idle stop" });
    assert.equal(tap.sentOf("typing")[1].is_typing, false);
    await eventually(() => indicators.typing_indicator.at(-1)?.is_typing === false, { what: "typing off" });

    a.typing(bob.id);
    a.sendMessage(bob.id, "done typing");
    const typing = tap.sentOf("typing");
    assert.deepEqual(typing.slice(2).map((f) => f.is_typing), [true, false]);
    const order = tap.sent.map((f) => f.type);
    assert.ok(order.lastIndexOf("typing") < order.lastIndexOf("message"), "the stop goes before the message");
    await sleep(1000);
    assert.equal(tap.sentOf("typing").length, 4, "no idle stop after the send already stopped it");
    assert.equal(indicators.typing_indicator[0].sender_id, alice.id);
  });

  test("ping keepalive gets pongs", async () => {
    const alice = takeUser();
    const a = chatClient(alice, { pingIntervalMs: 200 });
    const pongs = record(a, "pong");
    await connected(a);
    await eventually(() => pongs.pong.length >= 2, { what: "two pongs" });
    assert.match(pongs.pong[0].timestamp, /Z$/);
  });

  test("a connection that stops answering is abandoned and replaced", async () => {
    const alice = takeUser();
    const tap = makeTap();
    const a = chatClient(alice, { WebSocket: tap.WebSocket, pingIntervalMs: 300, pongTimeoutMs: 300, initialDelayMs: 50 });
    const closes = record(a, "closed");
    await connected(a);
    tap.muteIncoming = true;
    await eventually(() => closes.closed.length === 1, { what: "the dead connection to be dropped" });
    assert.equal(closes.closed[0].code, 4000);
    assert.equal(closes.closed[0].willReconnect, true);
    tap.muteIncoming = false;
    await eventually(() => a.status === STATUS.OPEN && tap.sockets.length === 2, { what: "a new connection" });
  });

  test("reconnects with backoff after the connection drops, and says so", async () => {
    const alice = takeUser();
    const tap = makeTap();
    const a = chatClient(alice, { WebSocket: tap.WebSocket, initialDelayMs: 200 });
    const events = record(a, "status", "connected");
    await connected(a);
    const dropped = Date.now();
    tap.sockets[0].close();
    await eventually(() => events.connected.length === 2, { what: "the reconnect" });
    assert.ok(Date.now() - dropped >= 100, "waited at least half the first backoff step");
    assert.deepEqual(events.status.slice(-2), [STATUS.RECONNECTING, STATUS.OPEN]);
  });

  test("a reconnect resumes from the last seq: what happened meanwhile arrives once, in order", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const tap = makeTap();
    const b = chatClient(bob, { WebSocket: tap.WebSocket, initialDelayMs: 1500 });
    const connection = await connected(b);
    const got = record(b, "frame");
    const a = chatClient(alice);
    await connected(a);
    tap.sockets[0].close();
    await eventually(() => b.status === STATUS.RECONNECTING, { what: "the drop" });
    const sent = [];
    for (const text of ["while away 1", "while away 2"]) sent.push((await a.sendMessage(bob.id, text).sent).id);

    await eventually(() => got.frame.some((f) => f.type === "resumed"), { what: "the resume" });
    assert.ok(tap.sockets[1].url.endsWith(`&since=${connection.last_seq}`), tap.sockets[1].url);
    const events = got.frame.filter((f) => Number.isInteger(f.seq));
    assert.deepEqual(events.map((f) => f.seq), events.map((_, index) => connection.last_seq + 1 + index));
    assert.deepEqual(events.filter((f) => f.type === "message").map((f) => f.id), sent);
    assert.ok(events.every((f) => f.replayed), "both came from the stream");
  });

  test("a live frame that skips a seq makes the open socket resume; nothing is shown out of order", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const tap = makeTap();
    const b = chatClient(bob, { WebSocket: tap.WebSocket });
    await connected(b);
    const got = record(b, "message");
    const a = chatClient(alice);
    await connected(a);
    tap.muteIncoming = true; // the first message (and its unread count) are lost on the way
    const first = await a.sendMessage(bob.id, "lost on the way").sent;
    await sleep(300);
    tap.muteIncoming = false;
    const second = await a.sendMessage(bob.id, "reveals the hole").sent;

    await eventually(() => got.message.length === 2, { what: "both messages" });
    assert.deepEqual(got.message.map((m) => m.id), [first.id, second.id]);
    assert.deepEqual(tap.sentOf("resume").length, 1);
    // The second message's unread count follows it.
    await eventually(() => b.socket.lastSeq === got.message[1].seq + 1, { what: "the last unread count" });
  });

  test("a bad token closes with 4001 and the client does not retry", async () => {
    const tap = makeTap();
    const client = chatClient({ token: "not-a-real-token" }, { WebSocket: tap.WebSocket, initialDelayMs: 50 });
    const events = record(client, "error", "closed");
    client.connect();
    await eventually(() => client.status === STATUS.AUTH_FAILED, { what: "auth_failed" });
    assert.equal(events.closed[0].code, 4001);
    assert.equal(events.closed[0].willReconnect, false);
    assert.equal(events.error[0].code, "auth_failed");
    await sleep(500);
    assert.equal(tap.sockets.length, 1, "no reconnect attempt");
  });

  test("read receipts given while offline are sent on connect", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const a = chatClient(alice);
    await connected(a);
    const sent = await a.sendMessage(bob.id, "read me later").sent;
    const readReceipt = a.waitFor("read_receipt", (r) => r.message_id === sent.id, 15000);
    const b = chatClient(bob);
    b.markRead({ senderId: alice.id });
    b.connect();
    assert.equal((await readReceipt).reader_id, bob.id);
  });

  test("markRead sends up_to_id with a conversation or a sender, and refuses it with message ids", async () => {
    const alice = takeUser();
    const tap = makeTap();
    const a = chatClient(alice, { WebSocket: tap.WebSocket });
    await connected(a);
    a.markRead({ conversationId: "7", upToId: "42" });
    a.markRead({ senderId: 3, upToId: 41 });
    a.markRead({ senderId: 3 });
    assert.deepEqual(tap.sentOf("read_receipt"), [
      { type: "read_receipt", conversation_id: 7, up_to_id: 42 },
      { type: "read_receipt", sender_id: 3, up_to_id: 41 },
      { type: "read_receipt", sender_id: 3 },
    ]);
    assert.throws(() => a.markRead({ messageIds: [1], upToId: 2 }), TypeError);
    assert.throws(() => a.markRead({ conversationId: 7, upToId: "latest" }), TypeError);
    assert.equal(tap.sentOf("read_receipt").length, 3);
  });

  test("presence: a contact going offline and online is reported", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const a = chatClient(alice);
    await connected(a);
    await a.sendMessage(bob.id, "we are contacts now").sent;
    const changes = record(a, "online_status_changed", "online_status");
    const b = chatClient(bob);
    await connected(b);
    await eventually(() => changes.online_status_changed.some((f) => f.user_id === bob.id && f.is_online), { what: "bob online" });
    a.requestOnlineStatus(bob.id);
    await eventually(() => changes.online_status.some((f) => f.user_id === bob.id && f.is_online), { what: "online_status" });
    b.close();
    await eventually(() => changes.online_status_changed.some((f) => f.user_id === bob.id && !f.is_online), { what: "bob offline" });
  });

  test("the oldest socket is evicted with 4029 past the cap and does not come back", async () => {
    const carol = takeUser();
    const tap = makeTap();
    const first = chatClient(carol, { WebSocket: tap.WebSocket, initialDelayMs: 50 });
    await connected(first);
    // The cap is 20 sockets per user (WS_MAX_CONNECTIONS_PER_USER).
    for (let n = 0; n < 20 && first.status !== STATUS.EVICTED; n += 1) await connected(chatClient(carol));
    await eventually(() => first.status === STATUS.EVICTED, { what: "the eviction" });
    await sleep(500);
    assert.equal(tap.sockets.length, 1, "an evicted tab does not reconnect");
  });
});

describe("chat session", () => {
  test("marking a conversation read covers the messages on screen, not one that arrived after them", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const a = chatClient(alice);
    await connected(a);
    const shown = [];
    for (const text of ["first", "second"]) shown.push(await a.sendMessage(bob.id, text).sent);
    const conversationId = shown[0].conversation_id;
    const tap = makeTap();
    const session = chatSession(bob, { WebSocket: tap.WebSocket });
    await connected(session.client);
    await session.loadHistory(alice.id);
    // The next message reaches the server, but not this screen.
    tap.muteIncoming = true;
    const late = await a.sendMessage(bob.id, "not on screen yet").sent;

    assert.equal(session.markConversationRead(conversationId), true);

    assert.deepEqual(tap.sentOf("read_receipt"), [
      { type: "read_receipt", conversation_id: conversationId, up_to_id: shown[1].id },
    ]);
    assert.deepEqual(session.chat.state.messages[conversationId].map((m) => m.is_read), [true, true]);
    const unreadOf = async () => (await history(bob, alice)).messages.filter((m) => !m.is_read).map((m) => m.id);
    await eventually(async () => (await unreadOf()).length === 1, { what: "the two shown messages to be read" });
    assert.deepEqual(await unreadOf(), [late.id]);
    assert.equal(session.markConversationRead(conversationId), false, "nothing new was shown: nothing to send");

    tap.muteIncoming = false;
    await session.loadHistory(alice.id);
    assert.equal(session.markConversationRead(conversationId), true);
    assert.equal(tap.sentOf("read_receipt").at(-1).up_to_id, late.id);
    await eventually(async () => (await unreadOf()).length === 0, { what: "the late message to be read once shown" });
  });
});

describe("replies, edits, deletions, reactions, mutes, blocks", () => {
  const at = (minute) => `2026-01-12T10:${String(minute).padStart(2, "0")}:00.000Z`;
  const message = (id, fields) => ({
    id, conversation_id: 7, sender_id: 1, receiver_id: 2, message: `message ${id}`, attachment: null,
    attachment_type: null, timestamp: at(id), reply_to: null, edited_at: null, deleted_at: null, reactions: [], ...fields,
  });
  const reaction = (fields) => ({ type: "reaction", message_id: 1, conversation_id: 7, user_id: 2, action: "add", ...fields });

  test("a conversation list from REST keeps a conversation that a live frame brought after the request left", () => {
    const store = new ChatStore();
    store.set({ userId: 1 });
    store.applyMessage({ ...message(3, { conversation_id: 8, receiver_id: 3 }), type: "message_sent" });
    store.setConversations([{ conversation_id: 7, other_user: { id: 2 }, last_message: "message 2", last_message_at: at(2), unread_count: 1 }]);
    assert.deepEqual(store.state.conversations.map((c) => c.conversation_id), [8, 7]);
    assert.equal(store.state.totalUnread, 1);
    assert.equal(store.conversationWith(3)?.conversation_id, 8);
  });

  test("the store applies each change, and applying it again (a replay, a reload) changes nothing", () => {
    const store = new ChatStore();
    store.setConversations([{ conversation_id: 7, other_user: { id: 2 }, last_message: "message 2", last_message_at: at(2), unread_count: 0 }]);
    const quoting = { id: 1, sender_id: 1, message: "message 1", deleted: false };
    store.addMessages(7, [message(1), message(2, { sender_id: 2, receiver_id: 1, reply_to: quoting })]);
    const long = `${"🍝".repeat(199)}ab`; // 201 code points, 400 UTF-16 units
    const changes = [
      () => store.applyEdit({ type: "message_edited", id: 1, conversation_id: 7, message: long, edited_at: at(3), seq: 4 }),
      () => store.applyEdit({ type: "message_edited", id: 2, conversation_id: 7, message: "now this", edited_at: at(3), seq: 5 }),
      () => store.applyReaction(reaction({ emoji: "👍", seq: 6 })),
      () => store.applyReaction(reaction({ emoji: "👍", user_id: 1, seq: 7 })),
      () => store.applyReaction(reaction({ emoji: "🇫🇷", seq: 8 })),
      () => store.applyReaction(reaction({ emoji: "🇫🇷", action: "remove", seq: 9 })),
    ];
    for (const [index, change] of changes.entries()) {
      change();
      const after = store.state;
      change();
      assert.deepEqual(store.state, after, `change ${index} applied twice`);
    }
    const [first, second] = store.state.messages[7];
    assert.deepEqual(pick(first, "message", "edited_at", "reactions"),
      { message: long, edited_at: at(3), reactions: [{ emoji: "👍", user_ids: [2, 1] }] });
    assert.equal(second.reply_to.message, `${long.slice(0, 199 * 2)}a`, "the excerpt is 200 characters, as the server cuts it");
    assert.equal(store.state.conversations[0].last_message, "now this", "the list previews the newest message as it reads now");
    store.applyReaction(reaction({ emoji: "👍", replayed: true }));
    assert.equal(store.state.messages[7][0].reactions, first.reactions, "a reaction already there keeps the same array");

    const deletion = { type: "message_deleted", id: 1, conversation_id: 7, deleted_at: at(4), seq: 10 };
    store.applyDeletion(deletion);
    const deleted = store.state;
    assert.deepEqual(pick(deleted.messages[7][0], "message", "attachment", "deleted_at"),
      { message: "", attachment: null, deleted_at: at(4) });
    assert.deepEqual(deleted.messages[7][1].reply_to, { ...quoting, message: "", deleted: true });
    store.applyDeletion({ ...deletion, deleted_at: at(5), replayed: true });
    store.applyEdit({ type: "message_edited", id: 1, conversation_id: 7, message: "back?", edited_at: at(3) });
    store.applyReaction(reaction({ message_id: 99, emoji: "👍" }));
    store.applyEdit({ type: "message_edited", id: 1, conversation_id: 8, message: "elsewhere", edited_at: at(6) });
    assert.equal(store.state, deleted,
      "nothing changed: a second deletion, an edit after the deletion, changes to messages not loaded");
  });

  test("both people's stores follow a reply, an edit, reactions and a deletion live, each event once", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const a = chatSession(alice);
    const tap = makeTap();
    const b = chatSession(bob, { WebSocket: tap.WebSocket });
    await connected(a.client);
    await connected(b.client);
    tap.duplicateIncoming = true; // from now on every frame arrives twice: the repeat's seq was seen already
    const bobGot = record(b.client, "message_edited", "message_deleted", "reaction");
    const original = await a.sendMessage(bob.id, "Lunch at noon? 🍝").sent;
    const conversationId = original.conversation_id;
    const inBoth = async (what, holds) => {
      for (const session of [a, b]) await eventually(() => holds(stored(session, conversationId, original.id), session), { what });
    };
    await eventually(() => stored(b, conversationId, original.id), { what: "bob to get the message" });

    const reply = await b.sendMessage(alice.id, "Yes 👍", { replyToId: original.id }).sent;
    assert.deepEqual(reply.reply_to, { id: original.id, sender_id: alice.id, message: "Lunch at noon? 🍝", deleted: false });
    assert.equal(tap.sentOf("message")[0].reply_to_id, original.id);
    await eventually(() => stored(a, conversationId, reply.id)?.reply_to?.id === original.id, { what: "alice to get the reply" });

    a.editMessage(original.id, "Lunch at one instead? 🍝");
    await inBoth("the edit, and the reply's excerpt with it", (m, session) => m.message === "Lunch at one instead? 🍝"
      && m.edited_at && stored(session, conversationId, reply.id).reply_to.message === m.message);

    // One at a time: the server's workers may apply two pipelined frames in either order.
    b.react(original.id, "👍");
    await inBoth("bob's 👍", (m) => m.reactions.length === 1);
    a.react(original.id, "👍");
    await inBoth("alice's 👍", (m) => m.reactions[0].user_ids.length === 2);
    b.react(original.id, "🇫🇷");
    await inBoth("bob's 🇫🇷", (m) => m.reactions.length === 2);
    assert.deepEqual(stored(a, conversationId, original.id).reactions,
      [{ emoji: "👍", user_ids: [bob.id, alice.id] }, { emoji: "🇫🇷", user_ids: [bob.id] }]);
    b.unreact(original.id, "🇫🇷");
    b.toggleReaction(stored(b, conversationId, original.id), "👍");
    assert.deepEqual(tap.sentOf("react").at(-1), { type: "react", message_id: original.id, emoji: "👍", action: "remove" });
    await inBoth("bob's reactions gone", (m) => isDeepStrictEqual(m.reactions, [{ emoji: "👍", user_ids: [alice.id] }]));

    a.deleteMessage(original.id);
    await inBoth("the deletion", (m) => m.deleted_at && m.message === "");
    for (const session of [a, b]) {
      assert.deepEqual(stored(session, conversationId, reply.id).reply_to,
        { id: original.id, sender_id: alice.id, message: "", deleted: true });
    }
    assert.equal(bobGot.message_edited.length, 1);
    assert.equal(bobGot.reaction.length, 5, "three adds and two removes, each once");
    assert.equal(bobGot.message_deleted.length, 1);
  });

  test("refusals come back as error frames on the asking socket", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const a = chatClient(alice);
    const b = chatClient(bob);
    await connected(a);
    await connected(b);
    const sent = await a.sendMessage(bob.id, "mine to change").sent;
    const refusal = async (action) => {
      const error = b.waitFor("error");
      action();
      return pick(await error, "code", "error");
    };
    assert.deepEqual(await refusal(() => b.editMessage(sent.id, "not yours")),
      { code: "forbidden", error: "Only the sender may edit a message" });
    assert.deepEqual(await refusal(() => b.deleteMessage(sent.id)),
      { code: "forbidden", error: "Only the sender may delete a message" });
    assert.deepEqual(await refusal(() => b.react(sent.id, ":thumbsup:")),
      { code: "validation_error", error: "emoji must be one emoji" });
    assert.equal((await refusal(() => b.react(999999999, "👍"))).code, "not_found");
    await assert.rejects(b.sendMessage(alice.id, "answering nothing", { replyToId: 999999999 }).sent,
      (error) => error.frame.code === "not_found");
  });

  test("a resume replays what changed while away, once and in order; the store ends as the server has it", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const a = chatSession(alice);
    const tap = makeTap();
    // Back only when the test says so (reconnectNow), however slow the changes meanwhile.
    const b = chatSession(bob, { WebSocket: tap.WebSocket, initialDelayMs: 60000 });
    await connected(a.client);
    await connected(b.client);
    const first = await a.sendMessage(bob.id, "first, to be edited").sent;
    const second = await a.sendMessage(bob.id, "second, to be deleted").sent;
    const conversationId = first.conversation_id;
    await eventually(() => stored(b, conversationId, second.id), { what: "bob to get both" });

    tap.sockets[0].close();
    await eventually(() => b.client.status === STATUS.RECONNECTING, { what: "the drop" });
    a.editMessage(first.id, "first, edited while bob was away ✏️");
    await eventually(() => stored(a, conversationId, first.id).edited_at, { what: "the edit" });
    a.react(first.id, "🎉");
    await eventually(() => stored(a, conversationId, first.id).reactions.length, { what: "the reaction" });
    a.deleteMessage(second.id);
    await eventually(() => stored(a, conversationId, second.id).deleted_at, { what: "the deletion" });
    const answer = await a.sendMessage(bob.id, "see the first", { replyToId: first.id }).sent;

    const got = record(b.client, "frame");
    tap.duplicateIncoming = true;
    b.client.socket.reconnectNow();
    await eventually(() => got.frame.some((f) => f.type === "resumed"), { what: "the replay" });
    const events = got.frame.filter((f) => Number.isInteger(f.seq));
    assert.ok(events.every((f) => f.replayed), "all of it came from the stream");
    assert.deepEqual(events.map((f) => f.type).filter((type) => type !== "unread_count"),
      ["message_edited", "reaction", "message_deleted", "message"]);
    assert.deepEqual(events.map((f) => f.seq), events.map((_, index) => events[0].seq + index), "once each, in order");
    assert.equal(stored(b, conversationId, answer.id).reply_to.message, "first, edited while bob was away ✏️");
    const server = (await history(bob, alice)).messages;
    assert.equal(server.length, 3);
    for (const message of server) {
      const fields = ["message", "attachment", "edited_at", "deleted_at", "reactions", "reply_to"];
      assert.deepEqual(pick(stored(b, conversationId, message.id), ...fields), pick(message, ...fields), `message ${message.id}`);
    }
  });

  test("mutes and blocks over REST, and the REST forms of edit, delete and react", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const a = chatSession(alice);
    const b = chatSession(bob);
    await connected(a.client);
    await connected(b.client);
    const sent = await a.sendMessage(bob.id, "before the block").sent;
    const conversationId = sent.conversation_id;
    await eventually(() => a.chat.conversationWith(bob.id), { what: "the conversation" });
    const muteOf = () => pick(a.chat.conversationWith(bob.id), "muted", "muted_until");

    const until = new Date(Date.now() + 3600_000);
    assert.equal((await a.mute(conversationId, { until })).muted_until, until.toISOString());
    assert.deepEqual(muteOf(), { muted: true, muted_until: until.toISOString() });
    await a.mute(conversationId);
    assert.deepEqual(muteOf(), { muted: true, muted_until: null });
    await a.refreshConversations();
    assert.deepEqual(muteOf(), { muted: true, muted_until: null }, "the server keeps it");
    await a.unmute(conversationId);
    assert.deepEqual(muteOf(), { muted: false, muted_until: null });

    await b.block(alice.id);
    assert.equal(b.chat.hasBlocked(alice.id), true);
    assert.deepEqual((await b.refreshBlocks()).map((block) => block.user.id), [alice.id]);
    await assert.rejects(a.sendMessage(bob.id, "are you there?").sent, (error) => error.frame.code === "forbidden");
    assert.equal(a.chat.state.failed.at(-1).error, "You cannot message this user");
    await assert.rejects(b.sendMessage(alice.id, "nor this").sent,
      (error) => error.frame.error === "You have blocked this user; unblock them to send a message");
    await b.unblock(alice.id);
    assert.equal(b.chat.hasBlocked(alice.id), false);
    assert.deepEqual(await b.refreshBlocks(), []);
    await a.sendMessage(bob.id, "after the unblock").sent;

    assert.equal((await a.api.editMessage(sent.id, "edited over REST")).message, "edited over REST");
    assert.equal((await b.api.addReaction(sent.id, "❤️")).reactions[0].emoji, "❤️");
    assert.deepEqual((await b.api.removeReaction(sent.id, "❤️")).reactions, [], "the emoji is percent-encoded in the path");
    assert.equal(await a.api.deleteMessage(sent.id), null);
    await eventually(() => stored(b, conversationId, sent.id)?.deleted_at, { what: "bob's socket to tell of the deletion" });
  });
});

describe("notification store", () => {
  const at = (minute) => `2026-01-12T10:${String(minute).padStart(2, "0")}:00.000Z`;
  const notification = (id, fields) => ({
    id, notification_type: "system", title: `notification ${id}`, message: "", link: null, icon: null, color: null,
    priority: "normal", is_read: false, created_at: at(id), time_ago: "just now", related_object_type: null,
    related_object_id: null, data: {}, count: 1, resolved_at: null, expires_at: null, requires_ack: false,
    acknowledged_at: null, ...fields,
  });
  const frame = (payload, extra) => ({ type: "notification", notification: payload, ...extra });
  const ids = (store) => store.state.notifications.map((n) => n.id);
  const entry = (store, id) => store.state.notifications.find((n) => n.id === id);

  test("a coalesced notification replaces its entry, on top with its count, and is counted once", () => {
    const store = new NotificationStore();
    store.apply({ type: "connection", unread_count: 0 });
    store.apply(frame(notification(1, { title: "Stock low: paper", message: "3 reams left" })));
    store.apply(frame(notification(2)));
    assert.deepEqual([ids(store), store.state.unreadCount], [[2, 1], 2]);

    const coalesced = notification(1, { title: "Stock low: paper", message: "2 reams left", count: 2, created_at: at(3) });
    store.apply(frame(coalesced));
    assert.deepEqual(ids(store), [1, 2], "one entry, moved to the top");
    assert.deepEqual(pick(entry(store, 1), "count", "message"), { count: 2, message: "2 reams left" });
    assert.equal(store.state.unreadCount, 2, "it was unread already: the server counts it once");
    const after = store.state;
    store.apply(frame(coalesced));
    store.apply(frame(notification(1, { title: "Stock low: paper", message: "3 reams left" })));
    assert.equal(store.state, after, "a repeat, and the older version that crossed it, change nothing");

    // One past the first page: coalescing only ever goes into an unread one, which was counted when it came.
    store.apply(frame(notification(9, { count: 5 })));
    assert.deepEqual([ids(store), store.state.unreadCount], [[9, 1, 2], 2]);
    // Once read, the same key opens it again (as the chat's "New message from …" does): unread again.
    store.apply({ type: "notification_update", event: "notification_read", notification_id: 1, read_at: at(4), unread_count: 2 });
    store.apply(frame(notification(1, { title: "Stock low: paper", created_at: at(5) })));
    assert.deepEqual([ids(store), entry(store, 1).is_read, store.state.unreadCount], [[1, 9, 2], false, 3]);
    store.apply(frame(notification(10), { replayed: true }));
    assert.deepEqual([ids(store).length, store.state.unreadCount], [4, 3], "a replayed one is in the connection's count");
  });

  test("a resolved notification leaves the list, and the count is the event's", () => {
    const store = new NotificationStore();
    store.setList([notification(3), notification(2), notification(1, { is_read: true })]);
    store.setCount(2);
    const resolved = {
      type: "notification_update", event: "resolved", notification_id: 2, reason: "Approved by Ann", resolved_at: at(6),
      unread_count: 1, seq: 8,
    };
    store.apply(resolved);
    assert.deepEqual([ids(store), store.state.unreadCount], [[3, 1], 1]);
    store.apply({ ...resolved, replayed: true });
    store.apply({ ...resolved, notification_id: 99 });
    assert.deepEqual([ids(store), store.state.unreadCount], [[3, 1], 1], "again, or one not listed: nothing else leaves");
  });

  test("an acknowledged notification is read, and stays acknowledged", () => {
    const store = new NotificationStore();
    store.setList([notification(1, { requires_ack: true, priority: "urgent" }), notification(0)]);
    store.setCount(2);
    assert.deepEqual(store.state.notifications.map(awaitsAcknowledgement), [true, false]);
    store.apply(frame(notification(1, { requires_ack: true, priority: "urgent" }), { reminder: true }));
    store.apply({
      type: "notification_update", event: "acknowledged", notification_id: 1, acknowledged_at: at(7), is_read: true,
      unread_count: 1,
    });
    assert.deepEqual(pick(entry(store, 1), "is_read", "acknowledged_at", "reminder", "read_at"),
      { is_read: true, acknowledged_at: at(7), reminder: false, read_at: at(7) });
    assert.equal(awaitsAcknowledgement(entry(store, 1)), false);
    assert.equal(store.state.unreadCount, 1);
    store.markAcknowledged(1, at(8));
    assert.equal(entry(store, 1).acknowledged_at, at(7), "the first acknowledgement stays");
    // A reminder that crossed the acknowledgement does not bring the button back.
    store.apply(frame(notification(1, { requires_ack: true, priority: "urgent" }), { reminder: true }));
    assert.deepEqual(pick(entry(store, 1), "is_read", "acknowledged_at", "reminder"),
      { is_read: true, acknowledged_at: at(7), reminder: false });
    assert.equal(store.state.unreadCount, 1);
  });

  test("a reminder re-surfaces its notification on top, marked, without a duplicate or a count", () => {
    const store = new NotificationStore();
    const notice = notification(1, { requires_ack: true, is_read: true });
    store.setList([notification(3), notification(2), notice]);
    store.setCount(2);
    store.apply(frame(notice, { reminder: true }));
    assert.deepEqual([ids(store), entry(store, 1).reminder, store.state.unreadCount], [[1, 3, 2], true, 2]);
    store.apply(frame(notice, { reminder: true }));
    assert.deepEqual(ids(store), [1, 3, 2], "a second reminder: still one entry");
    // One not listed (older than the first page) is shown, but was counted when it came.
    store.apply(frame(notification(4, { requires_ack: true, created_at: at(0) }), { reminder: true }));
    assert.deepEqual([ids(store), store.state.unreadCount], [[4, 1, 3, 2], 2]);
    // A reload (the server's shape has no mark) keeps the marks of what still awaits acknowledgement.
    store.setList([notification(3), notification(2), notice, notification(4, { requires_ack: true, created_at: at(0) })]);
    assert.deepEqual(store.state.notifications.map((n) => Boolean(n.reminder)), [false, false, true, true]);
  });

  test("the client passes on each version of a notification and every reminder, but not a repeat", () => {
    const client = new NotificationClient({ baseUrl: BASE_URL, token: "never-connected" });
    const got = record(client, "notification", "frame");
    const first = frame(notification(1));
    const coalesced = frame(notification(1, { count: 2, created_at: at(2) }));
    for (const sent of [first, first, coalesced, coalesced]) client.handle(sent);
    for (let n = 0; n < 2; n += 1) client.handle({ ...coalesced, reminder: true });
    assert.deepEqual(got.notification.map((f) => [f.notification.count, f.reminder ?? false]),
      [[1, false], [2, false], [2, true], [2, true]]);
    assert.equal(got.frame.length, 6, "the store sees every frame, and applies a repeat as nothing");
  });
});

describe("notification client", () => {
  test("connects with the unread count and answers get_unread_count", async () => {
    const dave = takeUser();
    const client = new NotificationClient({ baseUrl: BASE_URL, token: dave.token });
    open.push(client);
    const ready = client.waitFor("connected", () => true, 15000);
    client.connect();
    const connection = await ready;
    assert.equal(connection.user_id, dave.id);
    assert.equal(typeof connection.unread_count, "number");
    const count = client.waitFor("unread_count");
    client.requestUnreadCount();
    assert.equal((await count).count, connection.unread_count);
  });

  test("the session acknowledges and keeps the email preference over REST", async () => {
    const erin = takeUser();
    const session = new NotificationSession({ baseUrl: BASE_URL, token: erin.token });
    open.push(session.client);
    session.start();
    await eventually(() => session.store.state.preferences, { what: "the preferences" });
    assert.deepEqual(session.store.state.preferences, { email_digest: true, last_digest_at: null });

    const saved = session.setPreferences({ emailDigest: false });
    assert.equal(session.store.state.preferences.email_digest, false, "shown at once");
    assert.deepEqual(await saved, { email_digest: false, last_digest_at: null });
    assert.deepEqual(await session.api.notificationPreferences(), { email_digest: false, last_digest_at: null });
    await assert.rejects(session.setPreferences({ emailDigest: "no" }), TypeError);
    assert.equal(session.store.state.preferences.email_digest, false, "a refused change is put back");

    await assert.rejects(session.acknowledge(999999999), (error) => error.status === 404);
    await assert.rejects(session.acknowledge("first"), TypeError);
    const page = await session.api.notifications({ include_resolved: true });
    assert.deepEqual(page.results, []);
  });
});
