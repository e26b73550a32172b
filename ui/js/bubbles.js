// The DOM of one entry in the message list: a message (text or file card,
// with the quote of what it replies to, its reactions, time, "edited" mark,
// receipt and action bar), a notice ("alice added bob"), a deleted message,
// or one of our own still on its way out. Only building and updating nodes;
// messages.js decides where they go and which actions a message has
// (msgactions.js).

import { el } from "./dom.js";
import { fileCard } from "./filecard.js";
import { formatClock, formatFull } from "./format.js";
import { renderMarkup } from "./markup.js";
import { mentionsMe } from "./mentions.js";
import { capitalise, noticeText } from "./notices.js";
import { reactionChips } from "./reactions.js";
import { quoteElement } from "./replies.js";

/**
 * @param {object} msg
 * @param {object} ctx { meId, senderName(id), quoteSender(id), username(id) (null if unknown), showSender,
 *   actions(view) -> entries (MessageActions.for), onView, onSave, onJump(messageId),
 *   onReact(msg, emoji, add), reactorName(id) }
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
  view.name = mine ? "You" : ctx.senderName(msg.sender_id);
  view.who = el("span", { className: "visually-hidden" });
  view.sender = !mine && ctx.showSender
    ? el("span", { className: "msg-sender", text: view.name, attrs: { "aria-hidden": "true" } })
    : null;
  view.quote = null;
  view.reactions = el("div", { className: "msg-reactions", attrs: { role: "group", "aria-label": "Reactions" } });
  view.bubble = el("div", { className: "bubble" }, view.sender, view.who, view.body, view.reactions, view.meta);
  view.tools = el("div", { className: "msg-tools" });
  view.li = el("li", { className: `msg ${mine ? "mine" : "theirs"}`, dataset: { id: msg.id } }, view.bubble, view.tools);
  fillBody(view, ctx);
  return view;
}

/**
 * (Re)draw a message's quote, text or file, reactions and action bar, e.g.
 * after a delete, an edit or a role change.
 */
export function fillBody(view, ctx) {
  const msg = view.msg;
  const deleted = Boolean(msg.deleted_at);
  view.li.dataset.deleted = String(deleted);
  setQuote(view, ctx);
  setReactions(view, ctx);
  setMentioned(view, ctx);
  if (deleted) {
    view.text = null;
    view.body.replaceChildren(el("p", { className: "msg-deleted", text: "Message deleted" }));
    view.edited.hidden = true;
    if (view.receipt) view.receipt.hidden = true;
    view.tools.replaceChildren();
    return;
  }
  const isFile = Boolean(msg.file_path || msg.file_name);
  view.text = isFile ? null : messageText(msg.content, mentionMarks(msg, ctx));
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

/** A message's text, with its links, formatting and mentions (markup.js). */
function messageText(content, mention = null) {
  return el("div", { className: "msg-text" }, renderMarkup(content ?? "", { mention }));
}

/** Draw a message's text again after an edit (which may change whom it mentions). */
export function setText(view, ctx) {
  view.text?.replaceChildren(renderMarkup(view.msg.content ?? "", { mention: mentionMarks(view.msg, ctx) }));
  setMentioned(view, ctx);
}

/**
 * Someone else's message naming the reader, or the whole room: marked for
 * the eye, and said before the text for screen readers.
 */
function setMentioned(view, ctx) {
  const mentioned = !view.msg.deleted_at && mentionsMe(view.msg, ctx.meId);
  view.li.classList.toggle("mentioned", mentioned);
  view.who.textContent = mentioned ? `${view.name}, mentioning you: ` : `${view.name}: `;
}

/**
 * Which `@name` tokens of a message to mark: the people the server says
 * it mentions, and `@room` / `@everyone` when it notifies the room.
 */
function mentionMarks(msg, ctx) {
  const named = new Map(); // lower-case username -> user id
  for (const id of msg.mentions ?? []) {
    const username = ctx.username(id);
    if (username) named.set(username.toLowerCase(), id);
  }
  const room = Boolean(msg.mentions_room);
  if (!named.size && !room) return null;
  return (name) => {
    const lower = name.toLowerCase();
    if (room && (lower === "room" || lower === "everyone")) return "self";
    if (!named.has(lower)) return null;
    return named.get(lower) === ctx.meId ? "self" : "other";
  };
}

/** The quote of the message this one replies to, if any (none once this one is deleted). */
export function setQuote(view, ctx) {
  const quote = view.msg.reply_to;
  const next = quote && !view.msg.deleted_at
    ? quoteElement(quote, ctx.quoteSender(quote.sender_id), ctx.onJump)
    : null;
  const hadFocus = view.quote?.contains(document.activeElement);
  if (view.quote && next) view.quote.replaceWith(next);
  else if (view.quote) view.quote.remove();
  else if (next) view.body.before(next);
  view.quote = next;
  if (hadFocus) (next ?? view.li).focus();
}

/** The reaction chips under the text. */
export function setReactions(view, ctx) {
  const reactions = view.msg.deleted_at ? [] : view.msg.reactions ?? [];
  // A chip pressed from the keyboard keeps focus through the redraw its own frame causes.
  const focused = view.reactions.contains(document.activeElement) ? document.activeElement.dataset.emoji : null;
  view.reactions.hidden = reactions.length === 0;
  view.reactions.replaceChildren(...reactionChips(reactions, {
    meId: ctx.meId,
    name: ctx.reactorName,
    onToggle: (emoji, add) => ctx.onReact(view.msg, emoji, add),
  }));
  if (focused !== null) ([...view.reactions.children].find((chip) => chip.dataset.emoji === focused) ?? view.li).focus();
}

/**
 * Draw the names an entry shows again, after someone changed their display
 * name: a notice's sentence, or a message's sender, quote and reactions.
 */
export function setNames(view, ctx) {
  if (view.notice) {
    view.sentence.textContent = capitalise(noticeText(view.msg, ctx.noticeName));
    return;
  }
  if (!view.mine) view.name = ctx.senderName(view.msg.sender_id);
  if (view.sender) view.sender.textContent = view.name;
  setMentioned(view, ctx);
  setQuote(view, ctx);
  setReactions(view, ctx);
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
  const sentence = el("span", { text: capitalise(noticeText(msg, ctx.noticeName)) });
  const li = el("li", { className: "notice", dataset: { id: msg.id, action: msg.notice.action ?? "" } },
    sentence,
    el("time", { className: "visually-hidden", text: ` ${formatClock(date)}`, attrs: { datetime: date.toISOString() } }));
  li.title = formatFull(date);
  return { msg: { ...msg }, date, li, sentence, notice: true, mine: false };
}

/**
 * One of our messages not stored yet (an outbox item).
 * @param {HTMLElement|null} quote what it replies to (replies.js quoteElement)
 */
export function buildOutgoing(item, onRetry, onDiscard, quote) {
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
    quote,
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
