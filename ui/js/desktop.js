// The one place that knows whether we run inside the desktop app. Inside it
// (window.__TAURI__ present) file picking and notifications go through the
// app's commands, which can reach the OS; in a plain browser they use
// <input type=file> and the Notification API. Nothing else in ui/ may touch
// window.__TAURI__ or Notification, so the desktop port changes this file only.
//
// Desktop commands this file expects (the Tauri side implements them):
//   invoke("pick_file", { accept: string, multiple: bool })
//     -> [{ name: string, mime_type: string, data: string /* base64 */ }]
//        ([] or null when the user cancels)
//   invoke("notify", { title: string, body: string }) -> null

const tauri = () => window.__TAURI__?.core;

export const isDesktop = Boolean(tauri());

function fromBase64(data) {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Make `button` open a file picker and hand the chosen files to `onFiles`.
 * In a browser the button clicks the hidden <input type=file>, whose
 * "change" is always listened to, so files set on the input any other way
 * (assistive tech, test drivers) arrive too. In the app, the OS picker.
 * @param {HTMLInputElement} input
 * @param {(files: File[]) => void} onFiles never called with an empty list
 */
export function bindFilePicker(button, input, { accept = "", multiple = false }, onFiles) {
  if (accept) input.accept = accept;
  input.multiple = multiple;
  input.addEventListener("change", () => {
    const files = [...(input.files ?? [])];
    input.value = ""; // so choosing the same file again still fires "change"
    if (files.length) onFiles(files);
  });
  button.addEventListener("click", async () => {
    const core = tauri();
    if (!core) {
      input.click();
      return;
    }
    try {
      const picked = await core.invoke("pick_file", { accept, multiple });
      const files = (picked ?? []).map((f) =>
        new File([fromBase64(f.data)], f.name, { type: f.mime_type || "application/octet-stream" }));
      if (files.length) onFiles(files);
    } catch (err) {
      console.error("pick_file failed", err);
    }
  });
}

const ASKED_KEY = "chatterbox.notify-asked";

/** "granted", "denied", "default" (not asked yet) or "unsupported". */
export function notificationPermission() {
  if (tauri()) return "granted"; // the app asks the OS itself
  if (!("Notification" in window)) return "unsupported";
  return Notification.permission;
}

/** Whether to offer an "Enable notifications" button. */
export function canAskNotifications() {
  return notificationPermission() === "default";
}

/**
 * Ask for notification permission. Browsers only show the prompt from a user
 * action, so call this from a click or a send. `onlyOnce` is for implicit
 * asks (the first send): those happen at most once per browser, so the user
 * is not nagged; the explicit button always asks.
 */
export async function askNotifications({ onlyOnce = false } = {}) {
  if (notificationPermission() !== "default") return notificationPermission();
  if (onlyOnce && localStorage.getItem(ASKED_KEY)) return "default";
  localStorage.setItem(ASKED_KEY, "1");
  try {
    return await Notification.requestPermission();
  } catch {
    return notificationPermission();
  }
}

/**
 * Show a notification. `onClick` runs when the user clicks it (browser only;
 * the app focuses its window itself). Failures are swallowed: a notification
 * is a courtesy, never a reason to break message handling.
 */
export function notify({ title, body, tag, onClick }) {
  const core = tauri();
  if (core) {
    core.invoke("notify", { title, body }).catch(() => {});
    return;
  }
  if (notificationPermission() !== "granted") return;
  try {
    const n = new Notification(title, { body, tag, icon: "/static/default.png" });
    n.addEventListener("click", () => {
      window.focus();
      n.close();
      onClick?.();
    });
  } catch {
    // Some mobile browsers only allow notifications from a service worker.
  }
}
