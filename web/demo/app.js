/**
 * The demo page: everything a frontend needs, built on web/client with no framework and no build.
 * State lives in the client's stores; these functions only render it and forward user actions.
 */
import {
  ApiError, awaitsAcknowledgement, ChatSession, hasReacted, messageStatus, NotificationSession, RestApi, STATUS,
} from "../client/index.js";

const $ = (id) => document.getElementById(id);
const storage = window.sessionStorage; // per tab: two tabs can be two different users
const AUTH_KEY = "erp-chat.auth";
const PARTNER_KEY = "erp-chat.partner";
const TICKS = { pending: "🕓", sent: "✓", delivered: "✓", read: "✓✓", failed: "!" };
const TICK_TITLES = { pending: "Sending…", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not sent" };
const REACTIONS = ["👍", "❤️", "😂", "🎉", "👀"];
// The refusals of an edit, deletion or reaction: the server's text says what went wrong.
const REFUSALS = new Set(["forbidden", "not_found", "validation_error", "too_large"]);

const page = {
  auth: null,
  session: null,
  notifications: null,
  partnerId: null,
  partner: null,
  conversationId: null,
  // The newest message on screen: marking read covers it and nothing after it.
  newestShownId: null,
  // What the composer is for besides a new message: {mode: "reply" | "edit", message}, or null.
  composing: null,
  attachmentsAvailable: true,
  blobUrls: new Map(),
  // One <img> per attachment, moved into each render: a new one would load again and shift the list.
  images: new Map(),
  // Notification ids whose acknowledgement is on its way to the server.
  acknowledging: new Set(),
  unsubscribe: [],
};

// Start ----------------------------------------------------------------------------------

function init() {
  wireStaticControls();
  const saved = readJson(storage.getItem(AUTH_KEY));
  if (saved?.token) start(saved);
  else showLogin();
}

function showLogin(message) {
  $("app-view").hidden = true;
  $("login-view").hidden = false;
  $("login-error").hidden = !message;
  $("login-error").textContent = message ?? "";
  $("login-username").focus();
}

async function login(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  $("login-submit").disabled = true;
  try {
    const auth = await RestApi.login({ username: form.get("username"), password: form.get("password") });
    storage.setItem(AUTH_KEY, JSON.stringify({ token: auth.token, user: auth.user }));
    start(auth);
  } catch (error) {
    const tooMany = error instanceof ApiError && error.status === 429;
    showLogin(tooMany ? "Too many attempts; wait a minute and try again." : "Invalid username or password.");
  } finally {
    $("login-submit").disabled = false;
  }
}

function start(auth) {
  page.auth = auth;
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("me-name").textContent = auth.user.full_name;
  paintAvatar($("me-avatar"), auth.user);

  const session = new ChatSession({ token: auth.token }).start();
  const notifications = new NotificationSession({ token: auth.token }).start();
  page.session = session;
  page.notifications = notifications;
  page.unsubscribe = [
    session.client.on("send_failed", ({ error }) => toast(`Not sent: ${error.error}`)),
    session.client.on("error", (frame) => {
      if (frame.code === "rate_limited" && frame.temp_id) toast("You are sending too fast; it will go out in a moment.");
      if (!frame.temp_id && REFUSALS.has(frame.code)) toast(frame.error);
    }),
    session.chat.subscribe(renderChat),
    session.presence.subscribe(renderChat),
    session.typing.subscribe(renderTyping),
    notifications.store.subscribe(renderBell),
    notifications.client.on("notification_update", (frame) => {
      if (frame.event === "resolved") toast(frame.reason ? `Resolved: ${frame.reason}` : "Resolved");
    }),
  ];
  session.refreshConversations().catch(apiFailed);
  renderChat();
  renderBell();
  const partner = Number(storage.getItem(PARTNER_KEY));
  if (partner) openConversation(partner);
}

async function logout(message) {
  const { session, notifications } = page;
  if (!session) return;
  page.unsubscribe.forEach((unsubscribe) => unsubscribe());
  session.stop();
  notifications.stop();
  if (!message) session.api.logout().catch(() => {});
  storage.removeItem(AUTH_KEY);
  storage.removeItem(PARTNER_KEY);
  Object.assign(page, {
    session: null, notifications: null, partnerId: null, partner: null, conversationId: null, composing: null,
    acknowledging: new Set(),
  });
  $("chat-empty").hidden = false;
  for (const id of ["chat-head", "messages", "composer", "typing", "composer-context"]) $(id).hidden = true;
  showLogin(message);
}

function apiFailed(error) {
  if (error instanceof ApiError && error.status === 401) logout("Your session has ended; please log in again.");
  else toast(error.message);
}

// Conversations --------------------------------------------------------------------------

async function openConversation(userId) {
  page.partnerId = userId;
  storage.setItem(PARTNER_KEY, String(userId));
  const known = page.session.chat.conversationWith(userId);
  page.conversationId = known?.conversation_id ?? null;
  page.partner = known?.other_user ?? null;
  $("chat-empty").hidden = true;
  for (const id of ["chat-head", "messages", "composer"]) $(id).hidden = false;
  $("text").value = "";
  setComposing(null);
  renderChat();
  try {
    const history = await page.session.loadHistory(userId);
    if (page.partnerId !== userId) return;
    page.partner = history.other_user;
    page.conversationId = history.conversation_id;
    renderChat();
    scrollToBottom();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      storage.removeItem(PARTNER_KEY);
      toast("That user does not exist any more.");
      return;
    }
    apiFailed(error);
  }
  $("text").focus();
}

