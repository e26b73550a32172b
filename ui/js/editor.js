// Editing a message in place: its text swaps for a box holding the text as
// typed (not as drawn), Enter saves, Shift+Enter adds a line, Escape or
// Cancel ends it. One edit at a time. The message's text changes only when
// the server echoes the edit back, so what is shown is always what was
// stored. When the edit ends, focus goes back where it was when it began
// (the composer for ↑, the message for its menu), or else to the message.

import { el } from "./dom.js";

export class InlineEditor {
  #editing = null; // { view, form, returnTo }
  #send;
  #onError;

  /**
   * @param {(id: number, content: string) => boolean} send false if it could not be sent
   * @param {(text: string) => void} onError
   */
  constructor(send, onError) {
    this.#send = send;
    this.#onError = onError;
  }

  /** The id of the message being edited, or null. */
  get id() {
    return this.#editing?.view.msg.id ?? null;
  }

  /** Edit a text message's view (bubbles.js). */
  start(view) {
    this.cancel();
    if (!view.text) return;
    const before = document.activeElement;
    const returnTo = before && before !== document.body ? before : view.li;
    const input = el("textarea", { className: "edit-input", attrs: { rows: 2, "aria-label": "Edit message" } });
    input.value = view.msg.content ?? "";
    const form = el("form", { className: "edit-form", on: { submit: (e) => { e.preventDefault(); this.#save(); } } },
      input,
      el("div", { className: "edit-actions" },
        el("button", { text: "Cancel", attrs: { type: "button" }, on: { click: () => this.cancel(true) } }),
        el("button", { className: "primary", text: "Save", attrs: { type: "submit" } })));
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.cancel(true);
      } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    view.text.replaceWith(form);
    view.tools.hidden = true;
    this.#editing = { view, form, returnTo };
    view.li.scrollIntoView({ block: "nearest" });
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  /** End the edit without saving; `refocus` moves focus back (a user's Escape or Cancel). */
  cancel(refocus = false) {
    if (!this.#editing) return;
    const { view, form, returnTo } = this.#editing;
    this.#editing = null;
    if (view.text) form.replaceWith(view.text);
    else form.remove();
    view.tools.hidden = false;
    if (refocus) (returnTo.isConnected ? returnTo : view.li).focus();
  }

  #save() {
    const { view, form } = this.#editing;
    const content = form.querySelector("textarea").value.trim();
    if (!content) {
      this.#onError("A message cannot be empty.");
      return;
    }
    if (content !== view.msg.content && !this.#send(view.msg.id, content)) {
      this.#onError("Not connected. Your edit was not sent.");
      return;
    }
    this.cancel(true);
  }
}
