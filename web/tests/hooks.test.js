/**
 * The React hooks rendered in a DOM (jsdom + @testing-library/react) against the real server
 * (started by tests/browser/test_js_client.py).
 */
import "./dom-env.js";

import assert from "node:assert/strict";
import { after, afterEach, describe, test } from "node:test";

import { act, cleanup, render, renderHook, screen, waitFor } from "@testing-library/react";
import { createElement as h } from "react";

import { ChatClient } from "../client/index.js";
import { awaitsAcknowledgement, RealtimeProvider, useChat, useNotifications, usePresence, useTyping } from "../react/index.js";
import { BASE_URL, takeUser } from "./helpers.js";

const WAIT = { timeout: 15000, interval: 50 };
const peers = [];

/** The other side of the conversation: a plain client, not a hook. */
async function peer(user) {
  const client = new ChatClient({ baseUrl: BASE_URL, token: user.token });
  peers.push(client);
  const ready = client.waitFor("connected", () => true, 15000);
  client.connect();
  await ready;
  return client;
}

afterEach(cleanup);
after(() => {
  for (const client of peers) client.close();
});

describe("useChat", () => {
  test("sends, receives, and keeps messages by conversation id with unread counts", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const options = { baseUrl: BASE_URL, token: alice.token };
    const { result } = renderHook(() => useChat(options));
    await waitFor(() => assert.equal(result.current.isConnected, true), WAIT);
    const bobClient = await peer(bob);

    let entry;
    act(() => {
      entry = result.current.sendMessage(bob.id, "from the hook 🪝");
    });
    const sent = await entry.sent;
    await waitFor(() => assert.equal(result.current.messages[sent.conversation_id]?.[0]?.id, sent.id), WAIT);
    assert.equal(result.current.outbox.length, 0);

    await bobClient.sendMessage(alice.id, "back to the hook 🎣").sent;
    await waitFor(() => assert.equal(result.current.messages[sent.conversation_id]?.length, 2), WAIT);
    const [mine, theirs] = result.current.messages[sent.conversation_id];
    assert.equal(mine.message, "from the hook 🪝");
    assert.equal(theirs.message, "back to the hook 🎣");
    await waitFor(() => assert.equal(result.current.unreadCounts[sent.conversation_id], 1), WAIT);
    assert.equal(result.current.unreadCount, 1);
    assert.equal(result.current.conversations[0].other_user.id, bob.id);

    act(() => {
      result.current.markAsRead(sent.conversation_id);
    });
    await waitFor(() => assert.equal(result.current.unreadCount, 0), WAIT);
    await waitFor(() => assert.equal(result.current.messages[sent.conversation_id][1].is_read, true), WAIT);
  });

  test("the sender's message turns read when the receiver reads it", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const { result } = renderHook(() => useChat({ baseUrl: BASE_URL, token: alice.token }));
    await waitFor(() => assert.equal(result.current.isConnected, true), WAIT);
    const bobClient = await peer(bob);
    let entry;
    act(() => {
      entry = result.current.sendMessage(bob.id, "tell me when you read this");
    });
    const sent = await entry.sent;
    bobClient.markRead({ conversationId: sent.conversation_id });
    await waitFor(() => assert.equal(result.current.messages[sent.conversation_id]?.[0]?.is_read, true), WAIT);
  });

  test("loadHistory fills the conversation from REST without duplicating live messages", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const bobClient = await peer(bob);
    for (const text of ["earlier 1", "earlier 2"]) await bobClient.sendMessage(alice.id, text).sent;
    const { result } = renderHook(() => useChat({ baseUrl: BASE_URL, token: alice.token }));
    await waitFor(() => assert.equal(result.current.isConnected, true), WAIT);
    let page;
    await act(async () => {
      page = await result.current.loadHistory(bob.id);
    });
    await waitFor(() => assert.equal(result.current.messages[page.conversation_id]?.length, 2), WAIT);
    assert.deepEqual(result.current.messages[page.conversation_id].map((m) => m.message), ["earlier 1", "earlier 2"]);
  });
});