function renderChat() {
  const { session } = page;
  if (!session) return;
  const state = session.chat.getSnapshot();
  if (state.status === STATUS.AUTH_FAILED) {
    logout("Your session has ended; please log in again.");
    return;
  }
  if (page.partnerId && page.conversationId == null) {
    page.conversationId = session.chat.conversationWith(page.partnerId)?.conversation_id ?? null;
  }
  renderConnection(state.status);
  renderConversations(state);
  renderChatHead();
  renderMessages(state);
  document.title = state.totalUnread ? `(${state.totalUnread}) ERP Chat` : "ERP Chat";
  markReadIfSeen();
}

function renderConnection(status) {
  const labels = {
    open: "Connected", connecting: "Connecting…", reconnecting: "Reconnecting…", idle: "Connecting…",
    closed: "Disconnected", auth_failed: "Signed out", evicted: "Open in too many tabs",
  };
  $("connection").dataset.status = status;
  $("connection").textContent = labels[status] ?? status;
}

function renderConversations(state) {
  const online = page.session.presence.getSnapshot().onlineUsers;
  const list = $("conversations");
  list.replaceChildren(...state.conversations.map((conversation) => {
    const other = conversation.other_user;
    const button = element("button", { className: "conversation", type: "button" });
    button.dataset.userId = other.id;
    button.setAttribute("aria-current", String(other.id === page.partnerId));
    button.addEventListener("click", () => openConversation(other.id));
    const avatar = avatarFor(other, online.has(other.id) || other.is_online);
    const unread = state.unreadCounts[conversation.conversation_id] ?? conversation.unread_count;
    const preview = (conversation.last_message_by_me ? "You: " : "") + (conversation.last_message || "📎 Attachment");
    button.append(avatar, element("div", { className: "conversation-main" }, [
      element("div", { className: "conversation-top" }, [
        element("span", { className: "conversation-name", textContent: other.full_name || other.username }),
        conversation.muted ? element("span", { className: "conversation-muted", textContent: "🔕", title: "Muted" }) : "",
        element("span", { className: "conversation-time", textContent: shortTime(conversation.last_message_at) }),
      ]),
      element("div", { className: "conversation-bottom" }, [
        element("span", { className: "conversation-preview", textContent: preview }),
        unread ? element("span", { className: "badge unread", textContent: String(unread), title: `${unread} unread` }) : "",
      ]),
    ]));
    return element("li", {}, [button]);
  }));
  $("conversations-empty").hidden = state.conversations.length > 0;
}

