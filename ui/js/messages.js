// The open conversation's message list. History comes by cursor: the newest
// page first (reaching back to the first unread message, which a "New
// messages" line marks and the view opens at), older pages as the reader
// scrolls up, with the scroll position kept. So a conversation of 100,000
// messages opens as fast as one of 100, and the DOM holds only what was
// scrolled through.
//
// Jumping to a message that is not drawn (a reply's quote), or opening a
// conversation at one (a search result), replaces the view with a page
// around it; newer pages then come as the reader scrolls down, and "Jump
// to latest" goes back to the newest page. While the view does not reach
// the end, live messages are kept aside and drawn when it does.
//
// Live messages, notices, edits and deletes are applied by message id, so a
// frame that races the history load (held back and replayed after it), the
// upload reply and the push of the same file all show once. What is on
// screen is reported (`onSeen`) so the page can mark it read; our own
// messages still on their way are drawn from the outbox (bubbles.js).
//
// Every message offers its actions three ways, all from one registry
// (`actions`, msgactions.js): a bar on hover or long press, a menu from the
// keyboard (the list is one tab stop, listnav.js), and letter shortcuts on
// the focused message. Edit, copy and delete are there from the start;
// other features add theirs with `conversation.actions.add(...)`.

import { api } from "./api.js";
import { el } from "./dom.js";
import { formatDay, parseTimestamp, sameDay } from "./format.js";
import {
  buildMessage, buildOutgoing, fillBody, setNames, setQuote, setReactions, setReceipt, setText, updateOutgoing,
} from "./bubbles.js";
import { belongs } from "./outbox.js";
import { ListNavigator } from "./listnav.js";
import { ActionMenu } from "./menu.js";
import { InlineEditor } from "./editor.js";
import { MessageActions, actionForKey, addBasicActions, revealOnLongPress } from "./msgactions.js";
import { withReaction } from "./reactions.js";
import { deletedQuote, editedQuote, quoteElement } from "./replies.js";

const PAGE = 50;
const FIRST_PAGE_MAX = 500; // how far back the first load goes to reach the first unread message
const NEAR_BOTTOM_PX = 80;
const LOAD_OLDER_PX = 400; // start fetching older (newer) messages this close to the top (bottom)
const HIGHLIGHT_MS = 2000; // how long a message jumped to stays marked
const GROUP_GAP_MS = 5 * 60 * 1000; // consecutive messages closer than this sit together
// A reader following a busy conversation at its bottom keeps at most
// SHOWN_MAX entries drawn: past it, the oldest go down to SHOWN_KEPT (and
// come back as older pages on scrolling up), so a burst of thousands costs
// each frame the layout of hundreds.
const SHOWN_MAX = 600;
const SHOWN_KEPT = 400;

/** Whether an entry shows a user's name: as its sender, a notice's subject, the quoted sender or a reactor. */
function namesUser(msg, userId) {
  return msg.sender_id === userId || msg.notice?.user_id === userId || msg.reply_to?.sender_id === userId
    || (msg.reactions ?? []).some((r) => r.user_ids.includes(userId));
}

export class Conversation {
  #listEl;
  #scrollEl;
  #statusEl;
  #jumpEl;
  #meId;
  #people;
  #receipts;
  #conv = null; // the open conversation's summary (conversation_id null: a direct one not started yet)
  #items = new Map(); // message id -> view (bubbles.js)
  #last = null; // { date, senderId } of the last rendered entry, for grouping and day lines
  #pending = null; // live events held back while history loads
  #live = null; // live messages waiting for the next frame: id -> message
  #liveStick = false; // whether the view follows the end when they are drawn
  #loadSeq = 0; // bumps on every open, so a slow reply for an older pick is dropped
  #hasOlder = false;
  #loadingOlder = false;
  #hasNewer = false; // the view is a page around an older message: the newest are not drawn
  #loadingNewer = false;
  #behind = new Map(); // live messages that came while #hasNewer: id -> message
  #highlightTimer = null;
  #editor;
  #menu;
  #nav;
  #outgoing = new Map(); // outbox item -> view
  #visible = new Set(); // ids of entries on screen
  #observer;
  #cb;

