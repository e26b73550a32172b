// Sending files: chosen with the attach button, dropped on the conversation
// or pasted into the message box, they wait in a tray above the composer
// (name, size, a button to remove each) until Send. Send uploads them one
// at a time in the order chosen (a LAN link is shared; parallel uploads
// only make each slower), each becoming a message of its own (POST
// /upload-file, as the contract has it), and then hands over to what is to
// follow them: the page sends the composer's text as their caption, a text
// message right after the last file, since no message holds both.
//
// A file the server refuses (too large, say, in the server's words) stays
// in the tray with the reason, to be retried or removed without sending the
// others again; the caption does not wait for it. Each conversation has its
// own tray, kept like drafts; uploads go on while another conversation is
// open. The server answers with the stored message, which is shown at once;
// its WebSocket push of the same message is then ignored by id. A file is a
// browser File (dropped, pasted, or picked in a browser) or a handle picked
// in the desktop app; api.js sends each its own way, so this file does not
// care which.

import { api } from "./api.js";
import { el } from "./dom.js";
import { formatBytes } from "./format.js";

/**
 * A file in a tray. `state`: "ready" (chosen), "queued" (Send pressed,
 * waiting its turn), "sending", "failed" (`error` says why) or "gone"
 * (sent or removed: out of the tray).
 */
class Attachment {
  constructor(file, tray) {
    this.file = file;
    this.tray = tray; // the conversation's list of attachments, which holds this one
    this.state = "ready";
    this.progress = 0;
    this.error = null;
    this.target = null; // where it goes, set by Send
    this.upload = null; // { promise, abort } while sending
    this.view = null;
  }
}

export class AttachmentTray {
  #root;
  #list;
  #status;
  #trays = new Map(); // conversation key -> attachments, in the order chosen
  #key = null;
  #queue = []; // attachments to upload and what follows them ({ then }), in order
  #busy = false;
  #onSent;
  #onChange;
  #onError;
  #focusComposer;

  /**
   * @param {object} o
   * @param {HTMLElement} o.root the tray, hidden while empty
   * @param {HTMLElement} o.list its <ul>
   * @param {HTMLElement} o.status its one line of what is going on (a live region)
   * @param {(msg: object) => void} o.onSent a file's stored message
   * @param {() => void} o.onChange the open conversation's tray changed (`ready` may have)
   * @param {(text: string) => void} o.onError something went wrong that no file shows
   * @param {() => void} o.focusComposer where focus goes when the file that had it leaves
   */
  constructor({ root, list, status, onSent, onChange, onError, focusComposer }) {
    this.#root = root;
    this.#list = list;
    this.#status = status;
    this.#onSent = onSent;
    this.#onChange = onChange;
    this.#onError = onError;
    this.#focusComposer = focusComposer;
  }

  /** The conversation on screen changed (null: none). */
  show(key) {
    this.#key = key;
    this.#render();
  }

  /** The open conversation's key changed (a direct conversation got its id). */
  rekey(from, to) {
    const tray = this.#trays.get(from);
    this.#trays.delete(from);
    if (tray) this.#trays.set(to, tray);
    if (this.#key === from) this.#key = to;
  }

  /** Files chosen for the open conversation (File or PickedFile). */
  add(files) {
    if (this.#key === null || !files.length) return;
    let tray = this.#trays.get(this.#key);
    if (!tray) {
      tray = [];
      this.#trays.set(this.#key, tray);
    }
    for (const file of files) tray.push(new Attachment(file, tray));
    this.#render();
  }

  /** How many of the open conversation's files wait for Send. */
  get ready() {
    return this.#open().filter((a) => a.state === "ready").length;
  }

  /**
   * Send the open conversation's files that wait for it, in order, to
   * `target` ({ conversationId } or, for a direct conversation not started
   * yet, { receiverId }); then run `then` (the caption), whatever became of
   * them. False if no file was waiting.
   */
  send(target, then = null) {
    const ready = this.#open().filter((a) => a.state === "ready");
    if (!ready.length) return false;
    for (const attachment of ready) {
      attachment.state = "queued";
      attachment.target = target;
      this.#queue.push(attachment);
    }
    if (then) this.#queue.push({ then });
    this.#render();
    this.#next();
    return true;
  }

  #open() {
    return this.#trays.get(this.#key) ?? [];
  }

  async #next() {
    if (this.#busy) return;
    const job = this.#queue.shift();
    if (!job) return;
    if (job.then) {
      job.then();
      this.#next();
      return;
    }
    if (job.state !== "queued") {
      this.#next(); // removed while it waited
      return;
    }
    this.#busy = true;
    job.state = "sending";
    job.progress = 0;
    this.#changed(job);
    const upload = api.uploadFile(job.target, job.file, (fraction) => {
      job.progress = fraction;
      if (job.view) this.#draw(job);
    });
    job.upload = upload;
    try {
      const msg = await upload.promise;
      this.#drop(job);
      if (msg && msg.id !== undefined) this.#onSent(msg);
    } catch (err) {
      // Removed while sending: the abort's rejection is no news.
      if (job.state === "sending") {
        job.state = "failed";
        job.error = err.detail ?? err.message; // the server's words, e.g. "File too large (at most 25 MiB)"
        this.#changed(job);
      }
    } finally {
      job.upload = null;
      this.#busy = false;
      this.#next();
    }
  }

  /** Send a refused file again, on its own. */
  #retry(attachment) {
    attachment.state = "queued";
    attachment.error = null;
    this.#queue.push(attachment);
    this.#changed(attachment);
    this.#next();
  }

