// The profile dialog: change one's picture (previewed before it is saved) or
// remove it, set the display name shown instead of one's username (which
// stays for logging in and @mentions), and edit "About". The server
// announces each change to everyone with a user_updated event, which is how
// other pages (and our other tabs) learn of it.

import { api, ApiError } from "./api.js";
import { byId, setAvatar, showMessage } from "./dom.js";
import { bindFilePicker, desktopErrorText, previewUrl, releasePreview } from "./desktop.js";

export class ProfileDialog {
  #me;
  #onChange;
  #dialog = byId("profile-dialog");
  #avatar = byId("profile-avatar");
  #changeButton = byId("profile-change");
  #removeButton = byId("profile-remove");
  #previewBox = byId("profile-preview-box");
  #preview = byId("profile-preview");
  #saveButton = byId("profile-save");
  #cancelButton = byId("profile-cancel");
  #nameForm = byId("display-name-form");
  #displayName = byId("display-name-input");
  #aboutForm = byId("about-form");
  #about = byId("about-input");
  #status = byId("profile-status");
  #error = byId("profile-error");
  #chosen = null; // { file, url } while a new picture is previewed
  #chooseSeq = 0; // bumps on every choice and discard, so a late preview of an older one is dropped

  /**
   * @param {object} me the caller's user object; updated in place
   * @param {(me) => void} onChange called after every successful change
   */
  constructor(me, onChange) {
    this.#me = me;
    this.#onChange = onChange;
    bindFilePicker(this.#changeButton, byId("profile-file"), { accept: "image/*" }, ([file]) => this.#choose(file),
      (text) => this.#report("", text));
    this.#saveButton.addEventListener("click", () => this.#upload());
    this.#cancelButton.addEventListener("click", () => {
      this.#discard();
      this.#changeButton.focus();
    });
    this.#removeButton.addEventListener("click", () => this.#remove());
    this.#nameForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#saveName();
    });
    this.#aboutForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#saveAbout();
    });
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
    this.#dialog.addEventListener("close", () => this.#discard());
  }

  open() {
    this.#discard();
    this.render();
    this.#displayName.value = this.#me.display_name ?? "";
    this.#displayName.removeAttribute("aria-invalid");
    this.#about.value = this.#me.about ?? "";
    this.#report("", "");
    this.#dialog.showModal();
  }

  /** Show the current picture (also after a user_updated from another tab). */
  render() {
    setAvatar(this.#avatar, this.#me.profile_pic);
    this.#removeButton.disabled = !this.#me.profile_pic;
  }

  /** @param {File|PickedFile} file */
  async #choose(file) {
    if (file.type && !file.type.startsWith("image/")) {
      this.#report("", "Please choose an image file.");
      return;
    }
    this.#discard();
    const seq = this.#chooseSeq;
    // Shown from the local file, not uploaded yet (desktop.js: a blob: URL,
    // or the app's data: URL for a file picked there).
    let url;
    try {
      url = await previewUrl(file);
    } catch (err) {
      if (seq === this.#chooseSeq) this.#report("", `Cannot show that picture: ${desktopErrorText(err)}`);
      return;
    }
    if (seq !== this.#chooseSeq || !this.#dialog.open) {
      releasePreview(url);
      return;
    }
    this.#chosen = { file, url };
    this.#preview.src = url;
    this.#previewBox.hidden = false;
    this.#report("", "");
    this.#saveButton.focus();
  }

  #discard() {
    this.#chooseSeq += 1;
    if (!this.#chosen) return;
    releasePreview(this.#chosen.url);
    this.#chosen = null;
    this.#preview.removeAttribute("src");
    this.#previewBox.hidden = true;
  }

  async #upload() {
    const file = this.#chosen?.file;
    if (!file) return;
    await this.#run("Uploading picture…", async () => {
      const { path } = await api.uploadProfile(file);
      this.#me.profile_pic = path ?? null;
      this.#discard();
      this.render();
      return "Picture updated.";
    });
  }

  async #remove() {
    await this.#run("Removing picture…", async () => {
      await api.removeProfile();
      this.#me.profile_pic = null;
      this.render();
      return "Picture removed.";
    });
  }

  async #saveName() {
    const name = this.#displayName.value.trim();
    this.#displayName.removeAttribute("aria-invalid");
    const saved = await this.#run("Saving…", async () => {
      await api.updateDisplayName(name);
      this.#me.display_name = name || null;
      this.#displayName.value = name;
      return name ? "Display name saved." : "Display name removed: your username shows.";
    });
    // The server's words (too long, control characters) are shown; the field is what they are about.
    if (!saved) {
      this.#displayName.setAttribute("aria-invalid", "true");
      this.#displayName.focus();
    }
  }

  async #saveAbout() {
    const about = this.#about.value.trim();
    await this.#run("Saving…", async () => {
      await api.updateAbout(about);
      this.#me.about = about;
      return "About saved.";
    });
  }

  /** Run one change with the dialog's controls disabled, then report; true if it was made. */
  async #run(busyText, change) {
    const controls = [this.#changeButton, this.#removeButton, this.#saveButton, this.#cancelButton,
      ...this.#nameForm.elements, ...this.#aboutForm.elements];
    for (const c of controls) c.disabled = true;
    this.#report(busyText, "");
    try {
      this.#report(await change(), "");
      this.#onChange(this.#me);
      return true;
    } catch (err) {
      const text = err instanceof ApiError && err.status === 415 ? "That file is not an image we can use." : err.message;
      this.#report("", text);
      return false;
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
