/**
 * A strict TypeScript application of the installed package (tests/browser/test_package.py copies
 * it next to `node_modules/erp-comm-web` and runs `tsc --noEmit` on it, with `strict`). It must
 * compile without an error; every `@ts-expect-error` line must be an error (or tsc complains).
 */
import { useEffect, type ReactElement } from "react";

import {
  ApiError, awaitsAcknowledgement, ChatClient, ChatSession, Emitter, hasReacted, messageStatus, NotificationClient,
  ReconnectingSocket, RestApi, STATUS, toId,
  type ChatServerFrame, type Conversation, type Message, type MessageStatus, type Notification,
  type NotificationEntry, type NotificationUpdateFrame, type OutboxEntry, type SocketStatus,
} from "erp-comm-web/client";
import {
  RealtimeProvider, useChat, useNotifications, usePresence, useTyping, messageStatus as statusFromHooks,
  type UseChatResult,
} from "erp-comm-web/react";
import {
  useChatWebSocket, useNotificationWebSocket, useTypingIndicator, useWebSocket, type CompatMessage,
} from "erp-comm-web/react/compat";

// The client ------------------------------------------------------------------------------------

const chat = new ChatClient({ baseUrl: "https://erp.example.com", token: "t0ken", resendAfterMs: 5000 }).connect();
const status: SocketStatus = chat.status;
const open: boolean = status === STATUS.OPEN;

const stopListening: () => void = chat.on("message", (frame) => {
  const text: string = frame.message;
  const quoted: string = frame.reply_to === null ? "" : frame.reply_to.deleted ? "(deleted)" : frame.reply_to.message;
  const seq: number | undefined = frame.seq;
  // @ts-expect-error reply_to may be null
  const unchecked: string = frame.reply_to.message;
  void [text, quoted, seq, unchecked];
});
stopListening();

chat.on("connected", (frame, { resuming }) => {
  const userId: number = frame.user_id;
  void [userId, resuming];
});
chat.on("reaction", ({ emoji, action, user_id }) => {
  const adding: boolean = action === "add";
  void [emoji, adding, user_id];
});
chat.on("error", (frame) => {
  if (frame.temp_id === undefined && frame.code === "forbidden") console.warn(frame.error);
});
chat.on("frame", (frame: ChatServerFrame) => {
  if (frame.type === "message_edited") {
    const editedAt: string = frame.edited_at;
    void editedAt;
  }
});
// @ts-expect-error not an event of the chat client
chat.on("notification", () => {});

// Options may be undefined where the client takes undefined as absent (even with exactOptionalPropertyTypes).
function connectTo(baseUrl: string | undefined, token: string, replyTo?: number): ChatClient {
  const client = new ChatClient({ baseUrl, token, lastSeq: undefined });
  client.sendMessage(2, "Hi", { replyToId: replyTo, attachmentId: undefined });
  return client;
}
connectTo(undefined, "t0ken").close();

const entry: OutboxEntry = chat.sendMessage(2, "Hello 👋", { replyToId: "41" });
const tempId: string = entry.temp_id;
void entry.sent.then((stored) => {
  chat.editMessage(stored.id, "Hello again 👋");
  chat.react(stored.id, "👍");
  chat.markRead({ conversationId: stored.conversation_id, upToId: stored.id });
});
chat.markRead({ messageIds: [1, "2"] });
// @ts-expect-error upToId goes with conversationId or senderId
chat.markRead({ messageIds: [1], upToId: 1 });
// @ts-expect-error the text is a string
chat.sendMessage(2, 42);

const bell = new NotificationClient({ token: "t0ken", WebSocket: globalThis.WebSocket });
bell.on("notification", ({ notification, reminder }) => {
  const again: boolean = reminder === true;
  const count: number = notification.count;
  void [again, count];
});
bell.on("notification_update", (update: NotificationUpdateFrame) => {
  switch (update.event) {
    case "resolved":
      console.log(update.notification_id, update.reason, update.resolved_at);
      break;
    case "acknowledged":
      console.log(update.acknowledged_at);
      break;
    case "all_dismissed":
      // @ts-expect-error all_dismissed names no notification
      console.log(update.notification_id);
      break;
    default:
      console.log(update.unread_count);
  }
});

