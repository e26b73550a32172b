// The message box: Enter sends, Shift+Enter adds a line, ↑ in the empty box
// edits one's last message, the box grows with its text (keys go first to
// `interceptKey`: the list of names "@" opens, mentions.js); the attach button
// opens a file picker (through desktop.js: the OS dialog in the app), and it
// and files pasted into the box hand files to the page (the tray above the
// box, uploads.js), whose caption the text then is.

import { bindFilePicker } from "./desktop.js";

const MAX_HEIGHT_PX = 180;

export class Composer {
  #form;
  #input;
  #attach;
  #send;
  #placeholder;

  /**
   * @param {object} o
   * @param {(text: string) => boolean} o.onSend true if sent; the box is cleared only then. The
   *   text may be empty: files waiting in the tray go without a caption.
   * @param {(files: Array<File|PickedFile>) => void} o.onFiles
   * @param {(text: string) => void} o.onError the file picker failed
   * @param {() => void} o.onTyping
   * @param {() => boolean} o.onEditLast ↑ in the empty box; true if an edit started
   * @param {(event: KeyboardEvent) => boolean} o.interceptKey sees each key first (an open
   *   list of names takes Enter); true if it used it
   */
  constructor({ form, input, attachButton, fileInput, onSend, onFiles, onError, onTyping, onEditLast, interceptKey }) {
    this.#form = form;
    this.#input = input;
    this.#attach = attachButton;
    this.#send = onSend;
    this.#placeholder = input.placeholder;

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    input.addEventListener("keydown", (event) => {
      if (interceptKey(event)) {
        event.preventDefault();
        return;
      }
      // isComposing: Enter also confirms an IME candidate (Japanese, Chinese...).
      const plain = !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing;
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#submit();
      } else if (event.key === "ArrowUp" && plain && !input.value && onEditLast()) {
        event.preventDefault();
      }
    });
    input.addEventListener("input", () => {
      this.#fit();
      if (input.value) onTyping();
    });
    bindFilePicker(attachButton, fileInput, { multiple: true }, onFiles, onError);
    // A pasted screenshot or copied file arrives as clipboard files; plain
    // text pastes are left to the browser.
    input.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (!files.length) return;
      event.preventDefault();
      onFiles(files);
    });
  }

  setEnabled(enabled) {
    for (const control of this.#form.elements) control.disabled = !enabled;
    this.#attach.disabled = !enabled;
  }

  /** The unsent text, kept per conversation by the page. */
  get value() {
    return this.#input.value;
  }

  set value(text) {
    this.#input.value = text;
    this.#fit();
  }

  focus() {
    this.#input.focus();
  }

  /** Files wait to be sent: the box asks for their caption. */
  captioning(on) {
    this.#input.placeholder = on ? "Add a caption, or just send…" : this.#placeholder;
  }

  clear() {
    this.#input.value = "";
    this.#fit();
  }

  #submit() {
    if (this.#send(this.#input.value.trim())) this.clear();
  }

  #fit() {
    // A hidden box measures 0 high; let CSS size it until it is shown.
    if (!this.#input.offsetParent) {
      this.#input.style.height = "";
      return;
    }
    this.#input.style.height = "auto";
    this.#input.style.height = `${Math.min(this.#input.scrollHeight, MAX_HEIGHT_PX)}px`;
  }
}
