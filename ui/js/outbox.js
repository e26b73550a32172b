// Messages on their way out. Each message gets one `client_id` for its whole
// life; the server stores a message once per sender and client_id
// (docs/protocol.md, "Safe resend"), so sending it again after a lost
// acknowledgement can never make a duplicate. The echo of the stored
// message carries the same tag, and so does an error frame it caused.
//
// States: "pending" (sent, no echo yet), "queued" (no connection: it goes
// by itself when the socket is back), "failed" (the server refused it, or
// no echo came in time; a Retry sends it again with the same tag), and the
// final "sent" and "discarded". Nothing the user wrote is silently lost.
//
// A message is addressed to a conversation id, or, for a direct
// conversation whose first message this is, to the other person
// (`receiverId`) until the echo names the conversation. A reply keeps the
// quote of what it answers (`replyTo`, replies.js) through every attempt,
// so it goes as a reply however late it goes.
//
// Unsettled messages are kept in the tab's sessionStorage, so a reload (or
// a browser that restores the tab) still sends them, with the same tags.
// Per tab, not per browser: two tabs never both own one message.

const ECHO_TIMEOUT_MS = 10_000;

let counter = 0;

/** A tag unique to this page. crypto.randomUUID needs a secure context,
 *  which a LAN server on plain http:// is not; getRandomValues does not. */
function newClientId() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  counter += 1;
  return `c${Date.now().toString(36)}-${counter}-${random[0].toString(36)}${random[1].toString(36)}`;
}

export class Outbox {
  #send;
  #onChange;
  #items = new Set(); // live items: pending, queued or failed, oldest first
  #byTag = new Map(); // client_id -> item
  #storageKey;

  /**
   * @param {(frame: object) => boolean} send false if the socket is not open
   * @param {(item) => void} onChange called when an item's state changes; item =
   *   { clientId, conversationId, receiverId, kind, content, replyTo, state, error, message }
   * @param {string} storageKey where this tab keeps unsettled messages (per user)
   */
  constructor(send, onChange, storageKey) {
    this.#send = send;
    this.#onChange = onChange;
    this.#storageKey = storageKey;
    this.#restore();
  }

  /**
   * Queue a text message and try to send it now.
   * @param {{conversationId: number|null, receiverId: number|null, kind: string}} to
   * @param {object|null} replyTo the quote of the message it replies to
   */
  send(to, content, replyTo = null) {
    const item = {
      clientId: newClientId(),
      conversationId: to.conversationId,
      receiverId: to.receiverId,
      kind: to.kind,
      content,
      replyTo,
      state: "queued",
      error: null,
      message: null,
    };
    this.#byTag.set(item.clientId, item);
    this.#items.add(item);
    this.#attempt(item);
    return item;
  }

  retry(item) {
    if (item.state !== "failed") return;
    this.#attempt(item);
  }

  /** Give up on a failed message: it disappears from the conversation. */
  discard(item) {
    if (item.state !== "failed" && item.state !== "queued") return;
    this.#settle(item, "discarded", null);
  }

  /** Unsettled messages of a conversation (summary with conversation_id/kind/user_id), oldest first. */
  forConversation(c) {
    return [...this.#items].filter((item) => belongs(item, c));
  }

  /** A message frame; settles the item it echoes, if any, and returns it. */
  echoed(msg) {
    const item = msg.client_id ? this.#byTag.get(msg.client_id) : null;
    if (!item || item.state === "sent" || item.state === "discarded") return null;
    // The first message of a direct conversation names it; later ones to
    // the same person go there too.
    if (item.conversationId === null && msg.conversation_id) {
      for (const other of this.#items) {
        if (other.conversationId === null && other.receiverId === item.receiverId) {
          other.conversationId = msg.conversation_id;
        }
      }
    }
    this.#settle(item, "sent", null, msg);
    return item;
  }

  /** An error frame; true if it was about one of our sends. */
  errored(frame) {
    const item = frame.client_id ? this.#byTag.get(frame.client_id) : null;
    if (!item || (item.state !== "pending" && item.state !== "queued")) return false;
    this.#settle(item, "failed", frame.detail || "The server refused this message.");
    return true;
  }

  /** The socket closed: what is in flight waits for the next connection. */
  socketDown() {
    for (const item of this.#items) {
      if (item.state === "pending") this.#setState(item, "queued", null);
    }
  }

  /** The socket is back: send what waited, with the tags it already had. */
  socketUp() {
    for (const item of this.#items) {
      if (item.state === "queued" || item.state === "pending") this.#attempt(item);
    }
  }

  #attempt(item) {
    clearTimeout(item.timer);
    const frame = item.kind !== "direct" && item.conversationId !== null
      ? { type: "send_message", conversation_id: item.conversationId, content: item.content, client_id: item.clientId }
      : { type: "private_message", receiver_id: item.receiverId, content: item.content, client_id: item.clientId };
    if (item.replyTo) frame.reply_to = item.replyTo.message_id;
    if (!this.#send(frame)) {
      this.#setState(item, "queued", null);
      return;
    }
    this.#setState(item, "pending", null);
    item.timer = setTimeout(() => {
      if (item.state === "pending") this.#settle(item, "failed", "No answer from the server.");
    }, ECHO_TIMEOUT_MS);
  }

  #setState(item, state, error) {
    item.state = state;
    item.error = error;
    this.#save();
    this.#onChange(item);
  }

  #save() {
    const kept = [...this.#items].map(({ clientId, conversationId, receiverId, kind, content, replyTo }) =>
      ({ clientId, conversationId, receiverId, kind, content, replyTo }));
    try {
      if (kept.length) sessionStorage.setItem(this.#storageKey, JSON.stringify(kept));
      else sessionStorage.removeItem(this.#storageKey);
    } catch {
      // Storage full or refused: the messages still go while the page lives.
    }
  }

  /** Messages a previous load of this tab left unsent: queued, to go once connected. */
  #restore() {
    let saved;
    try {
      saved = JSON.parse(sessionStorage.getItem(this.#storageKey) ?? "[]");
    } catch {
      saved = [];
    }
    for (const s of Array.isArray(saved) ? saved : []) {
      if (typeof s?.clientId !== "string" || typeof s.content !== "string") continue;
      const item = {
        clientId: s.clientId,
        conversationId: Number.isInteger(s.conversationId) ? s.conversationId : null,
        receiverId: Number.isInteger(s.receiverId) ? s.receiverId : null,
        kind: typeof s.kind === "string" ? s.kind : "direct",
        content: s.content,
        replyTo: Number.isInteger(s.replyTo?.message_id) ? s.replyTo : null,
        state: "queued",
        error: null,
        message: null,
      };
      this.#items.add(item);
      this.#byTag.set(item.clientId, item);
    }
  }

  #settle(item, state, error, message = null) {
    clearTimeout(item.timer);
    item.message = message;
    // The tag stays mapped while the item lives (a failed one can still be
    // retried, and a late echo still settles it instead of showing twice).
    if (state === "sent" || state === "discarded") {
      this.#items.delete(item);
      this.#byTag.delete(item.clientId);
    }
    this.#setState(item, state, error);
  }
}

/** Whether an outbox item belongs to a conversation summary. */
export function belongs(item, c) {
  if (!c) return false;
  if (item.conversationId !== null && c.conversation_id !== null && c.conversation_id !== undefined) {
    return item.conversationId === c.conversation_id;
  }
  return c.kind === "direct" && item.receiverId === c.user_id;
}