// Any endpoint, and an emitter of one's own.
const socket = new ReconnectingSocket({ path: "/ws/chat/", token: "t0ken", maxDelayMs: 10000 });
socket.on("unread_count", (frame) => console.log("total_unread" in frame ? frame.total_unread : frame.count));
socket.on("closed", ({ code, willReconnect }) => console.log(code, willReconnect, socket.lastSeq));
const events = new Emitter<{ ready: [at: number] }>();
void events.waitFor("ready").then((at: number) => at);

// Messages and notifications ------------------------------------------------------------------

function describeMessage(message: Message): string {
  const tick: MessageStatus = messageStatus(message);
  const edited = message.edited_at !== null ? ` (edited ${message.edited_at.slice(0, 10)})` : "";
  if (message.deleted_at !== null) return `Message deleted ${message.deleted_at}`;
  const reply = message.reply_to ? `> ${message.reply_to.message}\n` : "";
  const reactions = message.reactions.map((r) => `${r.emoji} ${r.user_ids.length}`).join(" ");
  const mine = hasReacted(message, 1, "👍");
  // @ts-expect-error edited_at may be null
  const editedDay: string = message.edited_at.slice(0, 10);
  void editedDay;
  return `${reply}${message.message}${edited} ${tick} ${reactions} ${mine}`;
}

function describeNotification(notification: Notification | NotificationEntry): string {
  const counter = notification.count > 1 ? ` ×${notification.count}` : "";
  const ack = awaitsAcknowledgement(notification) ? " [Acknowledge]" : "";
  const acknowledged = notification.acknowledged_at ?? "not yet";
  const expired = notification.expires_at !== null && Date.parse(notification.expires_at) < Date.now();
  const resolved = notification.resolved_at === null ? "open" : `resolved ${notification.resolved_at}`;
  const needsAck: boolean = notification.requires_ack;
  // @ts-expect-error resolved_at may be null
  const resolvedAt: string = notification.resolved_at;
  void resolvedAt;
  return `${notification.title}${counter}${ack} ${acknowledged} ${expired} ${resolved} ${needsAck}`;
}

function describeConversation(conversation: Conversation): string {
  const muted = conversation.muted ? (conversation.muted_until ?? "until unmuted") : "not muted";
  return `${conversation.other_user.full_name}: ${conversation.last_message ?? ""} (${muted})`;
}

// REST and sessions ----------------------------------------------------------------------------

async function restExamples(): Promise<void> {
  const { token, user } = await RestApi.login({ baseUrl: "https://erp.example.com", username: "alice", password: "pw" });
  const api = new RestApi({ baseUrl: "https://erp.example.com", token });
  const page = await api.history(user.id, { limit: 20 });
  page.messages.forEach(describeMessage);
  const answer = await api.editMessage(page.messages[0]!.id, "fixed");
  if ("id" in answer) describeMessage(answer);
  else console.log(answer.status);
  const mute = await api.mute(7, { until: new Date() });
  const until: string | null = mute.muted_until;
  const inbox = await api.notifications({ include_resolved: true });
  inbox.results.forEach(describeNotification);
  try {
    await api.acknowledgeNotification(40);
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) console.log(error.body?.error);
  }
  const preferences = await api.setNotificationPreferences({ emailDigest: false });
  const digest: boolean = preferences.email_digest;
  void [until, digest, toId("7")];
}

const session = new ChatSession({ baseUrl: "https://erp.example.com", token: "t0ken" }).start();
session.chat.subscribe((state) => {
  const list: Message[] = state.messages[7] ?? [];
  void list.map(describeMessage);
  state.conversations.forEach(describeConversation);
});
const unsubscribe = session.presence.subscribe(({ onlineUsers }) => onlineUsers.has(2));
unsubscribe();

// The hooks -----------------------------------------------------------------------------------

