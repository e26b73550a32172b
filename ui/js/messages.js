// The open conversation: loads history, appends live messages, applies edits,
// and shows our own messages still on their way (see outbox.js). Messages
// are keyed by id, so the upload reply and the WebSocket push of the same
// file (or a push racing the history load) show once.

import { api } from "./api.js";
import { el } from "./dom.js";
import { fileCard } from "./filecard.js";
import { formatClock, formatDay, formatFull, parseTimestamp, sameDay } from "./format.js";

const NEAR_BOTTOM_PX = 80;
const GROUP_GAP_MS = 5 * 60 * 1000; // consecutive messages closer than this sit together

export class Conversation {
  #listEl;
  #scrollEl;
  #meId;
  #sendEdit;
  #onError;
  #peer = null;
  #items = new Map(); // message id -> { msg, li, text, edited, editButton }
  #last = null; // { date, senderId } of the last rendered message
  #pending = null; // live events held back while history loads
  #loadSeq = 0; // bumps on every open, so a slow reply for an older pick is dropped
  #editing = null; // { id, form }
  #outgoing = new Map(); // outbox item -> { li, state, retry, error }
  #onLoaded;
  #onRetry;
  #onDiscard;
  #onView;
  #onSave;

  /**
   * @param {object} o
   * @param {(id: number, content: string) => boolean} o.sendEdit false if it could not be sent
   * @param {(text: string) => void} o.onError
   * @param {(peerId: number, history: Array) => void} o.onLoaded after history is drawn
   * @param {(item) => void} o.onRetry the retry button of a failed message
   * @param {(item) => void} o.onDiscard its discard button
   * @param {(url: string, name: string) => void} o.onView an image thumbnail was clicked
   * @param {((url: string, name: string) => void) | null} [o.onSave] saves other files (see filecard.js)
   */
  constructor({ listEl, scrollEl, meId, sendEdit, onError, onLoaded, onRetry, onDiscard, onView, onSave = null }) {
    this.#listEl = listEl;
    this.#scrollEl = scrollEl;
    this.#meId = meId;
    this.#sendEdit = sendEdit;
    this.#onError = onError;
    this.#onLoaded = onLoaded;
    this.#onRetry = onRetry;
    this.#onDiscard = onDiscard;
    this.#onView = onView;
    this.#onSave = onSave;
  }