describe("useChat: replies, edits, deletions, reactions, mutes, blocks", () => {
  test("the actions are there, and the messages carry reply_to, edited_at, deleted_at and reactions", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const bobClient = await peer(bob);
    const { result } = renderHook(() => useChat({ baseUrl: BASE_URL, token: alice.token }));
    await waitFor(() => assert.equal(result.current.isConnected, true), WAIT);
    const question = await bobClient.sendMessage(alice.id, "Pick a colour 🎨").sent;
    const conversationId = question.conversation_id;
    const message = (id) => result.current.messages[conversationId]?.find((m) => m.id === id);
    await waitFor(() => assert.ok(message(question.id)), WAIT);
    assert.deepEqual([message(question.id).reply_to, message(question.id).reactions], [null, []]);

    let entry;
    act(() => {
      entry = result.current.sendMessage(bob.id, "Blue 💙", { replyToId: question.id });
    });
    const answer = await entry.sent;
    await waitFor(() => assert.equal(message(answer.id)?.reply_to?.message, "Pick a colour 🎨"), WAIT);

    act(() => result.current.react(question.id, "👀"));
    await waitFor(() => assert.deepEqual(message(question.id).reactions, [{ emoji: "👀", user_ids: [alice.id] }]), WAIT);
    bobClient.editMessage(question.id, "Pick a color 🎨");
    await waitFor(() => assert.equal(message(answer.id).reply_to.message, "Pick a color 🎨"), WAIT);
    assert.equal(message(question.id).message, "Pick a color 🎨");
    assert.match(message(question.id).edited_at, /Z$/);
    act(() => result.current.toggleReaction(message(question.id), "👀"));
    await waitFor(() => assert.deepEqual(message(question.id).reactions, []), WAIT);
    act(() => result.current.editMessage(answer.id, "Green 💚"));
    await waitFor(() => assert.equal(message(answer.id).message, "Green 💚"), WAIT);
    bobClient.deleteMessage(question.id);
    await waitFor(() => assert.equal(message(answer.id).reply_to.deleted, true), WAIT);
    assert.deepEqual([message(question.id).message, typeof message(question.id).deleted_at], ["", "string"]);
    act(() => result.current.deleteMessage(answer.id));
    await waitFor(() => assert.equal(message(answer.id).message, ""), WAIT);

    await act(() => result.current.mute(conversationId));
    assert.equal(result.current.conversations[0].muted, true);
    await act(() => result.current.block(bob.id));
    assert.equal(result.current.isBlocked(bob.id), true);
    assert.deepEqual(result.current.blocks.map((block) => block.user.id), [bob.id]);
    await act(() => result.current.unblock(bob.id));
    assert.equal(result.current.isBlocked(bob.id), false);
    await act(() => result.current.unmute(conversationId));
    assert.equal(result.current.conversations[0].muted, false);
  });
});

describe("useTyping and usePresence", () => {
  test("typing users by sender id appear and clear; the online set follows contacts", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const bobFirst = await peer(bob);
    await bobFirst.sendMessage(alice.id, "hi, let us be contacts").sent;

    const options = { baseUrl: BASE_URL, token: alice.token };
    const { result } = renderHook(() => ({ typing: useTyping(options), presence: usePresence(options), chat: useChat(options) }));
    await waitFor(() => assert.equal(result.current.chat.isConnected, true), WAIT);
    await waitFor(() => assert.equal(result.current.presence.onlineUsers.has(bob.id), true), WAIT);
    assert.equal(result.current.presence.isOnline(bob.id), true);

    bobFirst.typing(alice.id);
    await waitFor(() => assert.equal(result.current.typing.typingUsers[bob.id]?.sender_id, bob.id), WAIT);
    assert.equal(result.current.typing.isTyping(bob.id), true);
    bobFirst.stopTyping(alice.id);
    await waitFor(() => assert.equal(bob.id in result.current.typing.typingUsers, false), WAIT);

    bobFirst.close();
    await waitFor(() => assert.equal(result.current.presence.onlineUsers.has(bob.id), false), WAIT);
    assert.equal(result.current.chat.conversations[0].other_user.is_online, false);
  });

  test("onInput sends typing to the receiver, debounced", async () => {
    const [alice, bob] = [takeUser(), takeUser()];
    const bobClient = await peer(bob);
    const indicators = [];
    bobClient.on("typing_indicator", (frame) => indicators.push(frame));
    const { result } = renderHook(() => ({
      chat: useChat({ baseUrl: BASE_URL, token: alice.token }),
      typing: useTyping({ baseUrl: BASE_URL, token: alice.token, receiverId: bob.id }),
    }));
    await waitFor(() => assert.equal(result.current.chat.isConnected, true), WAIT);
    act(() => {
      for (let key = 0; key < 5; key += 1) result.current.typing.onInput();
    });
    await waitFor(() => assert.equal(indicators.at(-1)?.is_typing, true), WAIT);
    act(() => result.current.typing.stopTyping());
    await waitFor(() => assert.equal(indicators.at(-1)?.is_typing, false), WAIT);
    assert.equal(indicators.length, 2);
  });
});

