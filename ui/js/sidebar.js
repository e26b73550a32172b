// The sidebar: one row per conversation, rooms and groups first, each list
// by latest activity, with the last message, its time, the unread count and
// apart from it the count of unread messages that mention the caller;
// the filter box; the unread total in the tab title. A muted conversation
// shows a crossed-out bell and a dimmed unread badge. It draws what the
// Conversations and People stores hold and redraws a row when either says
// it changed. Rows are built once per conversation and updated in place, so
// a live change never steals keyboard focus from a row.

import { el, setAvatar } from "./dom.js";
import { formatPresence, formatShort, parseTimestamp } from "./format.js";
import { noticeSubject, previewText } from "./notices.js";
import { nameMatches } from "./people.js";

const TITLE = "ChatterBox";

/** What a conversation is called: the room's title or the other person's name. */
export function conversationName(c, people, meId) {
  if (!c) return "";
  if (c.kind !== "direct") return c.title ?? "Untitled";
  if (c.user_id === meId) return `${people.get(meId) ? people.displayName(meId) : "You"} (notes to self)`;
  return people.displayName(c.user_id);
}

/**
 * Whether a conversation is found by `text` (lower case): by the name
 * shown, and a direct one also by the other person's username.
 */
export function conversationMatches(c, people, meId, text) {
  if (conversationName(c, people, meId).toLocaleLowerCase().includes(text)) return true;
  const user = c.kind === "direct" ? people.get(c.user_id) : null;
  return user !== null && nameMatches(user, text);
}

/** Whether a row draws `userId`'s name: the person of a direct conversation, or the last message's sender or subject. */
function showsName(c, row, userId) {
  const last = c?.last_message;
  return row.userId === userId || (Boolean(last) && (last.sender_id === userId || (last.notice && noticeSubject(last) === userId)));
}

const SVG = "http://www.w3.org/2000/svg";

/** A bell struck through, hidden until the conversation is muted (the
 *  row's label says "muted" in words). */
