// Everyone registered on the server (GET /users), kept current by
// `presence` and `user_updated` frames. No DOM: the sidebar, the headers,
// the pickers and notices ask this directory for names, pictures and
// presence. Listeners hear the id of each user that changed (null: many),
// and whether a name may have changed, so that what only shows names (a
// long message list) is not redrawn for every presence change.
//
// The name shown for a person is `nameOf(user)`: their display name, or
// their username where they set none. Their username stays what they log
// in with and are @mentioned by, and is shown beside the display name
// where one chooses a person (pickers, the list of names to mention).

/** The name to show for a user object: their display name, else their username. */
export function nameOf(user) {
  return user.display_name || user.username;
}

/** Whether a user's display name or username contains `text` (lower case, trimmed; "" matches all). */
export function nameMatches(user, text) {
  return !text || [user.display_name, user.username]
    .some((name) => typeof name === "string" && name.toLocaleLowerCase().includes(text));
}

/** "@alice", shown beside a display name; null for someone with none (their username shows already). */
export function handleOf(user) {
  return user.display_name ? `@${user.username}` : null;
}

export class People {
  #meId;
  #users = new Map(); // id -> user object, updated in place
  #listeners = [];

  constructor(meId) {
    this.#meId = meId;
  }

  /** @param {(userId: number|null, renamed: boolean) => void} listener */
  onChange(listener) {
    this.#listeners.push(listener);
  }

  get(id) {
    return this.#users.get(id) ?? null;
  }

  get me() {
    return this.#users.get(this.#meId) ?? null;
  }

  /** The name to show for someone, to label what they did; "Someone" for an id we do not know (yet). */
  displayName(id) {
    const user = this.#users.get(id);
    return user ? nameOf(user) : "Someone";
  }

  /** Someone's name inside a sentence: "you" for the caller, "someone" for an id we do not know. */
  name(id) {
    if (id === this.#meId) return "you";
    const user = this.#users.get(id);
    return user ? nameOf(user) : "someone";
  }

  /** Everyone but the caller, by the names shown. */
  others() {
    return [...this.#users.values()]
      .filter((u) => u.id !== this.#meId)
      .sort((a, b) => nameOf(a).localeCompare(nameOf(b), undefined, { sensitivity: "base" }));
  }

  /** Replace the directory with a fresh GET /users result. */
  set(list) {
    const fresh = new Map();
    let renamed = false; // someone new (shown as "someone" until now), or a display name changed
    for (const user of list) {
      // Keep the same object, so holders of it (an open user dialog) see changes.
      const known = this.#users.get(user.id);
      if (!known || (known.display_name ?? null) !== (user.display_name ?? null)) renamed = true;
      fresh.set(user.id, known ? Object.assign(known, user) : { ...user });
    }
    this.#users = fresh;
    this.#emit(null, renamed);
  }

  /** Apply a presence frame; false if the user is unknown (a new account). */
  setPresence(userId, isOnline, lastSeen) {
    const user = this.#users.get(userId);
    if (!user) return false;
    user.is_online = isOnline ? 1 : 0;
    if (lastSeen !== undefined && lastSeen !== null) user.last_seen = lastSeen;
    this.#emit(userId, false);
    return true;
  }

  /** Apply a user_updated frame; false if the user is unknown. */
  update(userId, fields) {
    const user = this.#users.get(userId);
    if (!user) return false;
    const before = user.display_name ?? null;
    Object.assign(user, fields);
    this.#emit(userId, (user.display_name ?? null) !== before);
    return true;
  }

  #emit(userId, renamed) {
    for (const listener of this.#listeners) listener(userId, renamed);
  }
}
