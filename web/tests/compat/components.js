/**
 * The source's example components, `ChatComponent` and `NotificationBell`, written to its
 * documentation against the drop-in hooks (web/react/compat.js): only the import line differs from
 * code written for the source. No JSX, so that the browser runs it as it is.
 */
import { createElement as h, useEffect, useMemo, useState } from "react";

import { useChatWebSocket, useNotificationWebSocket, useTypingIndicator, useWebSocket } from "../../react/compat.js";

/** ✓ sent (and delivered), ✓✓ read. */
function tick(message) {
  if (message.is_read) return ["read", "✓✓"];
  return [message.delivered_at ? "delivered" : "sent", "✓"];
}

/**
 * A one-to-one chat with `receiverId`: the messages of the conversation, ticks on the user's own,
 * who is online and typing, and a composer. Messages that arrive while the chat is open are marked
 * read; a closed chat only counts them.
 */
export function ChatComponent({ authToken, currentUserId, receiverId, receiverName, initiallyOpen = true }) {
  const {
    isConnected, messages, typingUsers, onlineUsers, sendChatMessage, sendTypingIndicator, markAsRead,
  } = useChatWebSocket(authToken);
  const { startTyping, stopTyping } = useTypingIndicator(sendTypingIndicator, receiverId);
  const [text, setText] = useState("");
  const [open, setOpen] = useState(initiallyOpen);

  const thread = useMemo(() => Object.values(messages).flat()
    .filter((m) => (m.sender_id === receiverId && m.receiver_id === currentUserId)
      || (m.sender_id === currentUserId && m.receiver_id === receiverId))
    .sort((a, b) => a.id - b.id), [messages, receiverId, currentUserId]);
  const unread = thread.filter((m) => m.sender_id === receiverId && !m.is_read);

  useEffect(() => {
    if (open && unread.length) markAsRead(unread.map((m) => m.id));
  }, [open, unread.length, markAsRead]); // eslint-disable-line react-hooks/exhaustive-deps

  const send = (event) => {
    event.preventDefault();
    const message = text.trim();
    if (!message) return;
    stopTyping();
    sendChatMessage(receiverId, message);
    setText("");
  };

  return h("section", { className: "card chat", "data-testid": "chat", "data-connected": String(isConnected) },
    h("header", null,
      h("span", { className: "presence-dot", "data-testid": "presence", "data-online": String(onlineUsers.has(receiverId)) }),
      h("strong", null, receiverName),
      h("span", { className: "connection", "data-connected": String(isConnected) }, isConnected ? "connected" : "offline"),
      h("button", { type: "button", id: "toggle-chat", onClick: () => setOpen(!open) }, open ? "Close chat" : "Open chat")),
    open
      ? h("ol", { className: "messages" }, thread.map((m) => {
        const mine = m.sender_id === currentUserId;
        const [status, mark] = tick(m);
        return h("li", { key: m.id, className: `message ${mine ? "mine" : "theirs"}`, "data-message-id": m.id },
          h("span", { className: "text" }, m.message),
          mine && h("span", { className: "tick", "data-status": status }, mark));
      }))
      : h("p", { className: "closed-note", id: "unread-note" }, `${unread.length} new`),
    h("p", { className: "typing", id: "typing", hidden: !typingUsers[receiverId] }, `${receiverName} is typing…`),
    h("form", { className: "composer", onSubmit: send },
      h("input", {
        id: "text", value: text, placeholder: "Message", autoComplete: "off",
        onChange: (event) => {
          setText(event.target.value);
          startTyping();
        },
        onBlur: stopTyping,
      }),
      h("button", { type: "submit", id: "send" }, "Send")));
}

/** The bell: the unread count, the inbox (loaded on mount, live after), mark one or all read. */
export function NotificationBell({ authToken }) {
  const { isConnected, notifications, unreadCount, markNotificationAsRead, markAllAsRead } = useNotificationWebSocket(authToken);
  const [open, setOpen] = useState(false);
  return h("section", { className: "card bell", "data-testid": "bell", "data-connected": String(isConnected) },
    h("div", { className: "bell-head" },
      h("button", { type: "button", id: "bell", "aria-expanded": String(open), onClick: () => setOpen(!open) }, "🔔 Notifications"),
      unreadCount > 0 && h("span", { className: "bell-count", id: "bell-count" }, String(unreadCount)),
      h("button", { type: "button", id: "mark-all-read", onClick: markAllAsRead }, "Mark all as read")),
    h("ul", { id: "bell-list", hidden: !open },
      notifications.map((n) => h("li", {
        key: n.id, className: "notification", "data-notification-id": n.id, "data-read": String(n.is_read),
        onClick: () => markNotificationAsRead(n.id),
      }, h("strong", null, n.title), h("div", null, n.message)))));
}

/**
 * The source's generic hook on the chat URL: it shares the chat socket of the components above
 * (one socket per user and family), and sees each frame once.
 */
export function RawSocketBadge({ authToken }) {
  const [frames, setFrames] = useState(0);
  const { isConnected } = useWebSocket(`/ws/chat/?token=${encodeURIComponent(authToken)}`, {
    onMessage: () => setFrames((n) => n + 1),
  });
  return h("p", { className: "raw", id: "raw-socket", "data-connected": String(isConnected) }, `useWebSocket: ${frames} frames`);
}
