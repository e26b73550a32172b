// Reactions (docs/protocol.md, Reactions): the chips under a message, one
// per emoji with its count, marked (aria-pressed) where the reader is among
// those who reacted, and named for screen readers with who they are; and
// the picker the React action opens: a dozen common ones and a field for
// any other emoji, which the server judges (its "Not an emoji" is shown in
// the picker).
//
// What a message's reactions are comes only from the server: history, and
// the `reaction` frames that every member's sockets get (live, and in the
// backfill after a reconnect), applied here with `withReaction`.

import { el } from "./dom.js";
import { placePopup } from "./menu.js";

/** The picker's dozen: agreement, feelings, thanks, seen, done. */
export const QUICK_REACTIONS = [
  ["👍", "thumbs up"], ["❤️", "red heart"], ["😂", "tears of joy"], ["🎉", "party popper"],
  ["😮", "open mouth"], ["😢", "crying face"], ["🙏", "folded hands"], ["👀", "eyes"],
  ["✅", "check mark"], ["🔥", "fire"], ["👏", "clapping hands"], ["🤔", "thinking face"],
];
const GRID_COLUMNS = 6;
const MAX_NAMES = 12; // more people than this are counted, not listed

/** A message's reactions after one `reaction` frame (a new array; the input is left alone). */
export function withReaction(reactions, userId, emoji, added) {
  const list = (reactions ?? []).map((r) => ({ emoji: r.emoji, user_ids: [...r.user_ids] }));
  const entry = list.find((r) => r.emoji === emoji);
  if (added && !entry) list.push({ emoji, user_ids: [userId] });
  else if (added && !entry.user_ids.includes(userId)) entry.user_ids.push(userId);
  else if (!added && entry) {
    entry.user_ids = entry.user_ids.filter((id) => id !== userId);
    if (!entry.user_ids.length) list.splice(list.indexOf(entry), 1);
  }
  return list;
}

/** Whether the reader has reacted to a message with this emoji. */
export function hasReacted(reactions, userId, emoji) {
  return (reactions ?? []).some((r) => r.emoji === emoji && r.user_ids.includes(userId));
}