  /** The newest message id shown, for read tracking. */
  get newestId() {
    let newest = null;
    for (const id of this.#items.keys()) if (newest === null || id > newest) newest = id;
    return newest;
  }

  get peerId() {
    return this.#peer ? this.#peer.id : null;
  }

  /** The other party of a message, seen from our side. */
  peerOf(msg) {
    return msg.sender_id === this.#meId ? msg.receiver_id : msg.sender_id;
  }

  async open(peer) {
    const seq = ++this.#loadSeq;
    const keepScroll = this.#peer?.id === peer.id && !this.#nearBottom() ? this.#scrollEl.scrollTop : null;
    this.#peer = peer;
    this.#reset();
    this.#pending = [];
    this.#listEl.setAttribute("aria-busy", "true");
    let history;
    try {
      history = await api.messages(peer.id);
    } catch (err) {
      if (seq !== this.#loadSeq) return;
      this.#pending = null;
      this.#listEl.removeAttribute("aria-busy");
      this.#showLoadError(err);
      return;
    }
    if (seq !== this.#loadSeq) return;
    this.#listEl.removeAttribute("aria-busy");
    history = Array.isArray(history) ? history : [];
    for (const msg of history) this.#append(msg);
    const pending = this.#pending;
    this.#pending = null;
    this.#onLoaded(peer.id, history); // draws what is still in the outbox
    for (const replay of pending) replay();
    // A reload after a reconnect keeps the reader's place; a fresh open starts at the end.
    if (keepScroll === null) this.#scrollToBottom();
    else this.#scrollEl.scrollTop = keepScroll;
  }

  /** Reload the open conversation, e.g. to catch up after a reconnect. */
  reload() {
    if (this.#peer) this.open(this.#peer);
  }

  close() {
    this.#loadSeq += 1;
    this.#peer = null;
    this.#pending = null;
    this.#reset();
  }

  add(msg) {
    if (!this.#peer || this.peerOf(msg) !== this.#peer.id) return;
    if (this.#pending) {
      this.#pending.push(() => this.add(msg));
      return;
    }
    if (this.#items.has(msg.id)) return;
    const stick = this.#nearBottom() || msg.sender_id === this.#meId;
    this.#append(msg);
    if (stick) this.#scrollToBottom();
  }

  /** Draw or update one of our outgoing messages (an outbox item). */
  showOutgoing(item) {
    if (!this.#peer || item.peerId !== this.#peer.id || this.#pending) return;
    let view = this.#outgoing.get(item);
    if (item.state === "discarded") {
      view?.li.remove();
      this.#outgoing.delete(item);
      return;
    }
    if (item.state === "sent") {
      if (view) this.#outgoing.delete(item);
      const msg = item.message;
      if (!view || this.#items.has(msg.id)) {
        // Drawn already (a reload raced the echo) or never drawn here.
        view?.li.remove();
        this.add(msg);
        return;
      }
      // Becomes the real message where it stands, so nothing jumps.
      const date = parseTimestamp(msg.timestamp) ?? new Date();
      const real = this.#build(msg, date);
      this.#items.set(msg.id, real);
      view.li.replaceWith(real.li);
      this.#last = { date, senderId: msg.sender_id };
      return;
    }
    if (!view) {
      const now = new Date();
      this.#daySeparator(now);
      view = this.#buildOutgoing(item);
      this.#outgoing.set(item, view);
      this.#listEl.append(view.li);
      // Counted as the last message, so the next one groups and dates right.
      this.#last = { date: now, senderId: this.#meId };
      this.#scrollToBottom();
    }
    view.li.dataset.state = item.state;
    view.status.textContent = item.state === "failed" ? `Not sent${item.error ? `: ${item.error}` : ""}` : "Sending…";
    view.actions.hidden = item.state !== "failed";
  }

  #buildOutgoing(item) {
    const status = el("span", { className: "msg-status", attrs: { role: "status" } });
    const retry = el("button", {
      className: "msg-retry",
      text: "Retry",
      attrs: { type: "button", "aria-label": "Retry sending this message" },
      on: { click: () => this.#onRetry(item) },
    });
    const discard = el("button", {
      className: "msg-discard",
      text: "Discard",
      attrs: { type: "button", "aria-label": "Discard this unsent message" },
      on: { click: () => this.#onDiscard(item) },
    });
    const actions = el("div", { className: "msg-actions" }, retry, discard);
    const bubble = el("div", { className: "bubble" },
      el("span", { className: "visually-hidden", text: "You: " }),
      el("p", { className: "msg-text", text: item.content }),
      el("div", { className: "msg-meta" }, status));
    const li = el("li", { className: "msg mine", dataset: { state: item.state } }, bubble, actions);
    return { li, status, actions };
  }

  applyEdit(messageId, newContent) {
    if (this.#pending) {
      this.#pending.push(() => this.applyEdit(messageId, newContent));
      return;
    }
    const item = this.#items.get(messageId);
    if (!item || !item.text) return;
    item.msg.content = newContent;
    item.text.textContent = newContent;
    item.edited.hidden = false;
  }

  #reset() {
    this.#cancelEdit();
    this.#items.clear();
    this.#outgoing.clear();
    this.#last = null;
    this.#listEl.replaceChildren();
  }

  #append(msg) {
    const date = parseTimestamp(msg.timestamp) ?? new Date();
    this.#daySeparator(date);
    const grouped = this.#last !== null && this.#last.senderId === msg.sender_id
      && date - this.#last.date < GROUP_GAP_MS;
    const item = this.#build(msg, date);
    item.li.classList.toggle("grouped", grouped);
    this.#items.set(msg.id, item);
    this.#listEl.append(item.li);
    this.#last = { date, senderId: msg.sender_id };
  }

  /** A "Today"/"Yesterday"/date line before the first message of a day. */
  #daySeparator(date) {
    if (this.#last && sameDay(this.#last.date, date)) return;
    this.#listEl.append(el("li", { className: "day" }, el("span", { text: formatDay(date) })));
    this.#last = null;
  }

  #build(msg, date) {
    const mine = msg.sender_id === this.#meId;
    const isFile = Boolean(msg.file_path);
    const text = isFile ? null : el("p", { className: "msg-text", text: msg.content ?? "" });
    const edited = el("span", { className: "msg-edited", text: "edited", attrs: { hidden: !msg.is_edited } });
    const time = el("time", {
      className: "msg-time",
      text: formatClock(date),
      attrs: { datetime: date.toISOString(), title: formatFull(date) },
    });
    const editButton = mine && !isFile
      ? el("button", {
        className: "msg-edit",
        text: "Edit",
        attrs: { type: "button", "aria-label": "Edit message" },
        on: { click: () => this.#startEdit(msg.id) },
      })
      : null;
    // Screen readers get the sender; sighted users get it from the side.
    const who = el("span", { className: "visually-hidden", text: `${mine ? "You" : this.#peer.username}: ` });
    const bubble = el("div", { className: "bubble" },
      who,
      isFile ? fileCard(msg, this.#onView, this.#onSave) : text,
      el("div", { className: "msg-meta" }, edited, time));
    const li = el("li", { className: `msg ${mine ? "mine" : "theirs"}`, dataset: { id: msg.id } }, bubble, editButton);
    return { msg: { ...msg }, li, text, edited, editButton };
  }

  #startEdit(id) {
    this.#cancelEdit();
    const item = this.#items.get(id);
    if (!item || !item.text) return;
    const input = el("textarea", { className: "edit-input", attrs: { rows: 2, "aria-label": "Edit message" } });
    input.value = item.msg.content ?? "";
    const form = el("form", { className: "edit-form", on: { submit: (e) => { e.preventDefault(); this.#saveEdit(); } } },
      input,
      el("div", { className: "edit-actions" },
        el("button", { text: "Cancel", attrs: { type: "button" }, on: { click: () => this.#cancelEdit(true) } }),
        el("button", { className: "primary", text: "Save", attrs: { type: "submit" } })));
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.#cancelEdit(true);
      } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    item.text.replaceWith(form);
    item.editButton.hidden = true;
    this.#editing = { id, form };
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  #saveEdit() {
    const { id, form } = this.#editing;
    const item = this.#items.get(id);
    const content = form.querySelector("textarea").value.trim();
    if (!content) {
      this.#onError("A message cannot be empty.");
      return;
    }
    // The text changes when the server echoes the edit back, so what is shown
    // is always what was stored.
    if (content !== item.msg.content && !this.#sendEdit(id, content)) {
      this.#onError("Not connected. Your edit was not sent.");
      return;
    }
    this.#cancelEdit(true);
  }

  #cancelEdit(refocus = false) {
    if (!this.#editing) return;
    const { id, form } = this.#editing;
    this.#editing = null;
    const item = this.#items.get(id);
    if (!item) return;
    form.replaceWith(item.text);
    item.editButton.hidden = false;
    if (refocus) item.editButton.focus();
  }

  #showLoadError(err) {
    const retry = el("button", { text: "Try again", attrs: { type: "button" }, on: { click: () => this.reload() } });
    this.#listEl.replaceChildren(
      el("li", { className: "load-error" }, el("span", { text: `Could not load messages: ${err.detail ?? err.message}` }), retry),
    );
  }

  #nearBottom() {
    const s = this.#scrollEl;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  #scrollToBottom() {
    this.#scrollEl.scrollTop = this.#scrollEl.scrollHeight;
  }
}
