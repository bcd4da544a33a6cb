/** The REST API (contract §1 and §4) over `fetch`, with token authentication. */

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? body?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export class RestApi {
  constructor({ baseUrl, token, fetch: fetchImpl = globalThis.fetch.bind(globalThis) } = {}) {
    this.baseUrl = (baseUrl ?? globalThis.location?.origin ?? "").replace(/\/$/, "");
    this.token = token;
    this.fetch = fetchImpl;
  }

  /** POST /api/v1/auth/login/ -> {token, key, user}. */
  static async login({ baseUrl, username, password, fetch: fetchImpl }) {
    return new RestApi({ baseUrl, fetch: fetchImpl }).request("POST", "/api/v1/auth/login/", { username, password });
  }

  logout() {
    return this.request("POST", "/api/v1/auth/logout/");
  }

  async request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Token ${this.token}`;
    const init = { method, headers };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await this.fetch(this.baseUrl + path, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { error: text.slice(0, 200) };
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // Chat ----------------------------------------------------------------------------------

  sendMessage({ receiverId, message, tempId, attachmentId, replyToId }) {
    const body = { receiver_id: receiverId, message, temp_id: tempId };
    if (attachmentId != null) body.attachment_id = attachmentId;
    if (replyToId != null) body.reply_to_id = replyToId;
    return this.request("POST", "/api/v1/communication/chats/", body);
  }

  /** PATCH chats/{id}/ -> the message as edited. */
  editMessage(messageId, message) {
    return this.request("PATCH", `/api/v1/communication/chats/${messageId}/`, { message });
  }

  deleteMessage(messageId) {
    return this.request("DELETE", `/api/v1/communication/chats/${messageId}/`);
  }

  /** POST chats/{id}/reactions/ -> the message with its `reactions`. */
  addReaction(messageId, emoji) {
    return this.request("POST", `/api/v1/communication/chats/${messageId}/reactions/`, { emoji });
  }

  removeReaction(messageId, emoji) {
    return this.request("DELETE", `/api/v1/communication/chats/${messageId}/reactions/${encodeURIComponent(emoji)}/`);
  }

  /** Mutes a conversation until `until` (a Date or ISO string), or until unmuted: {conversation_id, muted, muted_until}. */
  mute(conversationId, { until = null } = {}) {
    const body = { until: until instanceof Date ? until.toISOString() : until };
    return this.request("POST", `/api/v1/communication/chats/conversations/${conversationId}/mute/`, body);
  }

  unmute(conversationId) {
    return this.request("DELETE", `/api/v1/communication/chats/conversations/${conversationId}/mute/`);
  }

  /** The people the caller blocked, oldest first: [{user, created_at}]. */
  blocks() {
    return this.request("GET", "/api/v1/communication/chats/blocks/");
  }

  /** Blocks a user, both ways (no messages, typing or presence between the two): {user, created_at}. */
  block(userId) {
    return this.request("POST", "/api/v1/communication/chats/blocks/", { user_id: userId });
  }

  unblock(userId) {
    return this.request("DELETE", `/api/v1/communication/chats/blocks/${userId}/`);
  }

  conversations() {
    return this.request("GET", "/api/v1/communication/chats/conversations/");
  }

  /** History with one user, newest first: {conversation_id, messages, other_user, has_more}. */
  history(userId, { limit, beforeId } = {}) {
    const query = new URLSearchParams();
    if (limit) query.set("limit", limit);
    if (beforeId) query.set("before_id", beforeId);
    const suffix = query.toString() ? `?${query}` : "";
    return this.request("GET", `/api/v1/communication/chats/conversation/${userId}/${suffix}`);
  }

  markRead(selector) {
    return this.request("POST", "/api/v1/communication/chats/mark-read/", selector);
  }

  unreadCount() {
    return this.request("GET", "/api/v1/communication/chats/unread-count/");
  }

  onlineUsers() {
    return this.request("GET", "/api/v1/communication/chats/online-users/");
  }

  /** POST chats/attachments/ (multipart `file`) -> {id, url, attachment_type, size, content_type, name}. */
  uploadAttachment(file, name) {
    const form = new FormData();
    form.append("file", file, name ?? file.name);
    return this.request("POST", "/api/v1/communication/chats/attachments/", form);
  }

  /** Fetches a protected file (an attachment URL) with the token, as a Blob. */
  async download(url) {
    const response = await this.fetch(new URL(url, this.baseUrl || globalThis.location?.origin).href, {
      headers: { Authorization: `Token ${this.token}` },
    });
    if (!response.ok) throw new ApiError(response.status, null);
    return response.blob();
  }

  // Notifications -------------------------------------------------------------------------

  /** The inbox, newest first (paginated); `{include_resolved: true}` lists the resolved ones too. */
  notifications(filters = {}) {
    const query = new URLSearchParams(filters);
    const suffix = query.toString() ? `?${query}` : "";
    return this.request("GET", `/api/v1/communication/notifications/${suffix}`);
  }

  unreadNotifications() {
    return this.request("GET", "/api/v1/communication/notifications/unread/");
  }

  notificationUnreadCount() {
    return this.request("GET", "/api/v1/communication/notifications/unread-count/");
  }

  markNotificationRead(id) {
    return this.request("POST", `/api/v1/communication/notifications/${id}/mark-read/`);
  }

  markAllNotificationsRead() {
    return this.request("POST", "/api/v1/communication/notifications/mark-all-read/");
  }

  dismissNotification(id) {
    return this.request("DELETE", `/api/v1/communication/notifications/${id}/dismiss/`);
  }

  /**
   * POST notifications/{id}/acknowledge/ -> {success, notification_id, acknowledged_at}, or
   * {status: "queued"} (202) when the workers are slow. 400 if it does not ask to be acknowledged.
   */
  acknowledgeNotification(id) {
    return this.request("POST", `/api/v1/communication/notifications/${id}/acknowledge/`);
  }

  /** GET notifications/preferences/ -> {email_digest, last_digest_at}. */
  notificationPreferences() {
    return this.request("GET", "/api/v1/communication/notifications/preferences/");
  }

  /** PATCH notifications/preferences/: whether missed notifications are emailed -> {email_digest, last_digest_at}. */
  setNotificationPreferences({ emailDigest }) {
    // The server takes a missing field as `true`: never send one by mistake.
    if (typeof emailDigest !== "boolean") throw new TypeError("emailDigest must be true or false");
    return this.request("PATCH", "/api/v1/communication/notifications/preferences/", { email_digest: emailDigest });
  }
}
