// The DOM of one entry in the message list: a message (text or file card,
// with its time, "edited" mark, receipt and action bar), a notice ("alice
// added bob"), a deleted message, or one of our own still on its way out.
// Only building and updating nodes; messages.js decides where they go and
// which actions a message has (msgactions.js).

import { el } from "./dom.js";
import { fileCard } from "./filecard.js";
import { formatClock, formatFull } from "./format.js";
import { renderMarkup } from "./markup.js";
import { capitalise, noticeText } from "./notices.js";

/**
 * @param {object} msg
 * @param {object} ctx { meId, senderName(id), showSender, actions(view) -> entries
 *   (MessageActions.for), onView, onSave }
 * @returns the view: { msg, li, text, edited, receipt, tools, ... }
 */
export function buildMessage(msg, date, ctx) {
  if (msg.notice) return buildNotice(msg, date, ctx);
  const mine = msg.sender_id === ctx.meId;
  const view = { msg: { ...msg }, date, mine, notice: false };
  const time = el("time", {
    className: "msg-time",
    text: formatClock(date),
    attrs: { datetime: date.toISOString(), title: formatFull(date) },
  });
  view.edited = el("span", { className: "msg-edited", text: "edited", attrs: { hidden: !msg.is_edited } });
  view.receipt = mine ? el("span", { className: "msg-receipt" }) : null;
  view.body = el("div", { className: "msg-body" });
  view.meta = el("div", { className: "msg-meta" }, view.edited, time, view.receipt);
  // Screen readers get the sender; sighted users get it from the side (and
  // in rooms from the name above a run of messages).
  const name = mine ? "You" : ctx.senderName(msg.sender_id);
  const who = el("span", { className: "visually-hidden", text: `${name}: ` });
  const sender = !mine && ctx.showSender
    ? el("span", { className: "msg-sender", text: name, attrs: { "aria-hidden": "true" } })
    : null;
  view.bubble = el("div", { className: "bubble" }, sender, who, view.body, view.meta);
  view.tools = el("div", { className: "msg-tools" });
  view.li = el("li", { className: `msg ${mine ? "mine" : "theirs"}`, dataset: { id: msg.id } }, view.bubble, view.tools);
  fillBody(view, ctx);
  return view;
}

/** (Re)draw a message's text or file and its action bar, e.g. after a delete or a role change. */
export function fillBody(view, ctx) {
  const msg = view.msg;
  view.li.dataset.deleted = String(Boolean(msg.deleted_at));
  if (msg.deleted_at) {
    view.text = null;
    view.body.replaceChildren(el("p", { className: "msg-deleted", text: "Message deleted" }));
    view.edited.hidden = true;
    if (view.receipt) view.receipt.hidden = true;
    view.tools.replaceChildren();
    return;
  }
  const isFile = Boolean(msg.file_path || msg.file_name);
  view.text = isFile ? null : messageText(msg.content);
  view.body.replaceChildren(isFile ? fileCard(msg, ctx.onView, ctx.onSave) : view.text);
  // Out of the tab order: the keyboard reaches the same actions through the
  // message's menu (listnav.js), without a tab stop per button per message.
  view.tools.replaceChildren(...ctx.actions(view).map((action) => el("button", {
    className: `msg-${action.key}${action.danger ? " danger" : ""}`,
    text: action.text,
    attrs: { type: "button", tabindex: "-1", "aria-label": action.label, title: `${action.label} (${action.hint})` },
    on: { click: action.run },
  })));
}

/** A message's text, with its links and formatting (markup.js). */
function messageText(content) {
  return el("div", { className: "msg-text" }, renderMarkup(content ?? ""));
}

/** Draw a new text into a message after an edit. */
export function setText(view, content) {
  view.text?.replaceChildren(renderMarkup(content ?? ""));
}

/** Show a receipt ({ state, text, label, title }) under one of our messages. */
export function setReceipt(view, receipt) {
  if (!view.receipt || view.msg.deleted_at) return;
  view.receipt.dataset.state = receipt.state;
  view.receipt.title = receipt.title;
  view.receipt.replaceChildren(
    el("span", { text: receipt.text, attrs: { "aria-hidden": "true" } }),
    el("span", { className: "visually-hidden", text: receipt.label }),
  );
  view.li.dataset.receipt = receipt.state;
}

function buildNotice(msg, date, ctx) {
  const text = capitalise(noticeText(msg, ctx.noticeName));
  const li = el("li", { className: "notice", dataset: { id: msg.id, action: msg.notice.action ?? "" } },
    el("span", { text }),
    el("time", { className: "visually-hidden", text: ` ${formatClock(date)}`, attrs: { datetime: date.toISOString() } }));
  li.title = formatFull(date);
  return { msg: { ...msg }, date, li, notice: true, mine: false };
}

/** One of our messages not stored yet (an outbox item). */
export function buildOutgoing(item, onRetry, onDiscard) {
  const status = el("span", { className: "msg-status", attrs: { role: "status" } });
  const retry = el("button", {
    className: "msg-retry",
    text: "Retry",
    attrs: { type: "button", "aria-label": "Retry sending this message" },
    on: { click: () => onRetry(item) },
  });
  const discard = el("button", {
    className: "msg-discard",
    text: "Discard",
    attrs: { type: "button", "aria-label": "Discard this unsent message" },
    on: { click: () => onDiscard(item) },
  });
  const actions = el("div", { className: "msg-actions" }, retry, discard);
  const bubble = el("div", { className: "bubble" },
    el("span", { className: "visually-hidden", text: "You: " }),
    messageText(item.content),
    el("div", { className: "msg-meta" }, status));
  const li = el("li", { className: "msg mine", dataset: { state: item.state } }, bubble, actions);
  return { li, status, actions, retry };
}

/** Draw an outgoing view's state. */
export function updateOutgoing(view, item) {
  view.li.dataset.state = item.state;
  view.status.textContent = item.state === "failed" ? `Not sent${item.error ? `: ${item.error}` : ""}`
    : item.state === "queued" ? "Waiting for the connection…" : "Sending…";
  view.actions.hidden = item.state !== "failed" && item.state !== "queued";
  view.retry.hidden = item.state !== "failed";
}
