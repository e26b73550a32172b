// The open conversation's notifications menu in its header: all messages,
// mentions only, or muted (PUT /conversations/{id}/notifications). The
// choice shows at once through the Conversations store (the sidebar's muted
// icon, this menu) and goes back if the server refuses it. A choice made on
// another device arrives as a `notify_changed` frame, into the same store.

import { api } from "./api.js";

const SAID = {
  all: "Every message here notifies you.",
  mentions: "Only messages that mention you notify you here.",
  muted: "Muted: only messages that mention you notify you here.",
};

export class NotifyLevelControl {
  #box;
  #select;
  #store;
  #say;
  #id = null; // the conversation the menu is for

  /** @param {(text: string) => void} say a word on how a choice went */
  constructor(box, select, store, say) {
    this.#box = box;
    this.#select = select;
    this.#store = store;
    this.#say = say;
    select.addEventListener("change", () => this.#choose(select.value));
  }

  /** @param {object|null} c the open conversation; `usable`: the caller is still in it */
  show(c, usable) {
    this.#id = c?.conversation_id ?? null;
    // A direct conversation not started yet has no id to set a level on.
    this.#box.hidden = this.#id === null || !usable;
    this.#select.value = c?.notify ?? "all";
  }

  async #choose(level) {
    const id = this.#id;
    if (id === null) return;
    const before = this.#store.get(id)?.notify ?? "all";
    this.#store.setNotify(id, level);
    try {
      await api.setNotify(id, level);
      this.#say(SAID[level] ?? "");
    } catch (err) {
      this.#store.setNotify(id, before);
      if (this.#id === id) this.#select.value = before;
      if (err.status !== 401) this.#say(`Could not change notifications: ${err.message}`);
    }
  }
}
