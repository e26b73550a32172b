// The settings dialog: notifications (this browser's permission, a sound,
// do not disturb) and read receipts. Everything but the permission is the
// server's (GET/PUT /settings), so it follows the person to every device:
// each control saves as soon as it is used, and the page is handed the
// settings as saved. A `settings` frame from another device is shown here
// too (`show`).
//
// The browser's permission prompt appears only from "Enable desktop
// notifications", never by itself: a prompt nobody asked for is mostly
// refused, and once refused only the person can undo it, in the browser.

import { api } from "./api.js";
import { byId, showMessage } from "./dom.js";
import { askNotifications, isDesktop, notificationPermission } from "./desktop.js";
import { formatClock, parseTimestamp, sameDay } from "./format.js";
import { dndActive } from "./notifypolicy.js";
import { chime } from "./sound.js";

const MORNING_HOUR = 8;

const PERMISSION_TEXT = {
  granted: "Desktop notifications are on in this browser.",
  default: "Desktop notifications are off in this browser.",
  denied: "This browser blocks notifications from this site. To allow them again, click the icon at "
    + "the left of the address bar (a padlock or a settings icon), open the site's settings or "
    + "permissions, set Notifications to Allow, then reload this page.",
  unsupported: "This browser cannot show desktop notifications.",
  app: "The desktop app shows notifications; turn them on or off from its menu.",
};

/** The next 08:00 after `now`: today's if it is still to come. */
export function nextMorning(now) {
  const morning = new Date(now);
  morning.setHours(MORNING_HOUR, 0, 0, 0);
  if (morning <= now) morning.setDate(morning.getDate() + 1);
  return morning;
}

/** "today at 08:00", "tomorrow at 08:00", "Fri 5 Dec at 18:30". */
function whenText(date, now) {
  const tomorrow = new Date(now);
  tomorrow.setDate(tomorrow.getDate() + 1);
  const day = sameDay(date, now) ? "today" : sameDay(date, tomorrow) ? "tomorrow"
    : date.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" });
  return `${day} at ${formatClock(date)}`;
}

/** A Date as a datetime-local input's value (local time, to the minute). */
function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export class SettingsDialog {
  #dialog = byId("settings-dialog");
  #receipts = byId("read-receipts");
  #sound = byId("notify-sound");
  #permission = byId("notify-permission");
  #enable = byId("notify-button");
  #dndStatus = byId("dnd-status");
  #dndHour = byId("dnd-hour");
  #dndMorning = byId("dnd-morning");
  #dndOff = byId("dnd-off");
  #dndCustom = byId("dnd-custom");
  #dndCustomSet = byId("dnd-custom-set");
  #status = byId("settings-status");
  #error = byId("settings-error");
  #saved = null; // the settings as the server last said
  #onChange;

  /** @param {(settings: object) => void} onChange after a change is saved, with all the settings */
  constructor(onChange) {
    this.#onChange = onChange;
    byId("settings-form").addEventListener("submit", (e) => e.preventDefault());
    this.#receipts.addEventListener("change", () => {
      const on = this.#receipts.checked;
      this.#save({ read_receipts: on }, on ? "Read receipts are on." : "Read receipts are off.");
    });
    this.#sound.addEventListener("change", () => {
      const on = this.#sound.checked;
      if (on) chime(); // what it will sound like; a click also lets the page play audio
      this.#save({ sound: on }, on ? "Notifications play a sound." : "Notifications are silent.");
    });
    this.#enable.addEventListener("click", async () => {
      await askNotifications();
      this.#renderPermission();
    });
    this.#dndHour.addEventListener("click", () => this.#dndUntil(new Date(Date.now() + 3600_000)));
    this.#dndMorning.addEventListener("click", () => this.#dndUntil(nextMorning(new Date())));
    this.#dndOff.addEventListener("click", () => this.#dndUntil(null));
    this.#dndCustomSet.addEventListener("click", () => {
      const until = this.#dndCustom.value ? new Date(this.#dndCustom.value) : null;
      if (!until || Number.isNaN(until.getTime()) || until <= new Date()) {
        showMessage(this.#error, "Choose a time in the future.");
        this.#dndCustom.focus();
        return;
      }
      this.#dndUntil(until);
    });
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
  }

  async open() {
    showMessage(this.#status, "");
    showMessage(this.#error, "");
    this.#setEnabled(false);
    this.#renderPermission();
    this.#dndCustom.value = localInputValue(nextMorning(new Date()));
    this.#dialog.showModal();
    try {
      this.show(await api.settings());
      this.#setEnabled(true);
    } catch (err) {
      showMessage(this.#error, `Could not load your settings: ${err.message}`);
    }
  }

  /** The settings as saved on the server (an answer, or a `settings` frame). */
  show(settings) {
    if (!settings || typeof settings !== "object") return;
    this.#saved = settings;
    this.#receipts.checked = settings.read_receipts !== false;
    this.#sound.checked = settings.sound === true;
    const now = new Date();
    const on = dndActive(settings.dnd_until, now);
    this.#dndStatus.textContent = on ? `On until ${whenText(parseTimestamp(settings.dnd_until), now)}.` : "Off.";
    this.#dndOff.hidden = !on;
    const morning = nextMorning(now);
    this.#dndMorning.textContent = `Until ${sameDay(morning, now) ? "" : "tomorrow "}${formatClock(morning)}`;
    this.#renderPermission();
  }

  #renderPermission() {
    const permission = isDesktop ? "app" : notificationPermission();
    this.#permission.textContent = PERMISSION_TEXT[permission] ?? PERMISSION_TEXT.unsupported;
    this.#permission.dataset.permission = permission;
    this.#enable.hidden = permission !== "default";
  }

  #dndUntil(until) {
    const text = until ? `Do not disturb until ${whenText(until, new Date())}.` : "Do not disturb is off.";
    this.#save({ dnd_until: until ? until.toISOString() : null }, text);
  }

  #setEnabled(on) {
    for (const control of [this.#receipts, this.#sound, this.#dndHour, this.#dndMorning, this.#dndOff,
      this.#dndCustom, this.#dndCustomSet]) control.disabled = !on;
  }

  async #save(change, done) {
    this.#setEnabled(false);
    showMessage(this.#error, "");
    showMessage(this.#status, "");
    try {
      const saved = await api.saveSettings(change);
      this.show(saved);
      showMessage(this.#status, done);
      this.#onChange(saved);
    } catch (err) {
      this.show(this.#saved); // what the server still has
      showMessage(this.#error, `Could not save: ${err.message}`);
    } finally {
      this.#setEnabled(true);
    }
  }
}
