// Making and finding rooms: the "New room" dialog (a room anyone can find,
// or a private group, with a name and members) and the "Browse rooms" list
// of open rooms (GET /rooms) to open or join.

import { api } from "./api.js";
import { byId, el, personName, setAvatar, showMessage } from "./dom.js";
import { handleOf, nameMatches, nameOf } from "./people.js";

export class CreateDialog {
  #dialog = byId("create-dialog");
  #form = byId("create-form");
  #name = byId("create-name");
  #filter = byId("create-member-filter");
  #list = byId("create-members");
  #error = byId("create-error");
  #people;
  #chosen = new Set();
  #onCreated;

  /** @param {(conversation: object) => void} onCreated with the server's answer */
  constructor(people, onCreated) {
    this.#people = people;
    this.#onCreated = onCreated;
    this.#filter.addEventListener("input", () => this.#render());
    this.#filter.addEventListener("keydown", (e) => {
      if (e.key === "Enter") e.preventDefault(); // not a submit
    });
    this.#form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#create();
    });
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
  }

  open() {
    this.#form.reset();
    this.#chosen.clear();
    showMessage(this.#error, "");
    this.#name.removeAttribute("aria-invalid");
    this.#render();
    this.#dialog.showModal();
    this.#name.focus();
  }

  #render() {
    const text = this.#filter.value.trim().toLocaleLowerCase();
    const rows = this.#people.others()
      .filter((u) => this.#chosen.has(u.id) || nameMatches(u, text))
      .map((user) => {
        const box = el("input", { attrs: { type: "checkbox", value: user.id } });
        box.checked = this.#chosen.has(user.id);
        box.addEventListener("change", () => {
          if (box.checked) this.#chosen.add(user.id);
          else this.#chosen.delete(user.id);
        });
        const img = el("img", { className: "avatar", attrs: { alt: "", width: 28, height: 28 } });
        setAvatar(img, user.profile_pic);
        return el("li", { dataset: { userId: user.id } },
          el("label", { className: "check person" }, box, img, personName(nameOf(user), handleOf(user))));
      });
    this.#list.replaceChildren(...rows);
  }

  async #create() {
    const title = this.#name.value.trim();
    if (!title) {
      this.#name.setAttribute("aria-invalid", "true");
      showMessage(this.#error, "Give it a name.");
      this.#name.focus();
      return;
    }
    const kind = this.#form.elements.kind.value === "group" ? "group" : "room";
    const submit = this.#form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const created = await api.createConversation({ kind, title, members: [...this.#chosen] });
      this.#dialog.close();
      this.#onCreated(created);
    } catch (err) {
      showMessage(this.#error, err.message);
    } finally {
      submit.disabled = false;
    }
  }
}

export class RoomBrowser {
  #dialog = byId("rooms-dialog");
  #list = byId("rooms-list");
  #empty = byId("rooms-empty");
  #error = byId("rooms-error");
  #onOpen;
  #onJoined;

  /**
   * @param {(conversationId: number) => void} onOpen a room the caller is in
   * @param {(conversationId: number) => Promise<void>} onJoined after joining
   */
  constructor(onOpen, onJoined) {
    this.#onOpen = onOpen;
    this.#onJoined = onJoined;
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
  }

  async open() {
    this.#list.replaceChildren();
    this.#list.setAttribute("aria-busy", "true");
    this.#empty.hidden = true;
    showMessage(this.#error, "");
    this.#dialog.showModal();
    let rooms;
    try {
      rooms = await api.rooms();
    } catch (err) {
      showMessage(this.#error, `Could not list the rooms: ${err.message}`);
      return;
    } finally {
      this.#list.removeAttribute("aria-busy");
    }
    rooms = Array.isArray(rooms) ? rooms : [];
    this.#list.replaceChildren(...rooms.map((room) => this.#row(room)));
    this.#empty.hidden = rooms.length > 0;
  }

  #row(room) {
    const count = `${room.member_count} member${room.member_count === 1 ? "" : "s"}`;
    const action = el("button", {
      className: room.joined ? "" : "primary",
      text: room.joined ? "Open" : "Join",
      attrs: { type: "button", "aria-label": `${room.joined ? "Open" : "Join"} ${room.title}` },
      on: { click: () => this.#act(room, action) },
    });
    return el("li", { className: "room-row", dataset: { conversationId: room.conversation_id } },
      el("span", { className: "avatar room-avatar room", text: (room.title ?? "#").charAt(0).toUpperCase(), attrs: { "aria-hidden": "true" } }),
      el("span", { className: "person-text" },
        el("span", { className: "person-name", text: room.title }),
        el("span", { className: "person-status", text: count })),
      action);
  }

  async #act(room, button) {
    if (room.joined) {
      this.#dialog.close();
      this.#onOpen(room.conversation_id);
      return;
    }
    button.disabled = true;
    try {
      await api.join(room.conversation_id);
      this.#dialog.close();
      await this.#onJoined(room.conversation_id);
    } catch (err) {
      showMessage(this.#error, `Could not join ${room.title}: ${err.message}`);
      button.disabled = false;
    }
  }
}
