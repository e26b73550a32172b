// Read receipts of the open conversation: where each other member has read
// (and, in a direct conversation, received) up to, from GET
// /conversations/{id} and then `read` / `delivered` frames. `of(msg)` says
// what to show under one of our messages:
//   direct: nothing while only stored, one tick once delivered to one of the
//           other person's devices, two once read;
//   rooms and groups: "Seen by N", with the names in the title and the
//           accessible text.
// Positions are null when either side has read receipts off (the server
// hides them), and then nothing is shown.

export class Receipts {
  #meId;
  #people;
  #kind = null;
  #members = new Map(); // user id -> { read, delivered, readAt, deliveredAt }
  #version = 0; // counts the moves made by frames

  constructor(meId, people) {
    this.#meId = meId;
    this.#people = people;
  }

  /** A mark to pass to `reset` for a snapshot fetched from now on. */
  get version() {
    return this.#version;
  }

  /**
   * Start over with `members` from GET /conversations/{id} (or none). A
   * snapshot fetched while frames kept coming may be older than them: moves
   * made by frames after `since` (a `version` taken before the fetch) stay.
   */
  reset(kind, members = [], since = Infinity) {
    const before = this.#members;
    this.#kind = kind;
    this.#members = new Map();
    for (const m of members) {
      this.#members.set(m.user_id, {
        read: m.last_read_message_id ?? null, delivered: m.delivered_message_id ?? null, readAt: 0, deliveredAt: 0,
      });
    }
    for (const [userId, old] of before) {
      for (const field of ["read", "delivered"]) {
        if (old[`${field}At`] > since && old[field] !== null) this.#move(userId, field, old[field]);
      }
    }
  }

  /** @returns {{after: number, upTo: number}|null} the ids whose receipt may have changed */
  read(userId, messageId) {
    return this.#move(userId, "read", messageId);
  }

  delivered(userId, messageId) {
    return this.#move(userId, "delivered", messageId);
  }

  #move(userId, field, messageId) {
    if (userId === this.#meId || !Number.isInteger(messageId)) return null;
    const m = this.#members.get(userId) ?? { read: null, delivered: null, readAt: 0, deliveredAt: 0 };
    this.#members.set(userId, m);
    if (m[field] !== null && m[field] >= messageId) return null;
    const after = m[field] ?? 0;
    m[field] = messageId;
    m[`${field}At`] = ++this.#version;
    return { after, upTo: messageId };
  }

  /**
   * What to show under one of our stored messages:
   * { state: "sent"|"delivered"|"read"|"seen", text, label, title }.
   */
  of(msg) {
    if (this.#kind === "direct") {
      const other = [...this.#members.entries()].find(([id]) => id !== this.#meId)?.[1];
      if (!other) return { state: "sent", text: "", label: "Sent", title: "Sent" };
      if (other.read !== null && other.read >= msg.id) {
        return { state: "read", text: "✓✓", label: "Read", title: "Read" };
      }
      if ((other.delivered !== null && other.delivered >= msg.id)) {
        return { state: "delivered", text: "✓", label: "Delivered", title: "Delivered" };
      }
      return { state: "sent", text: "", label: "Sent", title: "Sent" };
    }
    const names = [];
    for (const [id, m] of this.#members) {
      if (id === this.#meId || id === msg.sender_id) continue;
      if (m.read !== null && m.read >= msg.id) names.push(this.#people.name(id));
    }
    names.sort((a, b) => a.localeCompare(b));
    if (!names.length) return { state: "sent", text: "", label: "Sent", title: "Sent" };
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
    return { state: "seen", text: `Seen by ${names.length}`, label: `Seen by ${list}`, title: `Seen by ${names.join(", ")}` };
  }
}
