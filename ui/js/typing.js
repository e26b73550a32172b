// Typing indicators in both directions, per conversation.
//
// Sending: "typing" is re-sent every few seconds while keys keep coming and a
// "stopped" follows a pause, a send, or a switch of conversation.
// Receiving: an indicator hides by itself if no refresh arrives, because the
// "stopped" frame is lost whenever the typist's tab closes or drops offline.

const RESEND_MS = 3000;
const IDLE_MS = 4000;
const EXPIRE_MS = 6000; // must exceed RESEND_MS, or indicators would flicker

export class TypingNotifier {
  #send;
  #target = null; // what the page passed to typed(): where the typing happens
  #key = null;
  #lastSent = 0;
  #idleTimer = null;

  /** @param {(target: object, isTyping: boolean) => void} send */
  constructor(send) {
    this.#send = send;
  }

  /** Call on every edit of the message box. `key` tells conversations apart. */
  typed(key, target) {
    if (this.#key !== null && this.#key !== key) this.stop();
    const now = Date.now();
    if (this.#key === null || now - this.#lastSent >= RESEND_MS) {
      this.#send(target, true);
      this.#lastSent = now;
    }
    this.#key = key;
    this.#target = target;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.stop(), IDLE_MS);
  }

  stop() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    if (this.#key !== null) this.#send(this.#target, false);
    this.#key = null;
    this.#target = null;
    this.#lastSent = 0;
  }
}

export class TypingTracker {
  #expiry = new Map(); // conversation key -> Map(sender id -> timeout)
  #onChange;

  /** @param {(key: string) => void} onChange called whenever someone's state flips in a conversation */
  constructor(onChange) {
    this.#onChange = onChange;
  }

  update(key, senderId, isTyping) {
    if (!this.#expiry.has(key)) this.#expiry.set(key, new Map());
    const senders = this.#expiry.get(key);
    const wasTyping = senders.has(senderId);
    clearTimeout(senders.get(senderId));
    senders.delete(senderId);
    if (isTyping) {
      senders.set(senderId, setTimeout(() => this.update(key, senderId, false), EXPIRE_MS));
    }
    if (wasTyping !== isTyping) this.#onChange(key);
  }

  /** Someone stopped everywhere (went offline). */
  clearSender(senderId) {
    for (const [key, senders] of this.#expiry) if (senders.has(senderId)) this.update(key, senderId, false);
  }

  /** Who is typing in a conversation, in the order they started. */
  typists(key) {
    return [...(this.#expiry.get(key)?.keys() ?? [])];
  }
}
