// Sending files: from the attach button, a drop onto the conversation, or
// a paste. Files go one at a time (a LAN link is shared; parallel uploads
// only make each slower) with a progress bar for the current one. The
// server answers with the stored message, which is shown at once; its
// WebSocket push of the same message is then ignored by id. A file is a
// browser File (dropped, pasted, or picked in a browser) or a handle picked
// in the desktop app; api.js sends each its own way, so this file does not
// care which.

import { api } from "./api.js";
import { byId } from "./dom.js";

export class Uploader {
  #queue = [];
  #busy = false;
  #progress = byId("upload-progress");
  #label = byId("upload-status");
  #box = byId("upload");
  #cancel = byId("upload-cancel");
  #current = null;
  #onSent;
  #onError;

  /**
   * @param {(msg: object) => void} onSent the stored message
   * @param {(text: string) => void} onError
   */
  constructor(onSent, onError) {
    this.#onSent = onSent;
    this.#onError = onError;
    this.#cancel.addEventListener("click", () => {
      // The app's cancel is a command that can fail; the browser's cannot.
      Promise.resolve(this.#current?.abort()).catch((err) => this.#onError(`Could not cancel: ${err.message}`));
    });
  }

  /** Queue files (File or PickedFile) for one conversation:
   *  { conversationId } or, for a direct one not started yet, { receiverId }. */
  add(target, files) {
    for (const file of files) this.#queue.push({ target, file });
    this.#next();
  }

  async #next() {
    if (this.#busy) return;
    const job = this.#queue.shift();
    if (!job) {
      this.#box.hidden = true;
      return;
    }
    this.#busy = true;
    const { target, file } = job;
    this.#show(file, 0);
    const upload = api.uploadFile(target, file, (fraction) => this.#show(file, fraction));
    this.#current = upload;
    try {
      const msg = await upload.promise;
      if (msg && msg.id !== undefined) this.#onSent(msg);
    } catch (err) {
      // The server's detail says why (e.g. "File too large (at most 25 MiB)").
      this.#onError(`Could not send ${file.name}: ${err.detail ?? err.message}`);
    } finally {
      this.#current = null;
      this.#busy = false;
      this.#next();
    }
  }

  #show(file, fraction) {
    this.#box.hidden = false;
    this.#progress.value = Math.round(fraction * 100);
    const more = this.#queue.length ? ` (${this.#queue.length} more queued)` : "";
    this.#label.textContent = `Uploading ${file.name}… ${Math.round(fraction * 100)}%${more}`;
  }
}

/**
 * Make `zone` accept dropped files. `accepts()` says whether a drop makes
 * sense now (a conversation is open). The highlight uses a counter because
 * dragenter/dragleave fire for every child the pointer crosses.
 */
export function acceptDrops(zone, accepts, onFiles) {
  let depth = 0;
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
  zone.addEventListener("dragenter", (e) => {
    if (!hasFiles(e) || !accepts()) return;
    e.preventDefault();
    depth += 1;
    zone.classList.add("drop-target");
  });
  zone.addEventListener("dragover", (e) => {
    if (!hasFiles(e) || !accepts()) return;
    e.preventDefault(); // required for "drop" to fire
    e.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove("drop-target");
  });
  zone.addEventListener("drop", (e) => {
    depth = 0;
    zone.classList.remove("drop-target");
    if (!hasFiles(e) || !accepts()) return;
    e.preventDefault();
    const files = [...e.dataTransfer.files];
    if (files.length) onFiles(files);
  });
}
