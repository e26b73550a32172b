// Mentions (docs/protocol.md, Mentions). In the composer, "@" opens a list
// of whom the open conversation can mention, filtered by what follows it
// (a username, or a display name: "@oka" finds Ms Okafor), each shown as
// "Display Name @username"; ↑/↓ move, Enter or Tab puts "@username " in
// the text (mentions are by username), Escape closes, and the mouse works
// too. The message box is the combobox that owns the list
// (aria-controls, aria-expanded, aria-activedescendant), so focus stays in
// the text while choosing.
//
// Who a sent message mentions is the server's to say (its `mentions` and
// `mentions_room`); `mentionsMe` reads that for the highlight and the
// sidebar's mention count.

import { el } from "./dom.js";

// "@" with no letter, digit or "_" before it (as the server reads
// mentions), then what is typed of a name, up to the caret.
const QUERY = /(?:^|[^\p{L}\p{N}_])@([A-Za-z0-9_.-]{0,32})$/u;
const MAX_SHOWN = 8;

/** Whether a message mentions the reader: by name, or the whole room. Never their own. */
export function mentionsMe(msg, meId) {
  if (msg.sender_id === meId || msg.notice) return false;
  return Boolean(msg.mentions_room) || (msg.mentions ?? []).includes(meId);
}

/**
 * How well names match what was typed (lower case): 0 one of them, or a
 * word in one, starts with it; 1 one contains it; null no match.
 */
function matchRank(names, query) {
  let rank = null;
  for (const name of names) {
    const lower = name?.toLowerCase();
    if (!lower?.includes(query)) continue;
    if (lower.split(/\s+/).some((word) => word.startsWith(query))) return 0;
    rank = 1;
  }
  return rank;
}

export class MentionAutocomplete {
  #input;
  #list;
  #candidates;
  #shown = []; // [{ name, label, detail }]
  #selected = 0;
  #start = -1; // where the "@" being completed is in the text

  /**
   * @param {HTMLTextAreaElement} input the message box (role="combobox" in the page)
   * @param {HTMLElement} list its listbox
   * @param {() => Array<{ name: string, label: string|null, detail: string }>} candidates who can be
   *   mentioned now, in order: `name` is what "@" completes to, `label` a display name shown before it
   */
  constructor(input, list, candidates) {
    this.#input = input;
    this.#list = list;
    this.#candidates = candidates;
    input.addEventListener("input", () => this.#update());
    input.addEventListener("click", () => this.#update());
    input.addEventListener("keyup", (e) => {
      if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(e.key)) this.#update();
    });
    input.addEventListener("blur", () => this.close());
  }

  get isOpen() {
    return !this.#list.hidden;
  }

  /** A key pressed in the message box, before it does anything else; true if the list used it. */
  handleKey(e) {
    if (!this.isOpen || e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return false;
    const count = this.#shown.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      this.#select((this.#selected + (e.key === "ArrowDown" ? 1 : -1) + count) % count);
    } else if ((e.key === "Enter" && !e.shiftKey) || (e.key === "Tab" && !e.shiftKey)) {
      this.#choose(this.#selected);
    } else if (e.key === "Escape") {
      this.close();
    } else {
      return false;
    }
    return true;
  }

  /** Who can be mentioned changed (the members were fetched): filter again if the box is in use. */
  refresh() {
    if (document.activeElement === this.#input) this.#update();
  }

  close() {
    if (!this.isOpen) return;
    this.#list.hidden = true;
    this.#list.replaceChildren();
    this.#shown = [];
    this.#start = -1;
    this.#input.setAttribute("aria-expanded", "false");
    this.#input.removeAttribute("aria-activedescendant");
  }

  /** Open, filter or close the list for the text before the caret. */
  #update() {
    const input = this.#input;
    const caret = input.selectionStart;
    const match = caret === input.selectionEnd ? QUERY.exec(input.value.slice(0, caret)) : null;
    if (!match) {
      this.close();
      return;
    }
    const query = match[1].toLowerCase();
    const ranked = [];
    for (const candidate of this.#candidates()) {
      const rank = matchRank([candidate.name, candidate.label], query);
      if (rank !== null) ranked.push({ ...candidate, rank });
    }
    // Stable: within a rank the caller's order stands.
    ranked.sort((a, b) => a.rank - b.rank);
    this.#shown = ranked.slice(0, MAX_SHOWN);
    if (!this.#shown.length) {
      this.close();
      return;
    }
    this.#start = caret - match[1].length - 1;
    this.#list.replaceChildren(...this.#shown.map((candidate, i) => el("li", {
      attrs: { id: `mention-option-${i}`, role: "option", "aria-selected": "false" },
      dataset: { name: candidate.name },
      on: {
        // Keep focus (and the caret) in the message box.
        mousedown: (e) => e.preventDefault(),
        click: () => this.#choose(i),
      },
    },
    candidate.label ? el("span", { className: "mention-label", text: candidate.label }) : null,
    el("span", { className: "mention-name", text: `@${candidate.name}` }),
    candidate.detail ? el("span", { className: "mention-detail", text: candidate.detail }) : null)));
    this.#list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    this.#select(0);
  }

  #select(index) {
    this.#selected = index;
    for (const [i, option] of [...this.#list.children].entries()) option.setAttribute("aria-selected", String(i === index));
    const option = this.#list.children[index];
    this.#input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  /** "@" and what was typed after it become "@name ". */
  #choose(index) {
    const candidate = this.#shown[index];
    const start = this.#start;
    if (!candidate || start < 0) return;
    const input = this.#input;
    input.setRangeText(`@${candidate.name} `, start, input.selectionStart, "end");
    input.focus();
    // As if typed: the box grows to fit, the others see typing, and the
    // list closes (the caret is past the name now).
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
