// The full-size image viewer: a modal <dialog> with the picture, a download
// link and a close button. Escape and a click on the backdrop close it
// (the dialog element handles Escape and focus return by itself). Given an
// `onSave` (the desktop app), the download link saves through it instead.

import { byId } from "./dom.js";

export class ImageViewer {
  #dialog = byId("image-viewer");
  #img = byId("image-viewer-img");
  #caption = byId("image-viewer-name");
  #download = byId("image-viewer-download");
  #name = "";

  /** @param {((url: string, name: string) => void) | null} onSave */
  constructor(onSave = null) {
    if (onSave) {
      this.#download.addEventListener("click", (e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        onSave(this.#download.getAttribute("href"), this.#name);
      });
    }
    byId("image-viewer-close").addEventListener("click", () => this.#dialog.close());
    this.#dialog.addEventListener("click", (e) => {
      if (e.target === this.#dialog) this.#dialog.close(); // the backdrop
    });
    this.#dialog.addEventListener("close", () => this.#img.removeAttribute("src"));
  }

  open(url, name) {
    this.#img.src = url;
    this.#img.alt = name;
    this.#caption.textContent = name;
    this.#name = name;
    this.#download.href = url;
    this.#download.setAttribute("download", name);
    this.#dialog.showModal();
  }
}
