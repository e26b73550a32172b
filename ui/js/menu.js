// A popup menu of actions for one element (a message): role="menu", its
// items role="menuitem" with their shortcut keys. Arrow keys, Home and End
// move, Enter or Space (or an item's shortcut) runs an item, Escape or Tab
// closes it and gives focus back to the element it was opened for; a press
// outside or a scroll closes it too.

import { el } from "./dom.js";
import { actionForKey } from "./msgactions.js";

const GAP_PX = 4;

/**
 * Places a fixed popup by a message's bubble: below it, or above it when
 * the window ends first; aligned with the edge of the side the bubble is on.
 */
export function placePopup(popup, target) {
  const box = target.getBoundingClientRect();
  const size = popup.getBoundingClientRect();
  const below = box.bottom + GAP_PX + size.height <= window.innerHeight;
  const top = below ? box.bottom + GAP_PX : Math.max(GAP_PX, box.top - GAP_PX - size.height);
  const rightAligned = target.closest(".mine") !== null;
  const left = rightAligned ? box.right - size.width : box.left;
  popup.style.top = `${Math.round(top)}px`;
  popup.style.left = `${Math.round(Math.min(Math.max(GAP_PX, left), window.innerWidth - size.width - GAP_PX))}px`;
}

export class ActionMenu {
  #menu;
  #anchor = null;
  #entries = [];

  /** @param {HTMLElement} scrollEl closing on its scroll keeps the menu from floating away from its message */
  constructor(label, scrollEl) {
    this.#menu = el("div", {
      className: "action-menu",
      attrs: { role: "menu", "aria-label": label, hidden: true },
      on: { keydown: (e) => this.#onKey(e) },
    });
    document.body.append(this.#menu);
    document.addEventListener("pointerdown", (e) => {
      if (this.isOpen && !this.#menu.contains(e.target)) this.close({ refocus: false });
    });
    scrollEl.addEventListener("scroll", () => this.close({ refocus: false }), { passive: true });
    window.addEventListener("resize", () => this.close({ refocus: false }));
    this.#menu.addEventListener("focusout", (e) => {
      if (this.isOpen && !this.#menu.contains(e.relatedTarget)) this.close({ refocus: false });
    });
  }

  get isOpen() {
    return !this.#menu.hidden;
  }

  /**
   * @param {HTMLElement} anchor what the menu is for; it sits beside it and gets focus back
   * @param {Array<{ key, label, hint, keys, danger, run() }>} entries
   */
  open(anchor, entries) {
    this.close({ refocus: false });
    if (!entries.length) return;
    this.#anchor = anchor;
    this.#entries = entries;
    this.#menu.replaceChildren(...entries.map((entry) => el("button", {
      className: `action-menu-item${entry.danger ? " danger" : ""}`,
      dataset: { action: entry.key },
      attrs: { type: "button", role: "menuitem", tabindex: "-1", "aria-keyshortcuts": entry.keys.join(" ") },
      on: { click: () => this.#run(entry) },
    },
    el("span", { text: entry.label }),
    el("kbd", { text: entry.hint, attrs: { "aria-hidden": "true" } }))));
    this.#menu.hidden = false;
    placePopup(this.#menu, anchor.querySelector(".bubble") ?? anchor);
    this.#items()[0].focus();
  }

  close({ refocus = true } = {}) {
    if (!this.isOpen) return;
    this.#menu.hidden = true;
    this.#menu.replaceChildren();
    const anchor = this.#anchor;
    this.#anchor = null;
    this.#entries = [];
    if (refocus && anchor?.isConnected) anchor.focus();
  }

  #items() {
    return [...this.#menu.querySelectorAll("[role=menuitem]")];
  }

  #run(entry) {
    // Focus goes back first, so an action that moves it (edit) has the last word.
    this.close();
    entry.run();
  }

  #onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const items = this.#items();
    const at = items.indexOf(document.activeElement);
    const move = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[e.key];
    if (move !== undefined) {
      e.preventDefault();
      items[(move + items.length) % items.length].focus();
    } else if (e.key === "Escape" || e.key === "Tab") {
      e.preventDefault();
      e.stopPropagation(); // Escape here closes the menu, not more
      this.close();
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      if (at >= 0) this.#run(this.#entries[at]);
    } else {
      const entry = actionForKey(this.#entries, e.key);
      if (entry) {
        e.preventDefault();
        this.#run(entry);
      }
    }
  }
}