function renderChatHead() {
  if (!page.partnerId) return;
  const partner = currentPartner();
  const { onlineUsers, lastSeen } = page.session.presence.getSnapshot();
  const online = onlineUsers.has(page.partnerId);
  const name = partnerName();
  $("chat-name").textContent = name;
  const avatar = $("chat-avatar");
  paintAvatar(avatar, partner ?? { id: page.partnerId, full_name: name });
  avatar.querySelector(".presence-dot").dataset.online = String(online);
  const typing = page.session.typing.getSnapshot().typingUsers[page.partnerId];
  const status = $("chat-status");
  status.classList.toggle("typing-now", Boolean(typing));
  const seen = lastSeen[page.partnerId];
  status.textContent = typing ? "typing…" : online ? "Online" : seen ? `Last seen ${shortTime(seen)}` : "Offline";
  renderChatControls();
}

/** Mute needs a conversation (the first message makes one); block needs only the person. */
function renderChatControls() {
  const conversation = page.session.chat.conversationWith(page.partnerId);
  const muted = Boolean(conversation?.muted);
  const blocked = page.session.chat.hasBlocked(page.partnerId);
  $("chat-muted").hidden = !muted;
  $("chat-muted").textContent = conversation?.muted_until ? `🔕 Muted until ${shortTime(conversation.muted_until)}` : "🔕 Muted";
  $("chat-blocked").hidden = !blocked;
  $("mute").disabled = !conversation;
  $("mute").textContent = muted ? "Unmute" : "Mute";
  $("block").textContent = blocked ? "Unblock" : "Block";
}

async function toggleMute() {
  const conversation = page.session.chat.conversationWith(page.partnerId);
  if (!conversation) return;
  try {
    if (conversation.muted) await page.session.unmute(conversation.conversation_id);
    else await page.session.mute(conversation.conversation_id);
  } catch (error) {
    apiFailed(error);
  }
}

async function toggleBlock() {
  const userId = page.partnerId;
  try {
    if (page.session.chat.hasBlocked(userId)) await page.session.unblock(userId);
    else await page.session.block(userId);
  } catch (error) {
    apiFailed(error);
  }
}

function renderMessages(state) {
  const box = $("messages");
  if (!page.partnerId) return;
  const nearBottom = distanceFromBottom() < 80;
  const stored = page.conversationId != null ? state.messages[page.conversationId] ?? [] : [];
  page.newestShownId = stored.at(-1)?.id ?? null;
  const storedTempIds = new Set(stored.map((m) => m.temp_id).filter(Boolean));
  const unsent = page.session.chat.unsentTo(page.partnerId).filter((m) => !storedTempIds.has(m.temp_id));
  const me = page.auth.user.id;
  const nodes = [];
  let lastDay = null;
  for (const message of [...stored, ...unsent]) {
    const when = message.timestamp ?? message.created_at;
    const day = new Date(when).toDateString();
    if (day !== lastDay) {
      nodes.push(element("div", { className: "day", textContent: dayLabel(when) }));
      lastDay = day;
    }
    nodes.push(messageNode(message, message.id == null || message.sender_id === me));
  }
  const grew = nodes.length !== box.childElementCount;
  box.replaceChildren(...nodes);
  if (nearBottom || (grew && unsent.length)) scrollToBottom();
}

function messageNode(message, mine) {
  const node = element("div", { className: `message ${mine ? "mine" : "theirs"}` });
  if (message.id != null) node.dataset.messageId = message.id;
  if (message.temp_id) node.dataset.tempId = message.temp_id;
  const deleted = Boolean(message.deleted_at);
  node.append(deleted ? element("div", { className: "bubble" }, [
    element("span", { className: "text deleted", textContent: "Message deleted" }),
  ]) : bubbleNode(message));
  if (message.reactions?.length && !deleted) node.append(reactionsNode(message));
  const meta = element("div", { className: "meta" }, [
    element("time", { textContent: clockTime(message.timestamp ?? message.created_at) }),
  ]);
  if (message.edited_at && !deleted) {
    meta.append(element("span", { className: "edited", textContent: "edited", title: `Edited ${shortTime(message.edited_at)}` }));
  }
  if (mine) {
    const status = messageStatus(message);
    const tick = element("span", { className: "tick", textContent: TICKS[status], title: message.error ?? TICK_TITLES[status] });
    tick.dataset.status = status;
    meta.append(tick);
  }
  if (message.failed) meta.append(element("span", { className: "send-error", textContent: message.error }));
  // Only a stored message that still has content can be answered, reacted to, edited or deleted.
  if (message.id != null && !deleted) {
    // Mine sit at the right edge: their actions go before the time, so that the tick stays by the bubble.
    if (mine) meta.prepend(actionsNode(message, mine));
    else meta.append(actionsNode(message, mine));
  }
  node.append(meta);
  return node;
}

