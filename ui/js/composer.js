// The message box: Enter sends, Shift+Enter adds a line, the box grows with
// its text, and the attach button opens a file picker.

const MAX_HEIGHT_PX = 180;

export class Composer {
  #form;
  #input;
  #attach;
  #fileInput;
  #send;

  /**
   * @param {object} o
   * @param {(text: string) => boolean} o.onSend true if sent; the box is cleared only then
   * @param {(file: File) => void} o.onFile
   * @param {() => void} o.onTyping
   */
  constructor({ form, input, attachButton, fileInput, onSend, onFile, onTyping }) {
    this.#form = form;
    this.#input = input;
    this.#attach = attachButton;
    this.#fileInput = fileInput;
    this.#send = onSend;

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    input.addEventListener("keydown", (event) => {
      // isComposing: Enter also confirms an IME candidate (Japanese, Chinese...).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.#submit();
      }
    });
    input.addEventListener("input", () => {
      this.#fit();
      if (input.value) onTyping();
    });
    attachButton.addEventListener("click", () => fileInput.click());
    fileInput.addEventListener("change", () => {
      for (const file of fileInput.files) onFile(file);
      fileInput.value = ""; // so picking the same file again still fires "change"
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

  clear() {
    this.#input.value = "";
    this.#fit();
  }

  #submit() {
    const text = this.#input.value.trim();
    if (!text) return;
    if (this.#send(text)) this.clear();
  }

  #fit() {
    this.#input.style.height = "auto";
    this.#input.style.height = `${Math.min(this.#input.scrollHeight, MAX_HEIGHT_PX)}px`;
  }
}
