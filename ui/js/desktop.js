// The one place that knows whether we run inside the desktop app. Inside it
// (window.__TAURI__ present) files are picked, uploaded and saved by the app,
// which can reach the disk, and the app shows notifications itself from its
// own WebSocket; in a plain browser the pages use <input type=file>, XHR,
// download links and the Notification API as before. Nothing else in ui/ may
// touch window.__TAURI__ or Notification: the other modules ask this one.
//
// The app's commands (JS argument keys are camelCase; Tauri maps them to the
// Rust side's snake_case). Rust errors arrive as rejections, mostly strings.
//   invoke("desktop_info")
//     -> { mode: {mode: "host"} | {mode: "join", server: url} | null,
//          server: string | null, title: string, notifications: bool }
//     (the first-run page's business; the chat page does not need it)
//   invoke("pick_files", { accept: string, multiple: bool })
//     -> [{ id: string, name: string, size: number, mime_type: string }], [] if cancelled.
//     The OS file dialog. The file stays on disk; the page holds a handle (id).
//   invoke("picked_preview", { id }) -> "data:..." URL of a picked image;
//     rejects for non-images and images over 10 MiB.
//   invoke("upload_picked", { id, path, token, onProgress })
//     POSTs a picked file to `path` on the current server (the path the
//     browser would use: /upload-file?conversation_id=N, /upload-file?receiver_id=N
//     for a direct conversation not started yet, or /upload-profile) with
//     the session token. onProgress is a Channel receiving { sent, total }.
//     Resolves with the server's JSON body; rejects with { status, detail },
//     status 0 for a lost connection or a cancel.
//   invoke("cancel_upload", { id }) -> null; that upload_picked then rejects
//     with { status: 0, detail: "Upload cancelled." }.
//   invoke("save_file", { url, name }) -> the saved path, or null if cancelled.
//     A file URL of the current server; the app shows "Save as…" and downloads it.
//   invoke("set_session", { token, userId }) -> null. The chat page's session,
//     or nulls on logout; the app keeps its own WebSocket with it for
//     notifications.
//   invoke("set_viewing", { peerId, conversationId }) -> null. The open
//     conversation (or nulls), so the app does not notify about what is on
//     screen: its id, and for a direct conversation the other person's id
//     (null for rooms and groups; older apps read only peerId). A direct
//     conversation not started yet has a peerId and a null conversationId.
// Event: "open-conversation" with payload { conversation_id, peer_id } when a
// notification is clicked: either field may be missing (older apps send
// peer_id only; rooms have no peer).
//
// A desktop command that fails or is missing must never break chat: every
// call here is caught, logged, and either swallowed (bookkeeping) or turned
// into an error the caller shows where the user acted.

const tauri = () => window.__TAURI__;

export const isDesktop = Boolean(tauri()?.core);

/** Logs and rethrows, so each failure is in the console once, with its command. */
async function call(command, args) {
  try {
    return await tauri().core.invoke(command, args);
  } catch (err) {
    console.error(`desktop command ${command} failed`, err);
    throw err;
  }
}

/** Readable text of a rejection: Rust errors are strings, ours carry `detail`. */
export function desktopErrorText(err) {
  if (typeof err === "string" && err) return err;
  if (err && typeof err.detail === "string" && err.detail) return err.detail;
  if (err && typeof err.message === "string" && err.message) return err.message;
  return "The desktop app did not answer.";
}

/**
 * A file chosen in the app's OS dialog. The bytes stay on disk until
 * upload_picked sends them; `name`, `size` and `type` mirror a File's so the
 * code that shows a file need not care which kind it holds.
 */
export class PickedFile {
  constructor({ id, name, size, mime_type: mimeType }) {
    this.id = String(id);
    this.name = typeof name === "string" && name ? name : "file";
    this.size = Number.isFinite(size) ? size : 0;
    this.type = typeof mimeType === "string" ? mimeType : "";
  }
}

/**
 * Make `button` open a file picker and hand the chosen files to `onFiles`.
 * In a browser the button clicks the hidden <input type=file>, whose
 * "change" is always listened to, so files set on the input any other way
 * (assistive tech, test drivers) arrive too. In the app, the OS picker, and
 * the files arrive as PickedFile handles.
 * @param {HTMLInputElement} input
 * @param {(files: Array<File|PickedFile>) => void} onFiles never called with an empty list
 * @param {(text: string) => void} onError the app's picker failed
 */
export function bindFilePicker(button, input, { accept = "", multiple = false }, onFiles, onError) {
  if (accept) input.accept = accept;
  input.multiple = multiple;
  input.addEventListener("change", () => {
    const files = [...(input.files ?? [])];
    input.value = ""; // so choosing the same file again still fires "change"
    if (files.length) onFiles(files);
  });
  button.addEventListener("click", async () => {
    if (!isDesktop) {
      input.click();
      return;
    }
    let picked;
    try {
      picked = await call("pick_files", { accept, multiple });
    } catch (err) {
      onError(`Could not open the file picker: ${desktopErrorText(err)}`);
      return;
    }
    const files = (Array.isArray(picked) ? picked : []).map((f) => new PickedFile(f));
    if (files.length) onFiles(files);
  });
}