function bubbleNode(message) {
  const bubble = element("div", { className: "bubble" });
  if (message.reply_to) bubble.append(quoteNode(message.reply_to));
  if (message.message) bubble.append(element("span", { className: "text", textContent: message.message }));
  if (message.attachment) bubble.append(attachmentNode(message));
  else if (message.attachment_id) bubble.append(element("span", { className: "attachment", textContent: "📎 Attachment" }));
  return bubble;
}

/** The excerpt of the message a reply answers, as it reads now. */
function quoteNode(quoted) {
  const name = quoted.sender_id === page.auth.user.id ? "You" : partnerName();
  const text = element("span", { className: "quote-text", textContent: quoted.message || "📎 Attachment" });
  if (quoted.deleted) Object.assign(text, { className: "quote-text deleted", textContent: "Message deleted" });
  return element("div", { className: "quote" }, [element("span", { className: "quote-name", textContent: name }), text]);
}

/** One chip per emoji with its count; pressing one toggles the user's own reaction. */
function reactionsNode(message) {
  const me = page.auth.user.id;
  return element("div", { className: "reactions" }, message.reactions.map(({ emoji, user_ids: userIds }) => {
    const chip = element("button", {
      type: "button", className: "reaction", textContent: `${emoji} ${userIds.length}`,
      title: userIds.map((id) => (id === me ? "You" : partnerName())).join(", "),
    });
    chip.setAttribute("aria-pressed", String(hasReacted(message, me, emoji)));
    chip.addEventListener("click", () => page.session.toggleReaction(message, emoji));
    return chip;
  }));
}

function actionsNode(message, mine) {
  const me = page.auth.user.id;
  const action = (label, onClick, extra = {}) => {
    const button = element("button", { type: "button", className: "action", textContent: label, ...extra });
    button.addEventListener("click", onClick);
    return button;
  };
  const buttons = [action("Reply", () => setComposing({ mode: "reply", message }))];
  for (const emoji of REACTIONS) {
    const button = action(emoji, () => page.session.toggleReaction(message, emoji), { title: `React with ${emoji}` });
    button.setAttribute("aria-label", `React with ${emoji}`);
    button.setAttribute("aria-pressed", String(hasReacted(message, me, emoji)));
    buttons.push(button);
  }
  if (mine) {
    buttons.push(action("Edit", () => setComposing({ mode: "edit", message })));
    buttons.push(action("Delete", () => page.session.deleteMessage(message.id)));
  }
  const group = element("div", { className: "actions" }, buttons);
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", "Message actions");
  return group;
}

function currentPartner() {
  return page.partner ?? page.session.chat.conversationWith(page.partnerId)?.other_user;
}

function partnerName() {
  const partner = currentPartner();
  return partner ? partner.full_name || partner.username : `User ${page.partnerId}`;
}

function attachmentNode(message) {
  const holder = element("span", { className: "attachment" });
  if (message.attachment_type === "image") {
    holder.append(imageNode(message.attachment));
    return holder;
  }
  const link = element("button", { className: "attachment-link", type: "button", textContent: `📎 Download ${message.attachment_type ?? "file"}` });
  link.addEventListener("click", async () => {
    const anchor = element("a", { href: await blobUrl(message.attachment), download: "" });
    anchor.click();
  });
  holder.append(link);
  return holder;
}

