// Messages on their way out. Each send is tagged with a `client_id`; the
// server's echo of the stored message carries the same tag, and so does an
// error frame the send caused. Until one of those arrives the message is
// "pending"; it turns "failed" on an error, when the socket drops, or when
// no echo comes within ECHO_TIMEOUT_MS. A failed message stays on screen
// with a retry button: nothing the user wrote is silently lost.

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
  #items = new Set(); // live items: pending or failed
  #byTag = new Map(); // client_id of any attempt -> item

  /**
   * @param {(frame: object) => boolean} send false if the socket is not open
   * @param {(item) => void} onChange called when an item's state changes;
   *   item = { clientId, peerId, content, state: "pending"|"failed"|"sent"|"discarded", error, message }
   */
  constructor(send, onChange) {
    this.#send = send;
    this.#onChange = onChange;
  }

  /** Queue a text message and try to send it now.
   *  @param {number|null} afterId the newest message id shown when it was written */
  send(peerId, content, afterId) {
    const item = { clientId: null, peerId, content, state: "pending", error: null, message: null, afterId: afterId ?? 0 };
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
    if (item.state !== "failed") return;
    this.#settle(item, "discarded", null);
  }

  /** Pending and failed messages to one peer, oldest first. */
  forPeer(peerId) {
    return [...this.#items].filter((item) => item.peerId === peerId);
  }

  /** An echoed private_message; returns the item it settles, or null. */
  echoed(msg) {
    const item = msg.client_id ? this.#byTag.get(msg.client_id) : null;
    if (!item || item.state === "sent") return null;
    this.#settle(item, "sent", null, msg);
    return item;
  }

  /** An error frame; true if it was about one of our sends. */
  errored(frame) {
    const item = frame.client_id ? this.#byTag.get(frame.client_id) : null;
    if (!item || item.state !== "pending") return false;
    this.#settle(item, "failed", frame.detail || "The server refused this message.");
    return true;
  }

  /** The socket closed: no echo can come for what is in flight. */
  socketDown() {
    for (const item of this.#items) {
      if (item.state === "pending") this.#settle(item, "failed", "Connection lost before this was sent.");
    }
  }

  /**
   * After a history reload: an item whose echo was lost with the connection
   * may have been stored anyway. A message of ours with the same text and
   * a newer id than anything shown when it was written settles it, so a
   * retry does not send it twice. (Ids, not clocks: ids only grow.)
   */
  reconcile(peerId, history, meId) {
    const used = new Set();
    for (const item of this.forPeer(peerId)) {
      const match = history.find((m) => !used.has(m.id) && m.sender_id === meId && m.content === item.content
        && m.id > item.afterId);
      if (!match) continue;
      used.add(match.id);
      this.#settle(item, "sent", null, match);
    }
  }

  #attempt(item) {
    const tag = newClientId();
    item.clientId = tag;
    this.#byTag.set(tag, item);
    item.state = "pending";
    item.error = null;
    clearTimeout(item.timer);
    const sent = this.#send({ type: "private_message", receiver_id: item.peerId, content: item.content, client_id: tag });
    if (!sent) {
      this.#settle(item, "failed", "Not connected.");
      return;
    }
    this.#onChange(item);
    item.timer = setTimeout(() => {
      if (item.state === "pending" && item.clientId === tag) {
        this.#settle(item, "failed", "No answer from the server.");
      }
    }, ECHO_TIMEOUT_MS);
  }

  #settle(item, state, error, message = null) {
    clearTimeout(item.timer);
    item.state = state;
    item.error = error;
    item.message = message;
    // Older tags stay mapped while the item lives, so a late echo of an
    // attempt that timed out still settles it instead of showing twice.
    if (state === "sent" || state === "discarded") {
      this.#items.delete(item);
      for (const [tag, value] of this.#byTag) if (value === item) this.#byTag.delete(tag);
    }
    this.#onChange(item);
  }
}
