// Marking read. What the reader has on screen in the open conversation is
// reported here (messages.js `onSeen`); the read position goes to the
// server as one `mark_read` per scroll (over HTTP if the socket is down),
// which moves it for every device of the caller. The badge drops at once;
// when the position lands mid-conversation only the server can count what
// is still unread, so the counts are fetched again, once things settle.

import { api } from "./api.js";

const MARK_DELAY_MS = 150; // gathers a scroll's worth of "seen" into one mark_read
const RECOUNT_DELAY_MS = 400;

export class ReadMarks {
  #store;
  #send;
  #marks = new Map(); // conversation id -> { id, timer }: a mark on its way
  #recountTimer = null;

  /**
   * @param {object} store Conversations
   * @param {(frame: object) => boolean} send the socket's send; false if not open
   */
  constructor(store, send) {
    this.#store = store;
    this.#send = send;
  }

  /** Everything up to `messageId` in this conversation is on screen. */
  seen(conversationId, messageId) {
    const known = this.#store.get(conversationId);
    const pending = this.#marks.get(conversationId);
    if (messageId <= (known?.last_read_message_id ?? 0) || messageId <= (pending?.id ?? 0)) return;
    clearTimeout(pending?.timer);
    const mark = { id: messageId, timer: null };
    mark.timer = setTimeout(() => {
      this.#marks.delete(conversationId);
      this.moved(conversationId, messageId);
      const frame = { type: "mark_read", conversation_id: conversationId, message_id: messageId };
      if (!this.#send(frame)) api.markRead(conversationId, messageId).catch(() => {});
    }, MARK_DELAY_MS);
    this.#marks.set(conversationId, mark);
  }

  /** The caller's position moved (here, or a `read` frame from any of their devices). */
  moved(conversationId, messageId) {
    if (this.#store.readUpTo(conversationId, messageId)) this.#recount();
  }

  #recount() {
    clearTimeout(this.#recountTimer);
    this.#recountTimer = setTimeout(() => {
      api.conversations().then((list) => this.#store.set(list)).catch(() => {});
    }, RECOUNT_DELAY_MS);
  }
}