/**
 * A URL an <img> can show a chosen file from before it is uploaded: a blob:
 * URL for a File (the page's CSP allows blob: images for this), the app's
 * data: URL for a picked one. Give it back with releasePreview.
 */
export async function previewUrl(file) {
  if (!(file instanceof PickedFile)) return URL.createObjectURL(file);
  const url = await call("picked_preview", { id: file.id });
  if (typeof url !== "string" || !url.startsWith("data:image/")) throw new Error("The app sent no picture.");
  return url;
}

export function releasePreview(url) {
  if (url.startsWith("blob:")) URL.revokeObjectURL(url);
}

/**
 * Upload a picked file through the app. Same shape as the browser's upload:
 * { promise, abort }. The promise rejects with a plain { status, detail }
 * whatever went wrong, so api.js turns every failure into an ApiError the
 * same way; abort() rejects with an Error if the app could not cancel.
 * @param {(sent: number, total: number) => void} onProgress
 */
export function uploadPicked(file, path, token, onProgress) {
  const promise = (async () => {
    const { core } = tauri();
    const channel = new core.Channel();
    channel.onmessage = (m) => {
      if (m && Number.isFinite(m.sent) && Number.isFinite(m.total)) onProgress(m.sent, m.total);
    };
    return await core.invoke("upload_picked", { id: file.id, path, token, onProgress: channel });
  })().catch((err) => {
    // The server's refusal (or a cancel) in the contract's shape: pass it on.
    if (err && Number.isInteger(err.status)) {
      throw { status: err.status, detail: typeof err.detail === "string" ? err.detail : "" };
    }
    // Anything else means the command itself failed or is missing.
    console.error("desktop command upload_picked failed", err);
    throw { status: 0, detail: `The desktop app could not send the file (${desktopErrorText(err)}).` };
  });
  const abort = () => call("cancel_upload", { id: file.id }).then(() => {}, (err) => {
    throw new Error(desktopErrorText(err));
  });
  return { promise, abort };
}

/**
 * Save a file of the current server through the app's "Save as…" dialog.
 * Resolves with the saved path, or null if the user cancelled; rejects with
 * an Error whose message says why.
 */
export async function saveFile(url, name) {
  try {
    const saved = await call("save_file", { url, name });
    return typeof saved === "string" && saved ? saved : null;
  } catch (err) {
    throw new Error(desktopErrorText(err));
  }
}

/**
 * Tell the app who is logged in here (or nulls on logout), so its own
 * socket notifies for this account. Never rejects: bookkeeping only.
 */
export async function setSession(token, userId) {
  if (!isDesktop) return;
  await call("set_session", { token, userId }).catch(() => {});
}

/**
 * Tell the app which conversation is on screen, or that none is (null).
 * @param {{conversationId: number|null, peerId: number|null} | null} viewing
 */
export function setViewing(viewing) {
  if (!isDesktop) return;
  const conversationId = viewing?.conversationId ?? null;
  const peerId = viewing?.peerId ?? null;
  call("set_viewing", { peerId, conversationId }).catch(() => {});
}

const positiveId = (value) => {
  const id = Number(value);
  return Number.isInteger(id) && id > 0 ? id : null;
};

/** Call `handler({ conversationId, peerId })` when the user clicks one of the
 *  app's notifications; at least one of the two is set. */
export function onOpenConversation(handler) {
  const listen = tauri()?.event?.listen;
  if (!isDesktop || !listen) return;
  Promise.resolve()
    .then(() => listen("open-conversation", (e) => {
      const conversationId = positiveId(e?.payload?.conversation_id);
      const peerId = positiveId(e?.payload?.peer_id);
      if (conversationId !== null || peerId !== null) handler({ conversationId, peerId });
    }))
    .catch((err) => console.error("listening for open-conversation failed", err));
}

/** "granted", "denied", "default" (not asked yet) or "unsupported". */
export function notificationPermission() {
  if (isDesktop) return "granted"; // the app asks the OS itself
  if (!("Notification" in window)) return "unsupported";
  return Notification.permission;
}

/**
 * Ask for notification permission. Browsers show the prompt only from a
 * user action, and a prompt nobody asked for is mostly refused: call this
 * only from the settings' "Enable desktop notifications" control.
 * Resolves with the permission as it then is.
 */
export async function askNotifications() {
  if (notificationPermission() !== "default") return notificationPermission();
  try {
    return await Notification.requestPermission();
  } catch {
    return notificationPermission();
  }
}

/**
 * Show a notification; true if one was shown. `onClick` runs when the user
 * clicks it. In the app this does nothing: the app notifies from its own
 * socket (see set_session), by the same rule and with its own sound, and a
 * second notification from the page would double every message. Failures
 * are swallowed: a notification is a courtesy, never a reason to break
 * message handling.
 */
export function notify({ title, body, tag, onClick }) {
  if (isDesktop) return false;
  if (notificationPermission() !== "granted") return false;
  try {
    const n = new Notification(title, { body, tag, icon: "/static/default.png" });
    n.addEventListener("click", () => {
      window.focus();
      n.close();
      onClick?.();
    });
    return true;
  } catch {
    // Some mobile browsers only allow notifications from a service worker.
    return false;
  }
}