function imageNode(url) {
  if (!page.images.has(url)) {
    const image = element("img", { alt: "Attached image" });
    page.images.set(url, image);
    // Loaded, the image grows the list: a reader who was at the bottom stays there.
    image.addEventListener("load", () => {
      if (distanceFromBottom() < image.offsetHeight + 80) scrollToBottom();
    });
    blobUrl(url).then((src) => {
      image.src = src;
    }, () => {
      page.images.set(url, document.createTextNode("📎 Image unavailable"));
      image.replaceWith(page.images.get(url));
    });
  }
  return page.images.get(url);
}

/** Attachments need the token, which an <img src> cannot send: fetch them, then show a blob URL. */
function blobUrl(url) {
  if (!page.blobUrls.has(url)) {
    page.blobUrls.set(url, page.session.api.download(url).then((blob) => URL.createObjectURL(blob)));
  }
  return page.blobUrls.get(url);
}

function renderTyping() {
  if (!page.session) return;
  const typing = page.session.typing.getSnapshot().typingUsers[page.partnerId];
  $("typing").hidden = !typing;
  $("typing-text").textContent = typing ? `${typing.sender_name} is typing…` : "";
  renderChatHead();
}

/**
 * What the user has on screen counts as read, up to the newest message shown (receipts go to the
 * sender: ✓✓); a message that arrives later waits until it has been shown too.
 */
function markReadIfSeen() {
  if (page.conversationId != null && page.newestShownId != null && document.visibilityState === "visible") {
    page.session.markConversationRead(page.conversationId, { upToId: page.newestShownId });
  }
}

function distanceFromBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight;
}

function scrollToBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

// Composer -------------------------------------------------------------------------------

function send(event) {
  event.preventDefault();
  const text = $("text").value.trim();
  const editing = page.composing?.mode === "edit";
  // An edit may empty the text of a message with an attachment; the server says when it may not.
  if (!page.partnerId || (!text && !editing)) return;
  if (editing) page.session.editMessage(page.composing.message.id, text);
  else page.session.sendMessage(page.partnerId, text, { replyToId: replyToId() });
  $("text").value = "";
  setComposing(null);
  $("text").focus();
}

/** Shows what the composer is for above it (the message replied to, or the one being edited). */
function setComposing(composing) {
  const wasEditing = page.composing?.mode === "edit";
  page.composing = composing;
  // The text being edited takes the composer's place of a draft, and leaves with the edit.
  if (composing?.mode === "edit") $("text").value = composing.message.message;
  else if (wasEditing) $("text").value = "";
  $("composer-context").hidden = !composing;
  // An attachment added while editing would go out as a new message.
  $("attach").hidden = composing?.mode === "edit";
  if (!composing) return;
  const { mode, message } = composing;
  const mine = message.sender_id === page.auth.user.id;
  const whom = mine ? "yourself" : partnerName();
  $("composer-context-title").textContent = mode === "edit" ? "Editing your message" : `Replying to ${whom}`;
  $("composer-context-text").textContent = message.message || "📎 Attachment";
  $("composer-context-cancel").setAttribute("aria-label", mode === "edit" ? "Cancel editing" : "Cancel reply");
  $("text").focus();
}

function replyToId() {
  return page.composing?.mode === "reply" ? page.composing.message.id : undefined;
}

function typed() {
  // Editing changes a message already there: the partner is not told that a new one is coming.
  if (!page.partnerId || page.composing?.mode === "edit") return;
  if ($("text").value) page.session.typingTo(page.partnerId);
  else page.session.stopTypingTo(page.partnerId);
}

async function attach() {
  const file = $("file").files[0];
  $("file").value = "";
  if (!file || !page.partnerId) return;
  toast(`Uploading ${file.name}…`);
  try {
    const upload = await page.session.uploadAttachment(file);
    page.session.sendMessage(page.partnerId, $("text").value.trim(), { attachmentId: upload.id, replyToId: replyToId() });
    $("text").value = "";
    setComposing(null);
    toast(`${file.name} sent`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
      page.attachmentsAvailable = false;
      $("attach").disabled = true;
      $("attach").title = "Attachments are not available on this server";
      toast("Attachments are not available on this server.");
      return;
    }
    apiFailed(error);
  }
}

