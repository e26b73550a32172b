// The settings dialog: read receipts on or off (GET/PUT /settings). The
// switch saves as soon as it is flipped; the page is told so it can redraw
// receipts, which the server now shows or hides.

import { api } from "./api.js";
import { byId, showMessage } from "./dom.js";

export class SettingsDialog {
  #dialog = byId("settings-dialog");
  #receipts = byId("read-receipts");
  #status = byId("settings-status");
  #error = byId("settings-error");
  #onChange;

  /** @param {(settings: object) => void} onChange after a change is saved */
  constructor(onChange) {
    this.#onChange = onChange;
    byId("settings-form").addEventListener("submit", (e) => e.preventDefault());
    this.#receipts.addEventListener("change", () => this.#save());
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
  }

  async open() {
    showMessage(this.#status, "");
    showMessage(this.#error, "");
    this.#receipts.disabled = true;
    this.#dialog.showModal();
    try {
      const settings = await api.settings();
      this.#receipts.checked = settings?.read_receipts !== false;
      this.#receipts.disabled = false;
    } catch (err) {
      showMessage(this.#error, `Could not load your settings: ${err.message}`);
    }
  }

  async #save() {
    const wanted = this.#receipts.checked;
    this.#receipts.disabled = true;
    showMessage(this.#error, "");
    try {
      const saved = await api.saveSettings({ read_receipts: wanted });
      this.#receipts.checked = saved?.read_receipts ?? wanted;
      showMessage(this.#status, wanted ? "Read receipts are on." : "Read receipts are off.");
      this.#onChange({ read_receipts: this.#receipts.checked });
    } catch (err) {
      this.#receipts.checked = !wanted;
      showMessage(this.#error, `Could not save: ${err.message}`);
    } finally {
      this.#receipts.disabled = false;
    }
  }
}