function Conversation({ partnerId }: { partnerId: number }): ReactElement {
  const chatState: UseChatResult = useChat();
  const { messages, conversations, sendMessage, markAsRead, loadHistory, outbox, failed, toggleReaction, mute } = chatState;
  const { typingUsers, onInput } = useTyping({ receiverId: partnerId });
  const { isOnline } = usePresence();
  const conversationId = conversations.find((c) => c.other_user.id === partnerId)?.conversation_id;
  const list = conversationId === undefined ? [] : (messages[conversationId] ?? []);

  useEffect(() => {
    void loadHistory(partnerId)?.then((page) => page.has_more);
  }, [partnerId, loadHistory]);
  useEffect(() => {
    if (conversationId !== undefined) markAsRead(conversationId);
  }, [conversationId, list.length, markAsRead]);

  const typing = typingUsers[partnerId];
  return (
    <section data-online={isOnline(partnerId)}>
      {list.map((m) => (
        <p key={m.id} onClick={() => toggleReaction(m, "👍")}>
          {describeMessage(m)} {statusFromHooks(m)}
        </p>
      ))}
      {outbox.filter((e) => e.receiver_id === partnerId).map((e) => <p key={e.temp_id}>{e.message} 🕓</p>)}
      {failed.map((e) => <p key={e.temp_id}>{e.error} ({e.code})</p>)}
      {typing && <p>{typing.sender_name} is typing…</p>}
      <input onInput={onInput} />
      <button onClick={() => sendMessage(partnerId, "Hi", { attachmentId: null })}>Send</button>
      <button onClick={() => conversationId !== undefined && void mute(conversationId, { until: null })}>Mute</button>
    </section>
  );
}

function NotificationBell(): ReactElement {
  const { unreadCount, notifications, markAllAsRead, acknowledge, preferences, setPreferences, available } = useNotifications();
  return (
    <div data-available={available ?? "unknown"}>
      <button onClick={markAllAsRead}>🔔 {unreadCount}</button>
      {notifications.map((n) => (
        <div key={n.id}>
          {describeNotification(n)} {n.reminder ? "Reminder" : ""}
          {awaitsAcknowledgement(n) && <button onClick={() => void acknowledge(n.id)}>Acknowledge</button>}
        </div>
      ))}
      <input
        type="checkbox"
        checked={preferences?.email_digest ?? true}
        onChange={(event) => void setPreferences({ emailDigest: event.target.checked })}
      />
    </div>
  );
}

// The drop-in hooks, as a component written against the source's documentation uses them ------

function SourceChat({ authToken, currentUserId, otherUserId }: { authToken: string; currentUserId: number; otherUserId: number }): ReactElement {
  const { isConnected, messages, typingUsers, onlineUsers, sendChatMessage, sendTypingIndicator, markConversationAsRead } =
    useChatWebSocket(authToken);
  const { startTyping, stopTyping } = useTypingIndicator(sendTypingIndicator, otherUserId);
  const { unreadCount, notifications, markNotificationAsRead, getUnreadCount } = useNotificationWebSocket(authToken);
  const { sendMessage } = useWebSocket(`/ws/chat/?token=${authToken}`, {
    onMessage: (frame) => frame.type === "message" && console.log(frame.message),
    reconnectAttempts: 3,
  });
  const list: CompatMessage[] = Object.values(messages).flat();
  const typing: boolean = typingUsers[String(otherUserId)] ?? false;
  return (
    <section data-online={onlineUsers.has(otherUserId)} data-unread={unreadCount + getUnreadCount()}>
      {list.map((m) => <p key={m.id}>{m.message} {m.sender_id === currentUserId && (m.is_read ? "✓✓" : "✓")}</p>)}
      {notifications.map((n) => <p key={n.id} onClick={() => markNotificationAsRead(n.id)}>{n.title}</p>)}
      {typing && <p>typing…</p>}
      <input disabled={!isConnected} onInput={startTyping} onBlur={stopTyping} />
      <button onClick={() => { const tempId: string = sendChatMessage(otherUserId, "Hi"); stopTyping(); void tempId; }}>Send</button>
      <button onClick={() => { markConversationAsRead(7); sendMessage({ type: "ping" }); }}>Ping</button>
    </section>
  );
}

export function App({ token }: { token: string | null }): ReactElement {
  return (
    <RealtimeProvider baseUrl="https://erp.example.com" token={token}>
      <Conversation partnerId={2} />
      <NotificationBell />
      {token && <SourceChat authToken={token} currentUserId={1} otherUserId={2} />}
    </RealtimeProvider>
  );
}

void [open, tempId, restExamples];
