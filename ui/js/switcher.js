// The quick switcher (Ctrl+K or Cmd+K): a dialog with one text field that
// lists conversations and people as you type, best match first, and opens
// the one chosen. A person with no conversation yet is opened the way New
// message does it (openDirect). The field is a combobox: the arrow keys
// move through the list (aria-activedescendant), Enter opens, Escape (the
// dialog's own) closes.

import { byId, el } from "./dom.js";
import { handleOf, nameOf } from "./people.js";
import { conversationName } from "./sidebar.js";

const MAX_SHOWN = 50;
const WORD = /[\p{L}\p{N}]/u;

/**
 * How well `name` matches `query` (both lower case), lower is better: 0 it
 * starts with it, 1 a word in it does, 2 it contains it, 3 it holds its
 * letters in order ("gnrl" finds "general"); null no match.
 */
function matchRank(name, query) {
  if (!query || name.startsWith(query)) return 0;
  let at = name.indexOf(query);
  if (at >= 0) {
    for (; at >= 0; at = name.indexOf(query, at + 1)) if (!WORD.test(name[at - 1])) return 1;
    return 2;
  }
  let i = 0;
  for (const c of name) if (c === query[i]) i += 1;
  return i === query.length ? 3 : null;
}

export class QuickSwitcher {
  #dialog = byId("switcher-dialog");
  #input = byId("switcher-input");
  #list = byId("switcher-list");
  #empty = byId("switcher-empty");
  #store;
  #people;
  #meId;
  #onConversation;
  #onPerson;
  #shown = []; // the entries listed, in order
  #selected = 0;

  /**
   * @param {(conversationId: number) => void} onConversation
   * @param {(userId: number) => void} onPerson someone without a conversation yet
   */
  constructor({ store, people, meId, onConversation, onPerson }) {
    this.#store = store;
    this.#people = people;
    this.#meId = meId;
    this.#onConversation = onConversation;
    this.#onPerson = onPerson;
    this.#input.addEventListener("input", () => this.#render());
    this.#input.addEventListener("keydown", (e) => this.#onKey(e));
    this.#dialog.addEventListener("click", (e) => {
      if (e.target === this.#dialog) this.#dialog.close(); // the backdrop
    });
  }

  get isOpen() {
    return this.#dialog.open;
  }

  open() {
    this.#input.value = "";
    this.#render();
    this.#dialog.showModal();
    this.#input.focus();
  }

  close() {
    this.#dialog.close();
  }

  /**
   * Everything that can be opened: conversations, then people who have none
   * with the caller. A person is found by their display name or username
   * (`also`); beside a display name, their username shows too.
   */
  #candidates() {
    const handle = (userId) => {
      const user = this.#people.get(userId);
      return user ? handleOf(user) : null;
    };
    const entries = this.#store.all().map((c) => ({
      key: `c${c.conversation_id}`,
      name: conversationName(c, this.#people, this.#meId),
      also: c.kind === "direct" ? this.#people.get(c.user_id)?.username ?? "" : "",
      handle: c.kind === "direct" ? handle(c.user_id) : null,
      what: c.kind === "room" ? "Room" : c.kind === "group" ? "Private group" : "Direct message",
      unread: c.unread ?? 0,
      activity: c.last_message?.id ?? 0,
      open: () => this.#onConversation(c.conversation_id),
    }));
    const me = this.#people.me;
    for (const user of [...this.#people.others(), ...(me ? [me] : [])]) {
      if (this.#store.directWith(user.id)) continue;
      entries.push({
        key: `u${user.id}`,
        name: user.id === this.#meId ? `${nameOf(user)} (notes to self)` : nameOf(user),
        also: user.username,
        handle: handleOf(user),
        what: "Person",
        unread: 0,
        activity: -1, // after every conversation of the same rank
        open: () => this.#onPerson(user.id),
      });
    }
    return entries;
  }

  #render() {
    const query = this.#input.value.trim().toLocaleLowerCase();
    const ranked = [];
    for (const entry of this.#candidates()) {
      const ranks = [entry.name, entry.also].map((name) => matchRank(name.toLocaleLowerCase(), query))
        .filter((rank) => rank !== null);
      if (ranks.length) ranked.push({ ...entry, rank: Math.min(...ranks) });
    }
    ranked.sort((a, b) => a.rank - b.rank || b.activity - a.activity || a.name.localeCompare(b.name));
    this.#shown = ranked.slice(0, MAX_SHOWN);
    this.#list.replaceChildren(...this.#shown.map((entry, i) => el("li", {
      attrs: { id: `switcher-option-${i}`, role: "option", "aria-selected": "false" },
      dataset: { key: entry.key },
      on: {
        click: () => this.#choose(i),
        // Keep focus in the field when an option is pressed.
        mousedown: (e) => e.preventDefault(),
      },
    },
    el("span", { className: "switcher-name", text: entry.name }),
    el("span", {
      className: "switcher-what",
      text: `${entry.handle ? `${entry.handle} · ` : ""}${entry.what}${entry.unread ? `, ${entry.unread} unread` : ""}`,
    }))));
    this.#empty.hidden = this.#shown.length > 0;
    this.#select(0);
  }

  #select(index) {
    const options = this.#list.children;
    this.#selected = index;
    for (const [i, option] of [...options].entries()) option.setAttribute("aria-selected", String(i === index));
    const option = options[index];
    if (option) {
      this.#input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      this.#input.removeAttribute("aria-activedescendant");
    }
  }

  #onKey(e) {
    const count = this.#shown.length;
    if ((e.key === "ArrowDown" || e.key === "ArrowUp") && count) {
      e.preventDefault();
      this.#select((this.#selected + (e.key === "ArrowDown" ? 1 : -1) + count) % count);
    } else if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      if (count) this.#choose(this.#selected);
    }
  }

  #choose(index) {
    const entry = this.#shown[index];
    // Closed first: the dialog gives focus back, then opening moves it on.
    this.#dialog.close();
    entry?.open();
  }
}