  /**
   * @param {object} o
   * @param {object} o.people People
   * @param {object} o.receipts Receipts of the open conversation
   * @param {object} o.callbacks { sendEdit(id, content) -> bool, onDelete(conv, msg), onCopy(text), onError(text),
   *   onLoaded(conv), onAdopt(conv), onRetry(item), onDiscard(item), onView(url, name), onSave, onSeen(conv, messageId),
   *   onReact(conv, msg, emoji, add), focusComposer() }
   */
  constructor({ listEl, scrollEl, statusEl, jumpEl, meId, people, receipts, callbacks }) {
    this.#listEl = listEl;
    this.#scrollEl = scrollEl;
    this.#statusEl = statusEl;
    this.#jumpEl = jumpEl;
    this.#meId = meId;
    this.#people = people;
    this.#receipts = receipts;
    this.#cb = callbacks;
    this.#observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const id = Number(e.target.dataset.id);
        if (e.isIntersecting) this.#visible.add(id);
        else this.#visible.delete(id);
      }
      this.reportSeen();
    }, { root: scrollEl });
    scrollEl.addEventListener("scroll", () => this.#onScroll(), { passive: true });
    jumpEl.addEventListener("click", () => {
      this.toLatest();
      this.#cb.focusComposer();
    });
    this.#editor = new InlineEditor(callbacks.sendEdit, callbacks.onError);
    this.actions = new MessageActions();
    addBasicActions(this.actions, {
      edit: (msg) => {
        const view = this.#items.get(msg.id);
        if (view) this.#editor.start(view);
      },
      copy: (msg) => this.#cb.onCopy(msg.content ?? ""),
      remove: (conv, msg) => this.#cb.onDelete(conv, msg),
    });
    this.#menu = new ActionMenu("Message actions", scrollEl);
    this.#nav = new ListNavigator(listEl, (li) => this.#openMenu(li), (li, e) => this.#shortcut(li, e));
    revealOnLongPress(listEl);
  }

  // --- actions -----------------------------------------------------------------

  /** What the action predicates see of a message; null for notices and deleted messages. */
  #target(view) {
    const c = this.#conv;
    if (!c || view.notice || view.msg.deleted_at) return null;
    const msg = view.msg;
    return {
      msg,
      mine: view.mine,
      admin: c.kind !== "direct" && c.role === "admin",
      kind: msg.file_path || msg.file_name ? "file" : "text",
      conversation: c,
      senderName: this.#people.displayName(msg.sender_id),
      li: view.li,
    };
  }

  #actionsFor(view) {
    const target = this.#target(view);
    return target ? this.actions.for(target) : [];
  }

  #viewOf(li) {
    const view = this.#items.get(Number(li.dataset.id));
    return view?.li === li ? view : null;
  }

  #openMenu(li) {
    const view = this.#viewOf(li);
    if (view) this.#menu.open(li, this.#actionsFor(view));
  }

  /** A letter (or Delete) pressed on a focused message runs the action it names. */
  #shortcut(li, e) {
    const view = this.#viewOf(li);
    const action = view ? actionForKey(this.#actionsFor(view), e.key) : null;
    action?.run();
    return action !== null;
  }

  /** Edit our last message (↑ in an empty composer); false if there is none to edit. */
  editLast() {
    let last = null;
    for (const [id, view] of this.#items) {
      if (view.mine && !view.notice && view.text && (!last || id > last.msg.id)) last = view;
    }
    const edit = last && this.#actionsFor(last).find((a) => a.key === "edit");
    if (!edit) return false;
    edit.run();
    return true;
  }

  /** Escape with nothing else to close: closes the menu or the edit; false if neither was open. */
  escape() {
    if (this.#menu.isOpen) {
      this.#menu.close();
      return true;
    }
    if (this.#editor.id !== null) {
      this.#editor.cancel(true);
      return true;
    }
    return false;
  }

  /** The open conversation's summary, or null. */
  get current() {
    return this.#conv;
  }

  /** Whether the end of the conversation is on screen (a new message will be seen). */
  get atEnd() {
    return !this.#hasNewer && this.#nearBottom();
  }

  /** Whether a conversation (by summary) is the one on screen. */
  shows(c) {
    if (!this.#conv || !c) return false;
    if (this.#conv.conversation_id !== null) return this.#conv.conversation_id === c.conversation_id;
    return c.kind === "direct" && c.user_id === this.#conv.user_id;
  }

  /** Whether a message belongs to the open conversation. */
  holds(msg) {
    if (!this.#conv) return false;
    if (this.#conv.conversation_id !== null) return msg.conversation_id === this.#conv.conversation_id;
    // A direct conversation opened before it existed: its first message names it.
    if (this.#conv.kind !== "direct") return false;
    const other = msg.sender_id === this.#meId ? msg.receiver_id : msg.sender_id;
    return other === this.#conv.user_id && msg.receiver_id !== null && msg.receiver_id !== undefined;
  }

  /** The summary changed (renamed, role, its id became known): keep the same view. */
  update(c) {
    if (!this.#conv) return;
    const roleChanged = c.role !== this.#conv.role;
    this.#conv = { ...this.#conv, ...c };
    if (roleChanged) for (const view of this.#items.values()) if (!view.notice) fillBody(view, this.#ctx());
  }

  /**
   * Open a conversation: `c` is its summary, with the caller's unread count
   * and read position. `at`: a message to open at (a search result), shown
   * as `jumpTo` shows it; if it cannot be, the conversation opens as usual.
   */
  async open(c, { keepPlace = false, at = null } = {}) {
    const seq = ++this.#loadSeq;
    const keepScroll = keepPlace && !this.#nearBottom() ? this.#scrollEl.scrollTop : null;
    this.#conv = { ...c };
    this.#reset();
    this.#pending = [];
    this.#listEl.setAttribute("aria-busy", "true");
    if (at !== null && c.conversation_id !== null) {
      const around = await this.#around(c, at);
      if (seq !== this.#loadSeq) return;
      if (!around.why) {
        this.#drawAround(around, at);
        return;
      }
      this.#cb.onError(around.why);
    }
    let history = [];
    try {
      if (c.conversation_id !== null) history = await this.#firstPages(c);
    } catch (err) {
      if (seq !== this.#loadSeq) return;
      this.#pending = null;
      this.#listEl.removeAttribute("aria-busy");
      this.#showLoadError(err);
      return;
    }
    if (seq !== this.#loadSeq) return;
    this.#listEl.removeAttribute("aria-busy");
    const lastRead = c.last_read_message_id ?? 0;
    const firstUnread = c.unread
      ? history.find((m) => m.id > lastRead && m.sender_id !== this.#meId && !m.notice)
      : null;
    for (const msg of history) {
      if (firstUnread && msg === firstUnread) this.#append(msg, { unreadLine: true });
      else this.#append(msg);
    }
    this.#renderHistoryStatus();
    const pending = this.#pending;
    this.#pending = null;
    this.#cb.onLoaded(this.#conv); // draws what is still in the outbox
    for (const replay of pending) replay();
    this.#drawLive(); // now, before the view is placed
    const line = this.#listEl.querySelector(".unread-line");
    if (keepScroll !== null) this.#scrollEl.scrollTop = keepScroll;
    else if (line) this.#scrollEl.scrollTop = Math.max(0, line.offsetTop - 8);
    else this.#scrollToBottom();
    this.#onScroll();
  }

  /** The newest page, reaching back far enough to hold the first unread message. */
  async #firstPages(c) {
    const id = c.conversation_id;
    const lastRead = c.last_read_message_id ?? 0;
    const unread = c.unread ?? 0;
    const limit = Math.min(FIRST_PAGE_MAX, Math.max(PAGE, unread + 10));
    let history = await api.messages(id, { limit });
    history = Array.isArray(history) ? history : [];
    this.#hasOlder = history.length === limit;
    const unreadLoaded = () => history.filter((m) => m.id > lastRead && m.sender_id !== this.#meId && !m.notice).length;
    while (unread && this.#hasOlder && history.length < FIRST_PAGE_MAX && unreadLoaded() < unread
      && history[0].id > lastRead) {
      const older = await api.messages(id, { before: history[0].id, limit: PAGE });
      this.#hasOlder = older.length === PAGE;
      history = older.concat(history);
    }
    return history;
  }

  /** Reload the open conversation (after a `reset`), keeping the reader's place. */
  reload() {
    if (this.#conv) this.open(this.#conv, { keepPlace: true });
  }

  close() {
    this.#loadSeq += 1;
    this.#conv = null;
    this.#pending = null;
    this.#reset();
  }

  /** A live message or notice (deduplicated by id). */
  add(msg) {
    if (!this.holds(msg)) return;
    if (this.#pending) {
      this.#pending.push(() => this.add(msg));
      return;
    }
    if (this.#items.has(msg.id) || this.#live?.has(msg.id)) return;
    if (this.#hasNewer) {
      // Not drawn under older messages: it waits for the view to reach the end.
      this.#behind.set(msg.id, { ...msg });
      this.#jumpEl.hidden = false;
      return;
    }
    this.#adopt(msg);
    // Drawn once per frame: a burst (a backfill, a busy room) costs one
    // layout, not one per message.
    if (!this.#live) {
      this.#live = new Map();
      this.#liveStick = this.#nearBottom();
      if (document.hidden) setTimeout(() => this.#drawLive(), 100);
      else requestAnimationFrame(() => this.#drawLive());
    }
    if (msg.sender_id === this.#meId) this.#liveStick = true;
    this.#live.set(msg.id, { ...msg });
  }

  #drawLive() {
    const live = this.#live;
    this.#live = null;
    if (!live || !this.#conv) return;
    // Messages go in id order; a live one older than the newest shown (a
    // backfill racing a send) is rare enough to place by rebuilding nothing:
    // it goes last, as the server will order it next time.
    for (const msg of live.values()) if (!this.#items.has(msg.id)) this.#append(msg);
    this.#moveOutgoingLast();
    if (this.#liveStick) {
      this.#trimOldest();
      this.#scrollToBottom();
    } else {
      this.#jumpEl.hidden = false;
    }
  }

  /** Past SHOWN_MAX entries, the oldest go (not one being edited); the list still starts with a day line. */
  #trimOldest() {
    if (this.#items.size <= SHOWN_MAX || this.#editor.id !== null) return;
    const tracked = (li) => li.dataset.id !== undefined && this.#items.has(Number(li.dataset.id));
    let extra = this.#items.size - SHOWN_KEPT;
    while (extra > 0 && this.#listEl.firstElementChild) {
      const li = this.#listEl.firstElementChild;
      if (tracked(li)) {
        const id = Number(li.dataset.id);
        this.#observer.unobserve(li);
        this.#visible.delete(id);
        this.#items.delete(id);
        extra -= 1;
      }
      li.remove();
    }
    // What was between the kept entries and the trimmed ones (the New messages line) goes too.
    while (this.#listEl.firstElementChild && !this.#listEl.firstElementChild.classList.contains("day")
      && !tracked(this.#listEl.firstElementChild)) this.#listEl.firstElementChild.remove();
    const first = this.#listEl.firstElementChild;
    const firstView = first && tracked(first) ? this.#items.get(Number(first.dataset.id)) : undefined;
    if (firstView) {
      this.#listEl.prepend(el("li", { className: "day" }, el("span", { text: formatDay(firstView.date) })));
      this.#group(firstView, null);
    }
    this.#hasOlder = true;
    this.#renderHistoryStatus();
  }

  /** An `edit_message` / `message_edited` frame: the new text, and whom it mentions now. */
  applyEdit(frame) {
    if (this.#pending) {
      this.#pending.push(() => this.applyEdit(frame));
      return;
    }
    const messageId = frame.message_id;
    const edit = {
      content: frame.new_content, is_edited: 1, mentions: frame.mentions ?? [], mentions_room: Boolean(frame.mentions_room),
    };
    for (const waiting of this.#waiting(messageId)) Object.assign(waiting, edit);
    this.#updateQuotes(messageId, (quote) => editedQuote(quote, frame.new_content));
    const view = this.#items.get(messageId);
    if (!view || !view.text) return;
    Object.assign(view.msg, edit);
    if (frame.edited_at) view.msg.edited_at = frame.edited_at;
    setText(view, this.#ctx());
    view.edited.hidden = false;
  }

  applyDelete(messageId) {
    if (this.#pending) {
      this.#pending.push(() => this.applyDelete(messageId));
      return;
    }
    const gone = { deleted_at: new Date().toISOString(), content: null, file_path: null, file_name: null, reactions: [] };
    for (const waiting of this.#waiting(messageId)) if (!waiting.notice) Object.assign(waiting, gone);
    this.#updateQuotes(messageId, deletedQuote);
    const view = this.#items.get(messageId);
    if (!view || view.notice || view.msg.deleted_at) return;
    if (this.#editor.id === messageId) this.#editor.cancel();
    Object.assign(view.msg, gone);
    fillBody(view, this.#ctx());
  }

  /** A `reaction` frame: someone added or took back a reaction. */
  applyReaction(frame) {
    if (this.#pending) {
      this.#pending.push(() => this.applyReaction(frame));
      return;
    }
    const { message_id: messageId, user_id: userId, emoji, added } = frame;
    for (const waiting of this.#waiting(messageId)) waiting.reactions = withReaction(waiting.reactions, userId, emoji, added);
    const view = this.#items.get(messageId);
    if (!view || view.notice || view.msg.deleted_at) return;
    view.msg.reactions = withReaction(view.msg.reactions, userId, emoji, added);
    setReactions(view, this.#ctx());
  }

  /** Live copies of a message not drawn yet: waiting for the next frame, or for the view to reach the end. */
  #waiting(messageId) {
    return [this.#live?.get(messageId), this.#behind.get(messageId)].filter(Boolean);
  }

  /** Replies to a message whose quote changes with it (an edit, a delete). */
  #updateQuotes(messageId, change) {
    const replies = [...this.#live?.values() ?? [], ...this.#behind.values()];
    for (const msg of replies) if (msg.reply_to?.message_id === messageId) msg.reply_to = change(msg.reply_to);
    for (const view of this.#items.values()) {
      if (view.notice || view.msg.reply_to?.message_id !== messageId) continue;
      view.msg.reply_to = change(view.msg.reply_to);
      setQuote(view, this.#ctx());
    }
  }

  /** Someone's display name changed (null: anyone's may have): redraw where it shows. */
  renamed(userId) {
    const ctx = this.#ctx();
    for (const view of this.#items.values()) if (userId === null || namesUser(view.msg, userId)) setNames(view, ctx);
    this.refreshReceipts(); // "Seen by" lists names
  }

  /**
   * Re-draw the receipts under our messages: all of them, or (a position
   * moved) only those with ids in `range` ({after, upTo}), so a stream of
   * receipts in a long conversation does not redraw it all each time.
   */
  refreshReceipts(range = null) {
    for (const [id, view] of this.#items) {
      if (range && (id <= range.after || id > range.upTo)) continue;
      if (view.mine && !view.notice) setReceipt(view, this.#receipts.of(view.msg));
    }
  }

  /** Tell the page what is on screen, e.g. when the tab becomes visible again. */
  reportSeen() {
    if (document.hidden || !this.#conv || this.#conv.conversation_id === null || this.#pending) return;
    let max = 0;
    for (const id of this.#visible) if (id > max) max = id;
    if (max) this.#cb.onSeen(this.#conv, max);
  }

  /** Draw or update one of our outgoing messages (an outbox item). */
  showOutgoing(item) {
    if (!this.#conv || !belongs(item, this.#conv)) return;
    if (this.#pending) {
      this.#pending.push(() => this.showOutgoing(item));
      return;
    }
    // Drawn (by `onLoaded`) once the view reaches the end, where they go.
    if (this.#hasNewer) return;
    let view = this.#outgoing.get(item);
    if (item.state === "discarded") {
      view?.li.remove();
      this.#outgoing.delete(item);
      return;
    }
    if (item.state === "sent") {
      // What was stored before it and waits for the next frame goes above
      // it first (the files a caption follows).
      this.#drawLive();
      this.#outgoing.delete(item);
      const msg = item.message;
      if (!view || this.#items.has(msg.id) || this.#live?.has(msg.id)) {
        // Drawn already (a backfill raced the echo) or never drawn here.
        view?.li.remove();
        this.add(msg);
        return;
      }
      // Becomes the real message where it stands, so nothing jumps.
      this.#adopt(msg);
      const date = parseTimestamp(msg.timestamp) ?? new Date();
      const real = buildMessage(msg, date, this.#ctx());
      this.#track(msg.id, real);
      view.li.replaceWith(real.li);
      if (this.#listEl.lastElementChild === real.li) this.#last = { date, senderId: msg.sender_id };
      return;
    }
    if (!view) {
      const now = new Date();
      this.#daySeparator(now);
      const quote = item.replyTo ? quoteElement(item.replyTo, this.#ctx().quoteSender(item.replyTo.sender_id), null) : null;
      view = buildOutgoing(item, this.#cb.onRetry, this.#cb.onDiscard, quote);
      this.#outgoing.set(item, view);
      this.#listEl.append(view.li);
      // Counted as the last message, so the next one groups and dates right.
      this.#last = { date: now, senderId: this.#meId };
      this.#scrollToBottom();
    }
    updateOutgoing(view, item);
  }

  /** A direct conversation opened before it existed learns its id from its first message. */
  #adopt(msg) {
    if (this.#conv.conversation_id !== null || !msg.conversation_id) return;
    this.#conv.conversation_id = msg.conversation_id;
    this.#cb.onAdopt?.(this.#conv);
  }

  // --- building the list -----------------------------------------------------

  #ctx() {
    const c = this.#conv;
    return {
      meId: this.#meId,
      showSender: c && c.kind !== "direct",
      senderName: (id) => this.#people.displayName(id),
      quoteSender: (id) => (id === this.#meId ? "You" : this.#people.displayName(id)),
      // What "@name" in a message's text is matched against: mentions are by username.
      username: (id) => this.#people.get(id)?.username ?? null,
      reactorName: (id) => this.#people.name(id),
      noticeName: (id) => this.#people.name(id),
      actions: (view) => this.#actionsFor(view),
      onView: this.#cb.onView,
      onSave: this.#cb.onSave,
      onJump: (messageId) => this.jumpTo(messageId),
      onReact: (msg, emoji, add) => this.#cb.onReact(this.#conv, msg, emoji, add),
    };
  }

  #track(id, view) {
    this.#items.set(id, view);
    view.li.dataset.id = String(id);
    this.#observer.observe(view.li);
    if (view.mine && !view.notice) setReceipt(view, this.#receipts.of(view.msg));
  }

  #reset() {
    this.#menu.close({ refocus: false });
    this.#editor.cancel();
    this.#observer.disconnect();
    this.#visible.clear();
    this.#items.clear();
    this.#live = null;
    this.#outgoing.clear();
    this.#last = null;
    this.#hasOlder = false;
    this.#loadingOlder = false;
    this.#hasNewer = false;
    this.#loadingNewer = false;
    this.#behind.clear();
    clearTimeout(this.#highlightTimer);
    this.#listEl.replaceChildren();
    this.#statusEl.textContent = "";
    this.#jumpEl.hidden = true;
  }

  /** Entries for messages, each preceded by a day line or the unread line where due. */
  #append(msg, { unreadLine = false } = {}) {
    const date = parseTimestamp(msg.timestamp) ?? new Date();
    this.#daySeparator(date);
    if (unreadLine) {
      // The separator is inside the item: a list holds only list items.
      this.#listEl.append(el("li", { className: "unread-line" },
        el("span", { text: "New messages", attrs: { role: "separator", "aria-label": "New messages" } })));
      this.#last = { date, senderId: null };
    }
    const view = buildMessage(msg, date, this.#ctx());
    this.#group(view, this.#last);
    this.#track(msg.id, view);
    this.#listEl.append(view.li);
    this.#last = { date, senderId: msg.notice ? null : msg.sender_id };
  }

  #group(view, previous) {
    const grouped = !view.notice && previous !== null && previous.senderId === view.msg.sender_id
      && view.date - previous.date < GROUP_GAP_MS;
    view.li.classList.toggle("grouped", grouped);
  }

  /** A "Today"/"Yesterday"/date line before the first entry of a day. */
  #daySeparator(date) {
    if (this.#last && sameDay(this.#last.date, date)) return;
    this.#listEl.append(el("li", { className: "day" }, el("span", { text: formatDay(date) })));
    this.#last = null;
  }

  /** Our unsent messages stay below the stored ones. */
  #moveOutgoingLast() {
    for (const view of this.#outgoing.values()) this.#listEl.append(view.li);
  }

  // --- older pages -----------------------------------------------------------

  #onScroll() {
    this.#jumpEl.hidden = !this.#hasNewer && this.#nearBottom();
    if (this.#scrollEl.scrollTop < LOAD_OLDER_PX) this.#loadOlder();
    if (this.#hasNewer && this.#fromBottom() < LOAD_OLDER_PX) this.#loadNewer();
  }

  async #loadOlder() {
    if (this.#loadingOlder || !this.#hasOlder || this.#pending || !this.#conv?.conversation_id) return;
    const oldest = this.#oldestId();
    if (oldest === null) return;
    this.#loadingOlder = true;
    const seq = this.#loadSeq;
    this.#statusEl.textContent = "Loading earlier messages…";
    let page;
    try {
      page = await api.messages(this.#conv.conversation_id, { before: oldest, limit: PAGE });
    } catch (err) {
      if (seq !== this.#loadSeq) return;
      this.#loadingOlder = false;
      this.#statusEl.textContent = `Could not load earlier messages: ${err.detail ?? err.message}`;
      return;
    }
    if (seq !== this.#loadSeq) return;
    page = Array.isArray(page) ? page.filter((m) => !this.#items.has(m.id)) : [];
    this.#hasOlder = page.length >= PAGE;
    this.#prepend(page);
    this.#loadingOlder = false;
    this.#renderHistoryStatus();
    // A short page may leave the top still in reach: keep going.
    if (this.#hasOlder && this.#scrollEl.scrollTop < LOAD_OLDER_PX) this.#loadOlder();
  }

  #oldestId() {
    let oldest = null;
    for (const id of this.#items.keys()) if (oldest === null || id < oldest) oldest = id;
    return oldest;
  }

  // --- around a message, and newer pages ---------------------------------------

  /**
   * Show a message of the open conversation, marked for a moment and with
   * focus on it: where it is drawn, or else in a page of history around it.
   */
  async jumpTo(messageId) {
    const c = this.#conv;
    if (!c || c.conversation_id === null) return;
    if (this.#items.has(messageId)) {
      this.#reveal(messageId);
      return;
    }
    const seq = ++this.#loadSeq;
    // Frames wait for the page, or for the view kept if it cannot be had
    // (and join those a jump or load it supersedes held back).
    this.#pending ??= [];
    const around = await this.#around(c, messageId);
    if (seq !== this.#loadSeq) return;
    if (around.why) this.#keepView(around.why);
    else this.#drawAround(around, messageId);
  }

  /** Pages of history up to and after a message: `{ older, newer }`, or `{ why }` it cannot be shown. */
  async #around(c, messageId) {
    let older;
    let newer;
    try {
      [older, newer] = await Promise.all([
        api.messages(c.conversation_id, { before: messageId + 1, limit: PAGE }),
        api.messages(c.conversation_id, { after: messageId, limit: PAGE }),
      ]);
    } catch (err) {
      return { why: `Could not load that message: ${err.detail ?? err.message}` };
    }
    // From before the reader joined: quotes show it, the history does not.
    if (!older.some((m) => m.id === messageId)) {
      return { why: "That message is from before you joined this conversation." };
    }
    return { older, newer };
  }

  /** Replace the view with the pages around a message, and show it. */
  #drawAround({ older, newer }, messageId) {
    const pending = this.#pending;
    this.#pending = null;
    this.#reset();
    this.#listEl.removeAttribute("aria-busy"); // also for an open this jump superseded
    this.#hasOlder = older.length === PAGE;
    this.#hasNewer = newer.length === PAGE;
    for (const msg of [...older, ...newer]) this.#append(msg);
    this.#renderHistoryStatus();
    if (!this.#hasNewer) this.#cb.onLoaded(this.#conv);
    for (const replay of pending) replay();
    this.#drawLive();
    this.#reveal(messageId);
    this.#onScroll();
  }

  /** A jump that could not be made: the view stays, and the frames held back meanwhile apply to it. */
  #keepView(why) {
    const pending = this.#pending;
    this.#pending = null;
    for (const replay of pending) replay();
    this.#cb.onError(why);
  }

  /** Back to the newest messages: the newest page, unless it is drawn already. */
  toLatest() {
    if (!this.#conv) return;
    if (this.#hasNewer) this.open(this.#conv);
    else this.#scrollToBottom();
  }

  #reveal(messageId) {
    const li = this.#items.get(messageId)?.li;
    if (!li) return;
    li.scrollIntoView({ block: "center" });
    this.#nav.focus(li, { preventScroll: true });
    for (const marked of this.#listEl.querySelectorAll(":scope > .highlight")) marked.classList.remove("highlight");
    li.classList.add("highlight");
    clearTimeout(this.#highlightTimer);
    this.#highlightTimer = setTimeout(() => li.classList.remove("highlight"), HIGHLIGHT_MS);
  }

  async #loadNewer() {
    if (this.#loadingNewer || !this.#hasNewer || this.#pending || !this.#conv?.conversation_id) return;
    const newest = this.#newestId();
    if (newest === null) return;
    this.#loadingNewer = true;
    const seq = this.#loadSeq;
    let page;
    try {
      page = await api.messages(this.#conv.conversation_id, { after: newest, limit: PAGE });
    } catch (err) {
      if (seq !== this.#loadSeq) return;
      this.#loadingNewer = false;
      this.#cb.onError(`Could not load newer messages: ${err.detail ?? err.message}`);
      return;
    }
    if (seq !== this.#loadSeq) return;
    page = Array.isArray(page) ? page : [];
    this.#hasNewer = page.length >= PAGE;
    for (const msg of page) if (!this.#items.has(msg.id)) this.#append(msg);
    this.#loadingNewer = false;
    if (!this.#hasNewer) this.#reachedEnd();
    this.#onScroll(); // a short page may leave the end in reach: keep going
  }

  /** The view reached the newest message: what came live meanwhile follows, then our unsent ones. */
  #reachedEnd() {
    const behind = [...this.#behind.values()].sort((a, b) => a.id - b.id);
    this.#behind.clear();
    for (const msg of behind) if (!this.#items.has(msg.id)) this.#append(msg);
    this.#cb.onLoaded(this.#conv);
  }

  #newestId() {
    let newest = null;
    for (const id of this.#items.keys()) if (newest === null || id > newest) newest = id;
    return newest;
  }

  /** Older messages above the ones shown, keeping what the reader looks at in place. */
  #prepend(page) {
    if (!page.length) return;
    const firstOld = this.#listEl.firstElementChild; // always a day line
    const firstView = [...this.#items.values()].find((v) => v.li === firstOld?.nextElementSibling) ?? null;
    // The first entry shown stays where it is on screen (whatever the seam
    // below does to the heights around it).
    const anchor = firstView?.li ?? this.#listEl.firstElementChild;
    const anchorTop = anchor?.getBoundingClientRect().top ?? 0;

    const fragment = document.createDocumentFragment();
    let last = null;
    for (const msg of page) {
      const date = parseTimestamp(msg.timestamp) ?? new Date();
      if (!last || !sameDay(last.date, date)) {
        fragment.append(el("li", { className: "day" }, el("span", { text: formatDay(date) })));
        last = null;
      }
      const view = buildMessage(msg, date, this.#ctx());
      this.#group(view, last);
      this.#track(msg.id, view);
      fragment.append(view.li);
      last = { date, senderId: msg.notice ? null : msg.sender_id };
    }
    // The seam: one day line for one day, and a run by one sender grouped.
    if (firstOld?.classList.contains("day") && last && firstView && sameDay(last.date, firstView.date)) {
      firstOld.remove();
      this.#group(firstView, last);
    }
    this.#listEl.prepend(fragment);
    if (anchor) this.#scrollEl.scrollTop += anchor.getBoundingClientRect().top - anchorTop;
  }

  #renderHistoryStatus() {
    if (!this.#conv || this.#conv.conversation_id === null || this.#items.size === 0) {
      this.#statusEl.textContent = "";
      return;
    }
    this.#statusEl.textContent = this.#hasOlder ? "" : "This is the beginning of the conversation.";
  }

  #showLoadError(err) {
    const retry = el("button", { text: "Try again", attrs: { type: "button" }, on: { click: () => this.reload() } });
    this.#listEl.replaceChildren(
      el("li", { className: "load-error" }, el("span", { text: `Could not load messages: ${err.detail ?? err.message}` }), retry),
    );
  }

  #fromBottom() {
    const s = this.#scrollEl;
    return s.scrollHeight - s.scrollTop - s.clientHeight;
  }

  #nearBottom() {
    return this.#fromBottom() < NEAR_BOTTOM_PX;
  }

  #scrollToBottom() {
    this.#scrollEl.scrollTop = this.#scrollEl.scrollHeight;
    this.#jumpEl.hidden = true;
  }
}