/** "alice", "alice and you", "alice, bob and you", "alice, bob, … and 3 others". */
export function whoReacted(userIds, meId, name) {
  const names = userIds.filter((id) => id !== meId).map(name);
  if (userIds.includes(meId)) names.push("you");
  if (names.length > MAX_NAMES) {
    const rest = names.length - (MAX_NAMES - 1);
    return `${names.slice(0, MAX_NAMES - 1).join(", ")} and ${rest} others`;
  }
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/**
 * The chips for a message's reactions.
 * @param {object} o { meId, name(userId), onToggle(emoji, add) }
 */
export function reactionChips(reactions, { meId, name, onToggle }) {
  return (reactions ?? []).map(({ emoji, user_ids: userIds }) => {
    const mine = userIds.includes(meId);
    const who = whoReacted(userIds, meId, name);
    return el("button", {
      className: "reaction",
      dataset: { emoji },
      attrs: { type: "button", "aria-pressed": String(mine), "aria-label": `${emoji} ${userIds.length}: ${who}`, title: who },
      on: { click: () => onToggle(emoji, !mine) },
    },
    el("span", { className: "reaction-emoji", text: emoji }),
    el("span", { className: "reaction-count", text: userIds.length }));
  });
}

/**
 * The popup for choosing a reaction, beside the message it is for. Arrow
 * keys move through the dozen, Tab reaches the field for any other emoji,
 * Escape closes and gives focus back to the message; a press outside or a
 * scroll closes it too. It closes once the choice is accepted; a refusal
 * is shown in it.
 */
export class ReactionPicker {
  #root;
  #grid;
  #input;
  #error;
  #anchor = null;
  #choose = null; // (emoji) => Promise, settles when the server answered
  #busy = false;

  /** @param {HTMLElement} scrollEl the message list's scroller: scrolling it closes the picker */
  constructor(scrollEl) {
    this.#grid = el("div", { className: "reaction-grid", attrs: { role: "group", "aria-label": "Frequent reactions" } },
      QUICK_REACTIONS.map(([emoji, name]) => el("button", {
        className: "reaction-choice",
        text: emoji,
        dataset: { emoji },
        // Named by the emoji itself, which screen readers speak; the title is for the eye.
        attrs: { type: "button", title: name },
        on: { click: () => this.#pick(emoji) },
      })));
    this.#input = el("input", {
      className: "reaction-input",
      attrs: { id: "reaction-input", type: "text", autocomplete: "off", spellcheck: "false", placeholder: "Type or paste one" },
    });
    this.#error = el("p", { className: "form-error", attrs: { role: "alert", hidden: true } });
    const form = el("form", {
      className: "reaction-other",
      on: {
        submit: (e) => {
          e.preventDefault();
          const emoji = this.#input.value.trim();
          if (emoji) this.#pick(emoji);
          else this.#showError("Type or paste an emoji first.");
        },
      },
    },
    el("label", { text: "Any emoji", attrs: { for: "reaction-input" } }),
    el("div", { className: "inline-form" }, this.#input, el("button", { text: "Add", attrs: { type: "submit" } })));
    this.#root = el("div", {
      className: "reaction-picker",
      attrs: { role: "dialog", "aria-label": "Add a reaction", hidden: true },
      on: { keydown: (e) => this.#onKey(e) },
    }, this.#grid, form, this.#error);
    document.body.append(this.#root);
    document.addEventListener("pointerdown", (e) => {
      if (this.isOpen && !this.#root.contains(e.target)) this.close({ refocus: false });
    });
    scrollEl.addEventListener("scroll", () => this.close({ refocus: false }), { passive: true });
    window.addEventListener("resize", () => this.close({ refocus: false }));
    this.#root.addEventListener("focusout", (e) => {
      if (this.isOpen && e.relatedTarget && !this.#root.contains(e.relatedTarget)) this.close({ refocus: false });
    });
  }

  get isOpen() {
    return !this.#root.hidden;
  }

  /**
   * @param {HTMLElement} anchor the message's list item: the picker sits by its bubble and gives focus back to it
   * @param {(emoji: string) => Promise} choose
   */
  open(anchor, choose) {
    this.close({ refocus: false });
    this.#anchor = anchor;
    this.#choose = choose;
    this.#input.value = "";
    this.#showError("");
    this.#root.hidden = false;
    placePopup(this.#root, anchor.querySelector(".bubble") ?? anchor);
    this.#focusChoice(this.#choices()[0]);
  }

  close({ refocus = true } = {}) {
    if (!this.isOpen) return;
    this.#root.hidden = true;
    const anchor = this.#anchor;
    this.#anchor = null;
    this.#choose = null;
    if (refocus && anchor?.isConnected) anchor.focus();
  }

  #choices() {
    return [...this.#grid.children];
  }

  async #pick(emoji) {
    if (this.#busy || !this.#choose) return;
    this.#busy = true;
    const choose = this.#choose;
    try {
      await choose(emoji);
      if (this.#choose === choose) this.close();
    } catch (err) {
      if (this.#choose === choose) this.#showError(err.detail ?? err.message);
    } finally {
      this.#busy = false;
    }
  }

  #showError(text) {
    this.#error.textContent = text;
    this.#error.hidden = !text;
  }

  #onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation(); // Escape here closes the picker, not more
      this.close();
      return;
    }
    const choices = this.#choices();
    const at = choices.indexOf(document.activeElement);
    if (at < 0) return;
    const to = {
      ArrowRight: at + 1, ArrowLeft: at - 1, ArrowDown: at + GRID_COLUMNS, ArrowUp: at - GRID_COLUMNS,
      Home: 0, End: choices.length - 1,
    }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    this.#focusChoice(choices[(to + choices.length) % choices.length]);
  }

  /** The grid is one tab stop: the choice with focus. */
  #focusChoice(next) {
    for (const choice of this.#choices()) choice.tabIndex = choice === next ? 0 : -1;
    next.focus();
  }
}
