// The profile dialog: change or remove one's picture, edit "About".
// Other users see the change the next time their page loads the user list.

import { api, ApiError } from "./api.js";
import { byId, setAvatar, showMessage } from "./dom.js";

export class ProfileDialog {
  #me;
  #onChange;
  #dialog = byId("profile-dialog");
  #avatar = byId("profile-avatar");
  #fileInput = byId("profile-file");
  #changeButton = byId("profile-change");
  #removeButton = byId("profile-remove");
  #aboutForm = byId("about-form");
  #about = byId("about-input");
  #status = byId("profile-status");
  #error = byId("profile-error");

  /**
   * @param {object} me the caller's user object; updated in place
   * @param {(me) => void} onChange called after every successful change
   */
  constructor(me, onChange) {
    this.#me = me;
    this.#onChange = onChange;
    this.#changeButton.addEventListener("click", () => this.#fileInput.click());
    this.#fileInput.addEventListener("change", () => {
      const file = this.#fileInput.files[0];
      this.#fileInput.value = "";
      if (file) this.#upload(file);
    });
    this.#removeButton.addEventListener("click", () => this.#remove());
    this.#aboutForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#saveAbout();
    });
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
  }

  open() {
    setAvatar(this.#avatar, this.#me.profile_pic);
    this.#about.value = this.#me.about ?? "";
    this.#removeButton.disabled = !this.#me.profile_pic;
    this.#report("", "");
    this.#dialog.showModal();
  }

  async #upload(file) {
    if (file.type && !file.type.startsWith("image/")) {
      this.#report("", "Please choose an image file.");
      return;
    }
    await this.#run("Uploading picture…", async () => {
      const { path } = await api.uploadProfile(file);
      this.#me.profile_pic = path ?? null;
      setAvatar(this.#avatar, this.#me.profile_pic);
      return "Picture updated.";
    });
  }

  async #remove() {
    await this.#run("Removing picture…", async () => {
      await api.removeProfile();
      this.#me.profile_pic = null;
      setAvatar(this.#avatar, null);
      return "Picture removed.";
    });
  }

  async #saveAbout() {
    const about = this.#about.value.trim();
    await this.#run("Saving…", async () => {
      await api.updateAbout(about);
      this.#me.about = about;
      return "About saved.";
    });
  }

  /** Run one change with the dialog's controls disabled, then report. */
  async #run(busyText, change) {
    const controls = [this.#changeButton, this.#removeButton, ...this.#aboutForm.elements];
    for (const c of controls) c.disabled = true;
    this.#report(busyText, "");
    try {
      this.#report(await change(), "");
      this.#onChange(this.#me);
    } catch (err) {
      const text = err instanceof ApiError && err.status === 415 ? "That file is not an image we can use." : err.message;
      this.#report("", text);
    } finally {
      for (const c of controls) c.disabled = false;
      this.#removeButton.disabled = !this.#me.profile_pic;
    }
  }

  #report(status, error) {
    showMessage(this.#status, status);
    showMessage(this.#error, error);
  }
}
