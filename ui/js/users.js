// The sidebar list of other users: rendering, selection, live presence,
// unread badges, the filter box, and ordering (newest conversation first,
// then everyone else by name). Rows are built once per user and updated in
// place, so a presence change never steals keyboard focus from a row.

import { el, setAvatar } from "./dom.js";
import { formatPresence } from "./format.js";

export class UserList {
  #listEl;
  #emptyEl;
  #onSelect;
  #users = new Map(); // id -> user object from GET /users (plus live updates)
  #rows = new Map(); // id -> { li, button, img, name, status, badge }
  #recency = new Map(); // id -> id of the newest message with them (ids only grow)
  #unread = new Map(); // id -> count
  #selectedId = null;
  #filter = "";

  /** @param {(user) => void} onSelect */
  constructor(listEl, emptyEl, onSelect) {
    this.#listEl = listEl;
    this.#emptyEl = emptyEl;
    this.#onSelect = onSelect;
    // "Last seen today at…" turns into "yesterday" without any event.
    setInterval(() => this.#refreshAll(), 60_000);
  }

  get(id) {
    return this.#users.get(id) ?? null;
  }

  /** Replace the list with a fresh GET /users result (the caller removes itself). */
  setUsers(users) {
    const seen = new Set();
    for (const user of users) {
      seen.add(user.id);
      this.#users.set(user.id, { ...user });
      if (!this.#rows.has(user.id)) this.#rows.set(user.id, this.#buildRow(user.id));
      this.#refreshRow(user.id);
    }
    for (const id of [...this.#users.keys()]) {
      if (seen.has(id)) continue;
      this.#rows.get(id)?.li.remove();
      this.#rows.delete(id);
      this.#users.delete(id);
    }
    this.#order();
    this.#applyFilter();
  }

  /** Apply a presence frame; false if the user is unknown (new account). */
  setPresence(userId, isOnline, lastSeen) {
    const user = this.#users.get(userId);
    if (!user) return false;
    user.is_online = isOnline ? 1 : 0;
    if (lastSeen !== undefined && lastSeen !== null) user.last_seen = lastSeen;
    this.#refreshRow(userId);
    return true;
  }

  /** Apply a user_updated frame; false if the user is unknown. */
  updateProfile(userId, fields) {
    const user = this.#users.get(userId);
    if (!user) return false;
    Object.assign(user, fields);
    this.#refreshRow(userId);
    return true;
  }

  /** Seed the order from GET /conversations. */
  setConversations(conversations) {
    for (const { user_id: id, last_message: msg } of conversations) {
      if (msg && typeof msg.id === "number") this.#recency.set(id, Math.max(msg.id, this.#recency.get(id) ?? 0));
    }
    this.#order();
  }

  /** A message with this user arrived or was sent: they move to the top. */
  touch(userId, messageId) {
    if ((this.#recency.get(userId) ?? 0) >= messageId) return;
    this.#recency.set(userId, messageId);
    this.#order();
  }

  setUnread(userId, count) {
    this.#unread.set(userId, count);
    this.#refreshRow(userId);
  }

  select(id) {
    const previous = this.#selectedId;
    this.#selectedId = id;
    this.#refreshRow(previous);
    this.#refreshRow(id);
  }

  /** Show only people whose name contains the text (case-insensitive). */
  filter(text) {
    this.#filter = text.trim().toLocaleLowerCase();
    this.#applyFilter();
  }

  #applyFilter() {
    let shown = 0;
    for (const [id, row] of this.#rows) {
      const match = !this.#filter || this.#users.get(id).username.toLocaleLowerCase().includes(this.#filter);
      row.li.hidden = !match;
      if (match) shown += 1;
    }
    this.#emptyEl.textContent = this.#users.size === 0
      ? "No one else has joined yet."
      : "No one matches that filter.";
    this.#emptyEl.hidden = shown > 0;
  }

  #buildRow(id) {
    const img = el("img", { className: "avatar", attrs: { alt: "", width: 40, height: 40 } });
    const dot = el("span", { className: "presence-dot", attrs: { "aria-hidden": "true" } });
    const name = el("span", { className: "user-name" });
    const status = el("span", { className: "user-status" });
    const badge = el("span", { className: "unread-badge", attrs: { hidden: true } });
    const button = el(
      "button",
      { className: "user", attrs: { type: "button" }, on: { click: () => this.#onSelect(this.#users.get(id)) } },
      el("span", { className: "avatar-wrap" }, img, dot),
      el("span", { className: "user-text" }, name, status),
      badge,
    );
    const li = el("li", { dataset: { userId: id } }, button);
    return { li, button, img, dot, name, status, badge };
  }

  #refreshAll() {
    for (const id of this.#rows.keys()) this.#refreshRow(id);
  }

  #refreshRow(id) {
    const user = this.#users.get(id);
    const row = this.#rows.get(id);
    if (!user || !row) return;
    if (row.picture !== user.profile_pic) {
      row.picture = user.profile_pic;
      setAvatar(row.img, user.profile_pic);
    }
    const online = Boolean(user.is_online);
    row.name.textContent = user.username;
    row.status.textContent = formatPresence(online, user.last_seen);
    row.li.dataset.online = String(online);
    row.button.classList.toggle("online", online);
    const unread = this.#unread.get(id) ?? 0;
    row.badge.hidden = unread === 0;
    row.badge.textContent = unread > 99 ? "99+" : String(unread);
    // The badge alone says nothing to a screen reader; the label says it all.
    const parts = [user.username, online ? "online" : row.status.textContent];
    if (unread) parts.push(`${unread} unread`);
    row.button.setAttribute("aria-label", parts.join(", "));
    if (id === this.#selectedId) row.button.setAttribute("aria-current", "true");
    else row.button.removeAttribute("aria-current");
  }

  #order() {
    const byName = (a, b) => a.username.localeCompare(b.username, undefined, { sensitivity: "base" });
    const ids = [...this.#users.values()]
      .sort((a, b) => (this.#recency.get(b.id) ?? 0) - (this.#recency.get(a.id) ?? 0) || byName(a, b))
      .map((u) => u.id);
    const current = [...this.#listEl.children];
    const inOrder = current.length === ids.length && ids.every((id, i) => current[i] === this.#rows.get(id).li);
    if (inOrder) return;
    // Re-appending moves nodes, which blurs a focused row: put focus back.
    const focused = this.#listEl.contains(document.activeElement) ? document.activeElement : null;
    this.#listEl.append(...ids.map((id) => this.#rows.get(id).li));
    focused?.focus({ preventScroll: true });
  }
}
