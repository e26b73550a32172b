// The sidebar list of other users: rendering, selection, live presence and a
// "new messages" marker. Rows are built once per user and updated in place,
// so a presence change never steals keyboard focus from a row.

import { el, setAvatar } from "./dom.js";
import { formatPresence } from "./format.js";

export class UserList {
  #listEl;
  #emptyEl;
  #onSelect;
  #users = new Map(); // id -> user object from GET /users
  #rows = new Map(); // id -> { li, button, img, name, status, unseen }
  #selectedId = null;

  /** @param {(user) => void} onSelect */
  constructor(listEl, emptyEl, onSelect) {
    this.#listEl = listEl;
    this.#emptyEl = emptyEl;
    this.#onSelect = onSelect;
  }

  get(id) {
    return this.#users.get(id) ?? null;
  }

  /** Replace the list with a fresh GET /users result (the caller removes itself). */
  setUsers(users) {
    const seen = new Set();
    for (const user of users) {
      seen.add(user.id);
      const unseen = this.#users.get(user.id)?.unseen ?? false;
      this.#users.set(user.id, { ...user, unseen });
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
    this.#emptyEl.hidden = this.#users.size > 0;
  }

  /** Apply a presence frame; false if the user is unknown (new account). */
  setPresence(userId, isOnline, lastSeen) {
    const user = this.#users.get(userId);
    if (!user) return false;
    user.is_online = isOnline ? 1 : 0;
    if (lastSeen !== undefined) user.last_seen = lastSeen;
    this.#refreshRow(userId);
    return true;
  }

  select(id) {
    this.#selectedId = id;
    const user = this.#users.get(id);
    if (user) user.unseen = false;
    for (const rowId of this.#rows.keys()) this.#refreshRow(rowId);
  }

  markUnseen(id) {
    const user = this.#users.get(id);
    if (!user || id === this.#selectedId) return;
    user.unseen = true;
    this.#refreshRow(id);
  }

  #buildRow(id) {
    const img = el("img", { className: "avatar", attrs: { alt: "", width: 40, height: 40 } });
    const dot = el("span", { className: "presence-dot", attrs: { "aria-hidden": "true" } });
    const name = el("span", { className: "user-name" });
    const status = el("span", { className: "user-status" });
    const unseen = el("span", { className: "unseen-dot", text: "New", attrs: { hidden: true } });
    const button = el(
      "button",
      { className: "user", attrs: { type: "button" }, on: { click: () => this.#onSelect(this.#users.get(id)) } },
      el("span", { className: "avatar-wrap" }, img, dot),
      el("span", { className: "user-text" }, name, status),
      unseen,
    );
    const li = el("li", {}, button);
    return { li, button, img, dot, name, status, unseen };
  }

  #refreshRow(id) {
    const user = this.#users.get(id);
    const row = this.#rows.get(id);
    if (!user || !row) return;
    if (row.picture !== user.profile_pic) {
      row.picture = user.profile_pic;
      setAvatar(row.img, user.profile_pic);
    }
    row.name.textContent = user.username;
    row.status.textContent = formatPresence(user.is_online, user.last_seen);
    row.button.classList.toggle("online", Boolean(user.is_online));
    row.unseen.hidden = !user.unseen;
    if (id === this.#selectedId) row.button.setAttribute("aria-current", "true");
    else row.button.removeAttribute("aria-current");
  }

  // Alphabetical and stable: sorting by presence would move rows under the pointer.
  #order() {
    const ids = [...this.#users.values()]
      .sort((a, b) => a.username.localeCompare(b.username, undefined, { sensitivity: "base" }))
      .map((u) => u.id);
    const current = [...this.#listEl.children];
    const inOrder = current.length === ids.length && ids.every((id, i) => current[i] === this.#rows.get(id).li);
    // Re-appending moves nodes, which blurs a focused row; only do it when needed.
    if (!inOrder) this.#listEl.append(...ids.map((id) => this.#rows.get(id).li));
  }
}