function mutedIcon() {
  const svg = document.createElementNS(SVG, "svg");
  for (const [name, value] of Object.entries({ viewBox: "0 0 24 24", width: 14, height: 14, focusable: "false" })) {
    svg.setAttribute(name, String(value));
  }
  for (const d of ["M18 16v-5a6 6 0 0 0-9.3-5M6 9v7l-2 2h13", "M10 21h4", "M3 3l18 18"]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return el("span", { className: "muted-icon", attrs: { hidden: true, "aria-hidden": "true", title: "Muted" } }, svg);
}

export class Sidebar {
  #rooms;
  #directs;
  #emptyEl;
  #store;
  #people;
  #meId;
  #onSelect;
  #rows = new Map(); // conversation id -> row parts
  #selectedId = null;
  #filter = "";

  /** @param {(conversationId: number) => void} onSelect */
  constructor({ roomList, directList, emptyEl, store, people, meId, onSelect }) {
    this.#rooms = roomList;
    this.#directs = directList;
    this.#emptyEl = emptyEl;
    this.#store = store;
    this.#people = people;
    this.#meId = meId;
    this.#onSelect = onSelect;
    store.onChange((id) => (id === null ? this.#renderAll() : this.#renderOne(id)));
    people.onChange((userId, renamed) => {
      for (const [id, row] of this.#rows) {
        // A presence change shows only on the person's own row.
        if (userId === null || (renamed ? showsName(this.#store.get(id), row, userId) : row.userId === userId)) {
          this.#refresh(id);
        }
      }
      if (renamed) this.#order(); // ties are ordered by name, and the filter matches names
    });
    // Up and Down move between rows (both lists, as one), Home and End to the ends.
    for (const list of [roomList, directList]) list.addEventListener("keydown", (e) => this.#onKey(e));
    // "Last seen today at…" and "Yesterday" change without any event.
    setInterval(() => {
      for (const id of this.#rows.keys()) this.#refresh(id);
    }, 60_000);
  }

  select(id) {
    const previous = this.#selectedId;
    this.#selectedId = id;
    if (previous !== null) this.#refresh(previous);
    if (id !== null) this.#refresh(id);
  }

  /** Show only conversations whose name (or the other person's username) contains the text, in any case. */
  filter(text) {
    this.#filter = text.trim().toLocaleLowerCase();
    this.#applyFilter();
  }

  /** The first row the filter leaves, e.g. for Enter in the filter box. */
  openFirst() {
    const first = this.#visibleButtons()[0];
    if (!first) return false;
    first.click();
    return true;
  }

  /** The conversation `step` rows away from `id` in the sidebar's order (as
   *  filtered), for Alt+↑/↓; from a conversation not listed, the first or
   *  last row. Null past either end. */
  neighbour(id, step) {
    const ids = this.#visibleRows().map((li) => Number(li.dataset.conversationId));
    const at = ids.indexOf(id);
    return ids[at < 0 ? (step > 0 ? 0 : ids.length - 1) : at + step] ?? null;
  }

  #visibleRows() {
    return [...this.#rooms.children, ...this.#directs.children].filter((li) => !li.hidden);
  }

  #visibleButtons() {
    return this.#visibleRows().map((li) => li.querySelector("button"));
  }

  #onKey(e) {
    const keys = { ArrowDown: 1, ArrowUp: -1, Home: -Infinity, End: Infinity };
    if (!(e.key in keys) || e.altKey || e.ctrlKey || e.metaKey) return;
    const buttons = this.#visibleButtons();
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    e.preventDefault();
    const step = keys[e.key];
    const next = Number.isFinite(step) ? Math.min(buttons.length - 1, Math.max(0, at + step))
      : step < 0 ? 0 : buttons.length - 1;
    buttons[next].focus();
  }

  /** The row's button, to give focus back to. */
  button(id) {
    return this.#rows.get(id)?.button ?? null;
  }

  #renderAll() {
    for (const id of [...this.#rows.keys()]) {
      if (!this.#store.has(id)) this.#drop(id);
    }
    for (const c of this.#store.all()) this.#renderOne(c.conversation_id, false);
    this.#order();
    this.#renderTitle();
  }

  #renderOne(id, reorder = true) {
    if (!this.#store.has(id)) {
      this.#drop(id);
      this.#applyFilter();
    } else {
      if (!this.#rows.has(id)) this.#rows.set(id, this.#build(id));
      this.#refresh(id);
    }
    if (reorder) {
      this.#order();
      this.#renderTitle();
    }
  }

  #drop(id) {
    this.#rows.get(id)?.li.remove();
    this.#rows.delete(id);
  }

  #build(id) {
    const c = this.#store.get(id);
    const direct = c.kind === "direct";
    const picture = direct
      ? el("img", { className: "avatar", attrs: { alt: "", width: 40, height: 40 } })
      : el("span", { className: `avatar room-avatar ${c.kind}`, attrs: { "aria-hidden": "true" } });
    const dot = direct ? el("span", { className: "presence-dot", attrs: { "aria-hidden": "true" } }) : null;
    const name = el("span", { className: "conv-name" });
    const muted = mutedIcon();
    const time = el("time", { className: "conv-time" });
    const preview = el("span", { className: "conv-preview" });
    const badge = el("span", { className: "unread-badge", attrs: { hidden: true } });
    // "@3" to the eye; ", 3 mentions" to screen readers.
    const mentionBadge = el("span", { className: "mention-badge", attrs: { hidden: true, "aria-hidden": "true" } });
    const mentionWord = el("span", { className: "visually-hidden", attrs: { hidden: true } });
    // The row's name is what it shows (so speech input can say what it
    // sees), then for screen readers what only shows as colour and shape:
    // "unread" after the count, presence or the kind of conversation.
    const unreadWord = el("span", { className: "visually-hidden", text: " unread", attrs: { hidden: true } });
    const about = el("span", { className: "visually-hidden" });
    const button = el("button", {
      className: "conv",
      attrs: { type: "button" },
      on: { click: () => this.#onSelect(id) },
    },
    el("span", { className: "avatar-wrap" }, picture, dot),
    el("span", { className: "conv-text" },
      el("span", { className: "conv-line" }, name, muted, time),
      el("span", { className: "conv-line" }, preview, mentionBadge, badge, unreadWord, mentionWord)),
    about);
    const li = el("li", { dataset: { conversationId: id, kind: c.kind } }, button);
    if (direct) li.dataset.userId = String(c.user_id);
    return {
      li, button, picture, name, muted, time, preview, badge, unreadWord, mentionBadge, mentionWord, about,
      userId: direct ? c.user_id : null, pic: undefined,
    };
  }

  #refresh(id) {
    const c = this.#store.get(id);
    const row = this.#rows.get(id);
    if (!c || !row) return;
    const name = conversationName(c, this.#people, this.#meId);
    row.name.textContent = name;
    let about = "";
    if (c.kind === "direct") {
      const user = this.#people.get(c.user_id);
      if (row.pic !== user?.profile_pic) {
        row.pic = user?.profile_pic;
        setAvatar(row.picture, user?.profile_pic ?? null);
      }
      const online = Boolean(user?.is_online);
      row.li.dataset.online = String(online);
      row.button.classList.toggle("online", online);
      if (c.user_id !== this.#meId) about = online ? "online" : formatPresence(false, user?.last_seen);
    } else {
      row.picture.textContent = (c.title ?? "#").trim().charAt(0).toUpperCase() || "#";
      about = c.kind === "room" ? "room" : "private group";
    }
    const last = c.last_message;
    const date = last ? parseTimestamp(last.timestamp) : null;
    row.time.textContent = date ? formatShort(date) : "";
    if (date) row.time.setAttribute("datetime", date.toISOString());
    let preview = previewText(last, (uid) => this.#people.name(uid));
    if (last && !last.notice && c.kind !== "direct") {
      preview = `${last.sender_id === this.#meId ? "You" : this.#people.displayName(last.sender_id)}: ${preview}`;
    } else if (last && !last.notice && last.sender_id === this.#meId && c.user_id !== this.#meId) {
      preview = `You: ${preview}`;
    }
    row.preview.textContent = preview;
    const muted = c.notify === "muted";
    row.muted.hidden = !muted;
    row.badge.classList.toggle("muted", muted);
    row.li.dataset.notify = c.notify ?? "all";
    if (muted) about = about ? `${about}, muted` : "muted";
    const unread = c.unread ?? 0;
    row.badge.hidden = unread === 0;
    row.unreadWord.hidden = unread === 0;
    row.badge.textContent = unread > 99 ? "99+" : String(unread);
    row.li.dataset.unread = String(unread);
    const mentions = c.unread_mentions ?? 0;
    row.mentionBadge.hidden = mentions === 0;
    row.mentionWord.hidden = mentions === 0;
    row.mentionBadge.textContent = `@${mentions > 99 ? "99+" : mentions}`;
    row.mentionWord.textContent = `, ${mentions} mention${mentions === 1 ? "" : "s"}`;
    row.about.textContent = about ? `, ${about}` : "";
    row.button.title = preview;
    if (id === this.#selectedId) row.button.setAttribute("aria-current", "true");
    else row.button.removeAttribute("aria-current");
  }

  #order() {
    const byActivity = (a, b) => (b.last_message?.id ?? 0) - (a.last_message?.id ?? 0)
      || conversationName(a, this.#people, this.#meId).localeCompare(conversationName(b, this.#people, this.#meId));
    const all = this.#store.all().sort(byActivity);
    const focused = document.activeElement;
    for (const [list, items] of [
      [this.#rooms, all.filter((c) => c.kind !== "direct")],
      [this.#directs, all.filter((c) => c.kind === "direct")],
    ]) {
      const lis = items.map((c) => this.#rows.get(c.conversation_id)?.li).filter(Boolean);
      const current = [...list.children];
      if (current.length === lis.length && lis.every((li, i) => current[i] === li)) continue;
      // Re-appending moves nodes, which blurs a focused row: put focus back.
      list.append(...lis);
    }
    if (focused && focused !== document.activeElement) focused.focus({ preventScroll: true });
    this.#applyFilter();
  }

  #applyFilter() {
    let shown = 0;
    for (const [id, row] of this.#rows) {
      const c = this.#store.get(id);
      const match = !this.#filter || conversationMatches(c, this.#people, this.#meId, this.#filter);
      row.li.hidden = !match;
      if (match) shown += 1;
    }
    this.#rooms.hidden = this.#rooms.children.length === 0;
    this.#directs.hidden = this.#directs.children.length === 0;
    this.#rooms.previousElementSibling.hidden = this.#rooms.hidden;
    this.#directs.previousElementSibling.hidden = this.#directs.hidden;
    this.#emptyEl.textContent = this.#rows.size === 0
      ? "No conversations yet. Start one with New message."
      : "No conversation matches that filter.";
    this.#emptyEl.hidden = shown > 0;
  }

  #renderTitle() {
    const total = this.#store.totalUnread();
    document.title = total ? `(${total}) ${TITLE}` : TITLE;
  }
}
