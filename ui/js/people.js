// Everyone registered on the server (GET /users), kept current by
// `presence` and `user_updated` frames. No DOM: the sidebar, the headers,
// the pickers and notices ask this directory for names, pictures and
// presence. Listeners hear the id of each user that changed (null: many).

export class People {
  #meId;
  #users = new Map(); // id -> user object, updated in place
  #listeners = [];

  constructor(meId) {
    this.#meId = meId;
  }

  /** @param {(userId: number|null) => void} listener */
  onChange(listener) {
    this.#listeners.push(listener);
  }

  get(id) {
    return this.#users.get(id) ?? null;
  }

  get me() {
    return this.#users.get(this.#meId) ?? null;
  }

  /** A display name; "someone" for an id we do not know (yet). */
  name(id) {
    if (id === this.#meId) return "you";
    return this.#users.get(id)?.username ?? "someone";
  }

  /** Everyone but the caller, by name. */
  others() {
    return [...this.#users.values()]
      .filter((u) => u.id !== this.#meId)
      .sort((a, b) => a.username.localeCompare(b.username, undefined, { sensitivity: "base" }));
  }

  /** Replace the directory with a fresh GET /users result. */
  set(list) {
    const fresh = new Map();
    for (const user of list) {
      // Keep the same object, so holders of it (an open user dialog) see changes.
      const known = this.#users.get(user.id);
      fresh.set(user.id, known ? Object.assign(known, user) : { ...user });
    }
    this.#users = fresh;
    this.#emit(null);
  }

  /** Apply a presence frame; false if the user is unknown (a new account). */
  setPresence(userId, isOnline, lastSeen) {
    const user = this.#users.get(userId);
    if (!user) return false;
    user.is_online = isOnline ? 1 : 0;
    if (lastSeen !== undefined && lastSeen !== null) user.last_seen = lastSeen;
    this.#emit(userId);
    return true;
  }

  /** Apply a user_updated frame; false if the user is unknown. */
  update(userId, fields) {
    const user = this.#users.get(userId);
    if (!user) return false;
    Object.assign(user, fields);
    this.#emit(userId);
    return true;
  }

  #emit(userId) {
    for (const listener of this.#listeners) listener(userId);
  }
}