// People ---------------------------------------------------------------------------------

let peopleTimer = null;

function togglePeople() {
  const picker = $("people-picker");
  picker.hidden = !picker.hidden;
  if (!picker.hidden) {
    $("people-search").value = "";
    $("people-search").focus();
    loadPeople("");
  }
}

async function loadPeople(query) {
  try {
    const { people } = await page.session.api.request("GET", `/demo/people/?q=${encodeURIComponent(query)}`);
    const online = page.session.presence.getSnapshot().onlineUsers;
    $("people").replaceChildren(...people.map((person) => {
      const button = element("button", { type: "button" }, [
        avatarFor(person, online.has(person.id), true),
        element("span", { textContent: `${person.full_name} (${person.username})` }),
      ]);
      button.dataset.userId = person.id;
      button.addEventListener("click", () => {
        $("people-picker").hidden = true;
        openConversation(person.id);
      });
      return element("li", {}, [button]);
    }));
    if (!people.length) $("people").replaceChildren(element("li", { className: "muted", textContent: "Nobody found." }));
  } catch (error) {
    apiFailed(error);
  }
}

// Notifications --------------------------------------------------------------------------

function renderBell() {
  if (!page.notifications) return;
  const { notifications, unreadCount, available, preferences } = page.notifications.store.getSnapshot();
  const bell = $("bell");
  bell.disabled = available === false;
  bell.title = available === false ? "Notifications are not available on this server" : "Notifications";
  $("bell-count").hidden = !unreadCount;
  $("bell-count").textContent = unreadCount > 99 ? "99+" : String(unreadCount);
  $("notifications-empty").hidden = notifications.length > 0;
  $("mark-all-read").disabled = !unreadCount;
  $("email-digest").disabled = !preferences;
  $("email-digest").checked = Boolean(preferences?.email_digest);
  $("notification-list").replaceChildren(...notifications.map(notificationNode));
}

/**
 * One line of the bell: "×N" when several coalesced into it, "Reminder" when it came back
 * unacknowledged, and Acknowledge (then "Acknowledged") when it asks to be acknowledged.
 */
function notificationNode(notification) {
  const count = notification.count ?? 1;
  const open = element("button", { className: "notification-open", type: "button" }, [
    element("span", { className: "notification-dot" }),
    element("span", { className: "notification-main" }, [
      element("div", { className: "notification-top" }, [
        element("span", { className: "notification-title", textContent: notification.title }),
        count > 1 ? element("span", { className: "notification-count", textContent: `×${count}`, title: `${count} times` }) : "",
        notification.reminder ? element("span", { className: "notification-reminder", textContent: "Reminder" }) : "",
      ]),
      element("div", { className: "notification-body", textContent: notification.message }),
      element("div", { className: "notification-time", textContent: notification.time_ago ?? shortTime(notification.created_at) }),
    ]),
  ]);
  open.addEventListener("click", () => {
    if (!notification.is_read) page.notifications.markRead(notification.id);
    openRelatedConversation(notification);
  });
  const item = element("div", { className: "notification" }, [open]);
  item.dataset.notificationId = notification.id;
  item.dataset.read = String(notification.is_read);
  item.dataset.priority = notification.priority;
  item.dataset.count = count;
  item.dataset.reminder = String(Boolean(notification.reminder));
  if (notification.requires_ack) item.append(acknowledgementNode(notification));
  return element("li", {}, [item]);
}

function acknowledgementNode(notification) {
  const row = element("div", { className: "notification-ack" });
  if (!awaitsAcknowledgement(notification)) {
    const when = `Acknowledged ${shortTime(notification.acknowledged_at)}`;
    row.append(element("span", { className: "acknowledged", textContent: "✓ Acknowledged", title: when }));
    return row;
  }
  const sending = page.acknowledging.has(notification.id);
  const button = element("button", {
    type: "button", className: "ack-button", textContent: sending ? "Acknowledging…" : "Acknowledge", disabled: sending,
    title: "Confirm that you have read this (reminders stop)",
  });
  button.addEventListener("click", (event) => {
    // The list is drawn again at once: a click that went on would find its button gone and close the panel.
    event.stopPropagation();
    acknowledge(notification.id);
  });
  row.append(button);
  return row;
}

