// "New message": everyone on the server, with a find box; choosing a person
// opens the direct conversation with them (started by the first message if
// there is none yet). The sidebar lists conversations only, so this is how
// anyone else is reached. Enter in the find box picks the first match.

import { byId, el, personName, setAvatar } from "./dom.js";
import { formatPresence } from "./format.js";
import { handleOf, nameMatches, nameOf } from "./people.js";

export class NewMessagePicker {
  #dialog = byId("new-message-dialog");
  #filter = byId("people-filter");
  #list = byId("people-list");
  #empty = byId("people-empty");
  #people;
  #meId;
  #onPick;

  /** @param {(userId: number) => void} onPick */
  constructor(people, meId, onPick) {
    this.#people = people;
    this.#meId = meId;
    this.#onPick = onPick;
    this.#filter.addEventListener("input", () => this.#render());
    this.#filter.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      this.#list.querySelector("button")?.click();
    });
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
    people.onChange(() => {
      if (this.#dialog.open) this.#render();
    });
  }

  open() {
    this.#filter.value = "";
    this.#render();
    this.#dialog.showModal();
    this.#filter.focus();
  }

  #render() {
    const text = this.#filter.value.trim().toLocaleLowerCase();
    const me = this.#people.me;
    const everyone = [...this.#people.others(), ...(me ? [me] : [])];
    const shown = everyone.filter((u) => nameMatches(u, text));
    this.#list.replaceChildren(...shown.map((user) => this.#row(user)));
    this.#empty.hidden = shown.length > 0;
  }

  #row(user) {
    const self = user.id === this.#meId;
    const img = el("img", { className: "avatar", attrs: { alt: "", width: 32, height: 32 } });
    setAvatar(img, user.profile_pic);
    const status = self ? "Notes to self" : formatPresence(user.is_online, user.last_seen);
    const name = self ? `${nameOf(user)} (you)` : nameOf(user);
    const handle = handleOf(user);
    const button = el("button", {
      className: "person",
      attrs: { type: "button", "aria-label": `${name}${handle ? ` ${handle}` : ""}, ${status}` },
      on: {
        click: () => {
          this.#dialog.close();
          this.#onPick(user.id);
        },
      },
    },
    img,
    el("span", { className: "person-text" },
      personName(name, handle),
      el("span", { className: "person-status", text: status })));
    button.classList.toggle("online", Boolean(user.is_online) && !self);
    return el("li", { dataset: { userId: user.id } }, button);
  }
}
