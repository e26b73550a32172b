// Replies: the quote a reply carries (docs/protocol.md, Replies), drawn in
// the reply's bubble as a button that jumps to the original, and the
// preview above the composer while a reply is being written.
//
// The server computes a stored reply's quote as the original is now; the
// page makes one from a message it shows only for what is not stored yet
// (the preview, a reply waiting in the outbox) and to follow a live edit of
// the original. Its excerpt is the first line that is not blank; CSS cuts
// it to the width it has.

import { el } from "./dom.js";

/** A quote of a message shown on the page, in the server's shape. */
export function quoteOf(msg) {
  const isFile = Boolean(msg.file_path || msg.file_name);
  return {
    message_id: msg.id,
    sender_id: msg.sender_id,
    kind: isFile ? "file" : "text",
    excerpt: isFile ? null : firstLine(msg.content),
    file_name: isFile ? msg.file_name ?? "file" : null,
  };
}

function firstLine(text) {
  return String(text ?? "").split(/\r\n|\r|\n/).map((line) => line.trim()).find(Boolean) ?? "";
}

/** The same quote once its original's text is edited. */
export function editedQuote(quote, content) {
  return quote.kind === "text" ? { ...quote, excerpt: firstLine(content) } : quote;
}

/** The same quote once its original is deleted. */
export function deletedQuote(quote) {
  return { ...quote, kind: "deleted", excerpt: null, file_name: null };
}

/** What a quote says of the original: its excerpt (as plain text), "file: name" or "deleted message". */
export function quotedText(quote) {
  if (quote.kind === "file") return `file: ${quote.file_name ?? "file"}`;
  if (quote.kind === "deleted") return "deleted message";
  return quote.excerpt ?? "";
}

/**
 * A reply's quote in its bubble: the original's sender and what it said.
 * @param {object} quote the message's `reply_to`
 * @param {string} sender the original sender's name ("You" for the reader)
 * @param {((messageId: number) => void)|null} onJump null: drawn, not a button (a reply not stored yet)
 */
export function quoteElement(quote, sender, onJump) {
  // Named by its content, "Reply to bob: text": the sender shown on a line
  // of its own is a block, which would make that "bob : text" if read.
  const parts = [
    el("span", { className: "visually-hidden", text: `Reply to ${sender}: ` }),
    el("span", { className: "quote-sender", text: sender, attrs: { "aria-hidden": "true" } }),
    el("span", { className: "quote-text", text: quotedText(quote) }),
  ];
  const className = `msg-quote${quote.kind === "deleted" ? " deleted" : ""}`;
  if (!onJump) return el("div", { className }, parts);
  return el("button", {
    className,
    dataset: { messageId: quote.message_id },
    attrs: { type: "button", title: "Show the original message" },
    on: { click: () => onJump(quote.message_id) },
  }, parts);
}

/**
 * The preview above the composer of the message being replied to, with a
 * button to cancel; one reply per conversation (kept like drafts, by the
 * page's conversation key).
 */
export class ReplyPreview {
  #root;
  #sender;
  #text;
  #quotes = new Map(); // conversation key -> quote
  #key = null;
  #senderName;
  #input;
  #hint;

  /**
   * @param {HTMLElement} root the preview's container (hidden while no reply is written)
   * @param {HTMLElement} input the message box: while a reply is written, its description starts with it
   * @param {(userId: number) => string} senderName
   * @param {() => void} onCancel after the close button cancelled it
   */
  constructor(root, input, senderName, onCancel) {
    this.#root = root;
    this.#input = input;
    this.#hint = input.getAttribute("aria-describedby");
    this.#senderName = senderName;
    this.#sender = el("span", { className: "reply-sender" });
    this.#text = el("span", { className: "reply-text" });
    root.replaceChildren(
      el("div", { className: "reply-quote", attrs: { id: "reply-quote" } },
        el("span", { className: "reply-label" }, "Replying to ", this.#sender),
        this.#text),
      el("button", {
        className: "reply-cancel icon-button",
        text: "×",
        attrs: { type: "button", "aria-label": "Cancel reply", title: "Cancel reply (Esc)" },
        on: {
          click: () => {
            this.cancel();
            onCancel();
          },
        },
      }),
    );
    this.#render();
  }

  /** The quote of the reply being written in the open conversation, or null. */
  get quote() {
    return this.#key === null ? null : this.#quotes.get(this.#key) ?? null;
  }

  /** The conversation on screen changed (null: none). */
  show(key) {
    this.#key = key;
    this.#render();
  }

  /** The open conversation's key changed (a direct conversation got its id). */
  rekey(from, to) {
    if (this.#quotes.has(from)) this.#quotes.set(to, this.#quotes.get(from));
    this.#quotes.delete(from);
    if (this.#key === from) this.#key = to;
  }

  start(quote) {
    if (this.#key === null) return;
    this.#quotes.set(this.#key, quote);
    this.#render();
  }

  /** Cancel the reply in the open conversation; false if there was none. */
  cancel() {
    if (!this.quote) return false;
    this.#quotes.delete(this.#key);
    this.#render();
    return true;
  }

  /**
   * A message was deleted: replies to it cannot be sent, so they are
   * dropped. True if the open conversation's reply was one of them.
   */
  dropTarget(messageId) {
    const open = this.quote?.message_id === messageId;
    for (const [key, quote] of this.#quotes) if (quote.message_id === messageId) this.#quotes.delete(key);
    this.#render();
    return open;
  }

  #render() {
    const quote = this.quote;
    this.#root.hidden = !quote;
    // Focus is in the message box when a reply starts: a screen reader says what it answers.
    this.#input.setAttribute("aria-describedby", quote ? `reply-quote ${this.#hint}` : this.#hint);
    if (!quote) return;
    this.#sender.textContent = this.#senderName(quote.sender_id);
    this.#text.textContent = quotedText(quote);
  }
}
