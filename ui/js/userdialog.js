// Another user's card: picture, display name and username, status and
// About, opened from the conversation header. It stays current while open, because a
// user_updated or presence event re-renders it through `refresh`.

import { byId, setAvatar } from "./dom.js";
import { formatPresence } from "./format.js";
import { nameOf } from "./people.js";

export class UserDialog {
  #dialog = byId("user-dialog");
  #avatar = byId("user-dialog-avatar");
  #name = byId("user-dialog-name");
  #username = byId("user-dialog-username");
  #status = byId("user-dialog-status");
  #about = byId("user-dialog-about");
  #user = null;

  constructor() {
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
    this.#dialog.addEventListener("close", () => {
      this.#user = null;
    });
  }

  open(user) {
    this.#user = user;
    this.#render();
    this.#dialog.showModal();
  }

  /** Re-render if the dialog shows this user (the object is updated in place). */
  refresh(user) {
    if (this.#user && user && this.#user.id === user.id) {
      this.#user = user;
      this.#render();
    }
  }

  #render() {
    const user = this.#user;
    setAvatar(this.#avatar, user.profile_pic);
    this.#avatar.alt = `${nameOf(user)}'s picture`;
    this.#name.textContent = nameOf(user);
    // Always shown: the name to @mention them by.
    this.#username.textContent = `@${user.username}`;
    this.#status.textContent = formatPresence(user.is_online, user.last_seen);
    this.#about.textContent = user.about ?? ""; // when empty, CSS shows a placeholder
    this.#about.classList.toggle("empty", !user.about);
  }
}
