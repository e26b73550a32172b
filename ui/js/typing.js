// Typing indicators in both directions.
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
  #peerId = null;
  #lastSent = 0;
  #idleTimer = null;

  /** @param {(peerId: number, isTyping: boolean) => void} send */
  constructor(send) {
    this.#send = send;
  }

  /** Call on every edit of the message box. */
  typed(peerId) {
    if (this.#peerId !== null && this.#peerId !== peerId) this.stop();
    const now = Date.now();
    if (this.#peerId === null || now - this.#lastSent >= RESEND_MS) {
      this.#send(peerId, true);
      this.#lastSent = now;
    }
    this.#peerId = peerId;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.stop(), IDLE_MS);
  }

  stop() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    if (this.#peerId !== null) this.#send(this.#peerId, false);
    this.#peerId = null;
    this.#lastSent = 0;
  }
}

export class TypingTracker {
  #expiry = new Map(); // sender id -> timeout
  #onChange;

  /** @param {(senderId: number) => void} onChange called whenever a sender's state flips */
  constructor(onChange) {
    this.#onChange = onChange;
  }

  update(senderId, isTyping) {
    const wasTyping = this.#expiry.has(senderId);
    clearTimeout(this.#expiry.get(senderId));
    this.#expiry.delete(senderId);
    if (isTyping) {
      this.#expiry.set(senderId, setTimeout(() => this.update(senderId, false), EXPIRE_MS));
    }
    if (wasTyping !== isTyping) this.#onChange(senderId);
  }

  isTyping(senderId) {
    return this.#expiry.has(senderId);
  }
}
