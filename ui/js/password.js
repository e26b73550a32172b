// The change-password dialog. The server keeps this session and revokes the
// user's other ones, so nothing else on the page has to change.

import { api, ApiError } from "./api.js";
import { byId, showMessage } from "./dom.js";

export class PasswordDialog {
  #dialog = byId("password-dialog");
  #form = byId("password-form");
  #old = byId("old-password");
  #new = byId("new-password");
  #repeat = byId("repeat-password");
  #error = byId("password-error");
  #onDone;

  /** @param {(text: string) => void} onDone told when the password has changed */
  constructor(onDone) {
    this.#onDone = onDone;
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
    // Passwords must not linger in a closed dialog.
    this.#dialog.addEventListener("close", () => this.#form.reset());
  }

  open() {
    this.#fail("");
    this.#dialog.showModal();
    this.#old.focus();
  }

  #fail(text, field = null) {
    for (const input of [this.#old, this.#new, this.#repeat]) input.removeAttribute("aria-invalid");
    showMessage(this.#error, text);
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  }

  async #submit() {
    const oldPassword = this.#old.value;
    const newPassword = this.#new.value;
    const length = [...newPassword].length;
    if (!oldPassword) return this.#fail("Enter your current password.", this.#old);
    if (length < 8 || length > 128) return this.#fail("New passwords are 8–128 characters.", this.#new);
    if (newPassword !== this.#repeat.value) return this.#fail("The new passwords do not match.", this.#repeat);
    if (newPassword === oldPassword) return this.#fail("The new password is the same as the old one.", this.#new);

    this.#fail("");
    const controls = [...this.#form.elements];
    for (const c of controls) c.disabled = true;
    let failure = null;
    try {
      await api.changePassword(oldPassword, newPassword);
    } catch (err) {
      failure = err;
    }
    // Re-enable first: a disabled field cannot take the focus #fail gives it.
    for (const c of controls) c.disabled = false;
    if (!failure) {
      this.#dialog.close();
      this.#onDone("Password changed.");
      return;
    }
    const wrongOld = failure instanceof ApiError && /old password/i.test(failure.detail);
    this.#fail(failure.message, wrongOld ? this.#old : null);
  }
}