async function acknowledge(id) {
  const { notifications } = page;
  if (!notifications) return;
  page.acknowledging.add(id);
  renderBell();
  try {
    await notifications.acknowledge(id);
  } catch (error) {
    apiFailed(error);
  } finally {
    page.acknowledging.delete(id);
    renderBell();
  }
}

async function setEmailDigest(on) {
  try {
    await page.notifications?.setPreferences({ emailDigest: on });
    toast(on ? "You will get an email of what you miss." : "No emails of what you miss.");
  } catch (error) {
    apiFailed(error);
  }
}

/** A chat notification ("New message from …") opens that conversation. */
function openRelatedConversation(notification) {
  if (notification.related_object_type !== "chat.conversation") return;
  const conversation = page.session.chat.getSnapshot().conversations
    .find((c) => String(c.conversation_id) === String(notification.related_object_id));
  if (!conversation) return;
  toggleBell(false);
  openConversation(conversation.other_user.id);
}

function toggleBell(open = $("bell-panel").hidden) {
  $("bell-panel").hidden = !open;
  $("bell").setAttribute("aria-expanded", String(open));
}

// Helpers --------------------------------------------------------------------------------

function wireStaticControls() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => logout());
  $("composer").addEventListener("submit", send);
  $("text").addEventListener("input", typed);
  $("attach").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", attach);
  $("composer-context-cancel").addEventListener("click", () => setComposing(null));
  $("mute").addEventListener("click", toggleMute);
  $("block").addEventListener("click", toggleBlock);
  $("new-chat").addEventListener("click", togglePeople);
  $("people-search").addEventListener("input", (event) => {
    clearTimeout(peopleTimer);
    peopleTimer = setTimeout(() => loadPeople(event.target.value), 250);
  });
  $("bell").addEventListener("click", (event) => {
    event.stopPropagation();
    toggleBell();
  });
  $("mark-all-read").addEventListener("click", () => page.notifications?.markAllRead());
  $("email-digest").addEventListener("change", (event) => setEmailDigest(event.target.checked));
  document.addEventListener("click", (event) => {
    if (!$("bell-panel").hidden && !$("bell-panel").contains(event.target)) toggleBell(false);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") toggleBell(false);
  });
  document.addEventListener("visibilitychange", markReadIfSeen);
  window.addEventListener("online", () => page.session?.client.socket.reconnectNow());
}

function element(tag, properties = {}, children = []) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

function avatarFor(user, online, small = false) {
  const avatar = element("span", { className: small ? "avatar avatar-small" : "avatar" });
  paintAvatar(avatar, user);
  if (!small) {
    const dot = element("span", { className: "presence-dot", title: online ? "Online" : "Offline" });
    dot.dataset.online = String(Boolean(online));
    avatar.append(dot);
  }
  return avatar;
}

function paintAvatar(avatar, user) {
  const name = user.full_name || user.username || "?";
  const initials = name.split(/\s+/).filter(Boolean).slice(0, 2).map((word) => [...word][0]).join("").toUpperCase();
  const label = avatar.firstChild?.nodeType === Node.TEXT_NODE ? avatar.firstChild : avatar.insertBefore(document.createTextNode(""), avatar.firstChild);
  label.textContent = initials;
  avatar.style.setProperty("--avatar", `hsl(${(user.id * 67) % 360} 55% 48%)`);
}

function clockTime(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

function shortTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString() ? clockTime(iso) : date.toLocaleDateString([], { day: "numeric", month: "short" });
}

function dayLabel(iso) {
  const date = new Date(iso);
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return "Today";
  today.setDate(today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return "Yesterday";
  return date.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long" });
}

let toastTimer = null;
function toast(text) {
  $("toast").textContent = text;
  $("toast").hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    $("toast").hidden = true;
  }, 3500);
}

function readJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

init();