  /** The remove button: out of the tray, and cancelled if it is being sent. */
  #remove(attachment) {
    const upload = attachment.state === "sending" ? attachment.upload : null;
    this.#drop(attachment);
    // The app's cancel is a command that can fail; the browser's cannot.
    if (upload) {
      Promise.resolve(upload.abort())
        .catch((err) => this.#onError(`Could not cancel sending ${attachment.file.name}: ${err.message}`));
    }
  }

  /** Out of the tray: sent, or removed. */
  #drop(attachment) {
    attachment.state = "gone";
    const at = attachment.tray.indexOf(attachment);
    if (at >= 0) attachment.tray.splice(at, 1);
    if (attachment.tray === this.#open()) this.#render();
  }

  /** One attachment changed: redraw it, and the tray's line if it is on screen. */
  #changed(attachment) {
    if (attachment.tray !== this.#open()) return;
    this.#draw(attachment);
    this.#renderStatus();
    this.#onChange();
  }

  #render() {
    const tray = this.#open();
    this.#root.hidden = tray.length === 0;
    const focused = this.#list.contains(document.activeElement) ? document.activeElement : null;
    const focusedAt = focused ? [...this.#list.children].findIndex((li) => li.contains(focused)) : -1;
    for (const attachment of tray) {
      attachment.view ??= this.#build(attachment);
      this.#draw(attachment);
    }
    const lis = tray.map((a) => a.view.li);
    const current = [...this.#list.children];
    if (current.length !== lis.length || lis.some((li, i) => current[i] !== li)) this.#list.replaceChildren(...lis);
    // The file that had focus left: its neighbour takes it, or the message box.
    if (focused && !this.#list.contains(focused)) {
      const next = lis[Math.min(focusedAt, lis.length - 1)];
      if (next) next.querySelector(".attachment-remove").focus();
      else this.#focusComposer();
    }
    this.#renderStatus();
    this.#onChange();
  }

  #build(attachment) {
    const { name } = attachment.file;
    const extension = /\.([A-Za-z0-9]{1,5})$/.exec(name)?.[1].toUpperCase() ?? "FILE";
    const detail = el("span", { className: "attachment-detail" });
    const progress = el("progress", { attrs: { max: 100, value: 0, "aria-label": `Sending ${name}` } });
    const retry = el("button", {
      className: "attachment-retry",
      text: "Retry",
      attrs: { type: "button", "aria-label": `Retry ${name}` },
      on: { click: () => this.#retry(attachment) },
    });
    const remove = el("button", {
      className: "attachment-remove icon-button",
      text: "×",
      attrs: { type: "button" },
      on: { click: () => this.#remove(attachment) },
    });
    const li = el("li", { className: "attachment" },
      el("span", { className: "file-icon", text: extension, attrs: { "aria-hidden": "true" } }),
      el("span", { className: "attachment-text" }, el("span", { className: "attachment-name", text: name }), detail),
      progress, retry, remove);
    return { li, detail, progress, retry, remove };
  }

  #draw(attachment) {
    const { view, state, file } = attachment;
    const size = formatBytes(file.size);
    const percent = Math.round(attachment.progress * 100);
    view.li.dataset.state = state;
    view.detail.textContent = state === "sending" ? `${size} · ${percent}%`
      : state === "queued" ? `${size} · waiting`
        : state === "failed" ? `Not sent: ${attachment.error}`
          : size;
    view.progress.hidden = state !== "sending";
    view.progress.value = percent;
    view.retry.hidden = state !== "failed";
    const remove = state === "sending" ? `Cancel sending ${file.name}` : `Remove ${file.name}`;
    view.remove.setAttribute("aria-label", remove);
    view.remove.title = remove;
  }

  /** What is going on in the open tray, in a line (read out as it changes, not at every percent). */
  #renderStatus() {
    const tray = this.#open();
    const count = (state) => tray.filter((a) => a.state === state).length;
    const files = (n) => `${n} file${n === 1 ? "" : "s"}`;
    const sending = tray.find((a) => a.state === "sending");
    const parts = [];
    if (sending) {
      const queued = count("queued");
      parts.push(`Sending ${sending.file.name}…${queued ? ` (${queued} more to go)` : ""}`);
    } else if (count("queued")) {
      parts.push(`${files(count("queued"))} waiting to be sent.`);
    }
    if (count("failed")) parts.push(`${files(count("failed"))} not sent.`);
    const ready = count("ready");
    if (ready) parts.push(`${files(ready)} to send; what you write goes with ${ready === 1 ? "it" : "them"} as a caption.`);
    const text = parts.join(" ");
    if (this.#status.textContent !== text) this.#status.textContent = text;
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
