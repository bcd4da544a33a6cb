/**
 * Mistakes the declarations must catch: tests/browser/test_package.py runs `tsc --noEmit --strict`
 * on this file and expects an error on each line that says so in its comment, and on no other.
 */
import { ChatClient, type Message, type Notification } from "erp-comm-web/client";
import { useNotifications } from "erp-comm-web/react";
import { useChatWebSocket } from "erp-comm-web/react/compat";

export function mistakes(message: Message, notification: Notification): void {
  const editedAt: string = message.edited_at; // error here: string | null
  const quoted: string = message.reply_to.message; // error here: reply_to may be null
  const resolvedAt: string = notification.resolved_at; // error here: string | null
  const count: string = notification.count; // error here: a number
  const client = new ChatClient({ baseUrl: "https://erp.example.com" }); // error here: no token
  client.on("notification", () => {}); // error here: not a chat event
  const { acknowledge } = useNotifications();
  void acknowledge(); // error here: which notification?
  const { sendChatMessage } = useChatWebSocket("t0ken");
  sendChatMessage(2); // error here: no message
  void [editedAt, quoted, resolvedAt, count];
}
