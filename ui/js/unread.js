// Unread counts. The server keeps no read state, so each browser remembers,
// per peer, the id of the newest message it has shown in an open, visible
// conversation. Messages from that peer with a larger id are unread. The
// record is per logged-in user (two accounts may share a browser). A
// browser seen for the first time starts with everything read (recount).

const TITLE = "ChatterBox";
const HISTORY_PAGE = 100; // enough to count; the badge shows "99+" past that

export class UnreadCounter {
  #key;
  #lastRead; // { [peerId]: messageId }
  #counts = new Map(); // peerId -> count
  #newest = new Map(); // peerId -> newest message id from them we know of
  #onChange;

  /** @param {(peerId: number, count: number) => void} onChange */
  constructor(meId, onChange) {
    this.#key = `chatterbox.read.${meId}`;
    this.#onChange = onChange;
    this.#lastRead = this.#load();
    // Another tab of ours read a conversation: drop the badge here too.
    window.addEventListener("storage", (e) => {
      if (e.key !== this.#key) return;
      this.#lastRead = this.#load();
      for (const [peerId, count] of this.#counts) {
        if (count && (this.#lastRead[peerId] ?? 0) >= (this.#newest.get(peerId) ?? Infinity)) this.#set(peerId, 0);
      }
    });
  }

  #load() {
    try {
      const value = JSON.parse(localStorage.getItem(this.#key) ?? "{}");
      return value && typeof value === "object" ? value : {};
    } catch {
      return {};
    }
  }

  #set(peerId, count) {
    if ((this.#counts.get(peerId) ?? 0) === count) return;
    this.#counts.set(peerId, count);
    this.#onChange(peerId, count);
    this.#renderTitle();
  }

  #renderTitle() {
    const total = this.total();
    document.title = total ? `(${total}) ${TITLE}` : TITLE;
  }

  total() {
    let sum = 0;
    for (const n of this.#counts.values()) sum += n;
    return sum;
  }

  /** Everything up to `messageId` with this peer has been seen. */
  markRead(peerId, messageId) {
    if (typeof messageId === "number" && messageId > (this.#lastRead[peerId] ?? 0)) {
      this.#lastRead = { ...this.#load(), [peerId]: messageId };
      localStorage.setItem(this.#key, JSON.stringify(this.#lastRead));
    }
    this.#set(peerId, 0);
  }

  /** A live message from `peerId` that the user has not seen. */
  arrived(peerId, messageId) {
    if (messageId <= (this.#lastRead[peerId] ?? 0)) return;
    this.#newest.set(peerId, Math.max(messageId, this.#newest.get(peerId) ?? 0));
    this.#set(peerId, (this.#counts.get(peerId) ?? 0) + 1);
  }

  /**
   * Recount from the server: GET /conversations says which conversations
   * end with an unread message from the peer; only those need their recent
   * history fetched to count.
   * @param {Array<{user_id, last_message}>} conversations
   * @param {(peerId: number, limit: number) => Promise<Array>} fetchHistory
   * @param {number|null} skipPeer the open, visible conversation (read by definition)
   */
  async recount(conversations, fetchHistory, skipPeer) {
    // First visit of this user in this browser: nothing is known to be read,
    // and counting a whole history as unread would only be noise, so what
    // exists now becomes the baseline and only newer messages count.
    if (localStorage.getItem(this.#key) === null) {
      for (const { user_id: peerId, last_message: last } of conversations) {
        if (last) this.#lastRead[peerId] = last.id;
      }
      localStorage.setItem(this.#key, JSON.stringify(this.#lastRead));
    }
    const jobs = conversations.map(async ({ user_id: peerId, last_message: last }) => {
      if (peerId === skipPeer) return;
      const lastRead = this.#lastRead[peerId] ?? 0;
      if (!last || last.sender_id !== peerId || last.id <= lastRead) {
        this.#set(peerId, 0);
        return;
      }
      this.#newest.set(peerId, last.id);
      try {
        const history = await fetchHistory(peerId, HISTORY_PAGE);
        this.#set(peerId, history.filter((m) => m.sender_id === peerId && m.id > lastRead).length);
      } catch {
        this.#set(peerId, Math.max(1, this.#counts.get(peerId) ?? 0));
      }
    });
    await Promise.all(jobs);
    this.#renderTitle();
  }
}
