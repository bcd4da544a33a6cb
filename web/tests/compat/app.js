/**
 * The test page: `?token=&me=&peer=&peerName=` (the browser test's users), `open=0` to start with
 * the chat closed, `provider=1` to go through <RealtimeProvider> (`base=` its baseUrl, default: the
 * page's origin). Rendered in StrictMode: the double mount must still make one socket per family.
 */
import { createElement as h, StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { RealtimeProvider } from "../../react/index.js";
import { ChatComponent, NotificationBell, RawSocketBadge } from "./components.js";

const params = new URLSearchParams(location.search);
const token = params.get("token");
const page = h("main", { className: "page" },
  h(ChatComponent, {
    authToken: token, currentUserId: Number(params.get("me")), receiverId: Number(params.get("peer")),
    receiverName: params.get("peerName") ?? "them", initiallyOpen: params.get("open") !== "0",
  }),
  h("div", null, h(NotificationBell, { authToken: token }), h(RawSocketBadge, { authToken: token })));
const tree = params.get("provider") === "1"
  ? h(RealtimeProvider, { baseUrl: params.get("base") ?? location.origin }, page)
  : page;
createRoot(document.getElementById("root")).render(h(StrictMode, null, tree));