describe("useNotifications", () => {
  test("a bell component shows the unread count from the socket and renders the list", async () => {
    const carol = takeUser();
    function Bell() {
      const { unreadCount, notifications, isConnected, markAllAsRead } = useNotifications();
      return h("button", { onClick: markAllAsRead, "data-connected": String(isConnected) },
        `🔔 ${unreadCount} (${notifications.length})`);
    }
    render(h(RealtimeProvider, { baseUrl: BASE_URL, token: carol.token }, h(Bell)));
    await waitFor(() => assert.equal(screen.getByRole("button").dataset.connected, "true"), WAIT);
    assert.equal(screen.getByRole("button").textContent, "🔔 0 (0)");
  });
  test("coalesced, reminded, acknowledged and resolved notifications; acknowledge and the email preference", async () => {
    const dana = takeUser();
    const { result } = renderHook(() => useNotifications({ baseUrl: BASE_URL, token: dana.token }));
    await waitFor(() => assert.equal(result.current.isConnected && result.current.available, true), WAIT);
    await waitFor(() => assert.deepEqual(result.current.preferences, { email_digest: true, last_digest_at: null }), WAIT);

    // Frames as the socket passes them on, into the hook's own store.
    const at = (minute) => `2026-01-12T10:${String(minute).padStart(2, "0")}:00.000Z`;
    const base = { is_read: false, priority: "normal", count: 1, resolved_at: null, expires_at: null, acknowledged_at: null };
    const notice = { ...base, id: 900000001, title: "Fire drill at 10:00", created_at: at(1), requires_ack: true };
    const stock = { ...base, id: 900000002, title: "Stock low: paper", created_at: at(2), requires_ack: false };
    const { store } = result.current.session;
    act(() => {
      store.apply({ type: "notification", notification: notice });
      store.apply({ type: "notification", notification: stock });
      store.apply({ type: "notification", notification: { ...stock, count: 2, created_at: at(3) } });
      store.apply({ type: "notification", notification: notice, reminder: true });
    });
    const shown = () => result.current.notifications.map((n) => [n.title, n.count, n.reminder, awaitsAcknowledgement(n)]);
    assert.deepEqual(shown(), [["Fire drill at 10:00", 1, true, true], ["Stock low: paper", 2, false, false]]);
    assert.equal(result.current.unreadCount, 2);

    act(() => {
      store.apply({ type: "notification_update", event: "acknowledged", notification_id: notice.id, acknowledged_at: at(4),
        is_read: true, unread_count: 1 });
      store.apply({ type: "notification_update", event: "resolved", notification_id: stock.id, reason: "Restocked",
        resolved_at: at(5), unread_count: 0 });
    });
    assert.deepEqual(shown(), [["Fire drill at 10:00", 1, false, false]]);
    assert.deepEqual([result.current.notifications[0].acknowledged_at, result.current.unreadCount], [at(4), 0]);

    // Over REST: not this user's notification, so the server refuses it.
    await assert.rejects(result.current.acknowledge(notice.id), (error) => error.status === 404);
    await act(() => result.current.setPreferences({ emailDigest: false }));
    assert.equal(result.current.preferences.email_digest, false);
    await act(() => result.current.loadPreferences());
    assert.equal(result.current.preferences.email_digest, false, "the server kept it");
  });
});
