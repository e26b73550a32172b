// The members panel of a room or group: who is in it and their role, and
// for admins, add, remove, make admin or member, and rename. Everyone can
// leave. Changes go over HTTP; the server's notices ("alice added bob")
// reach every member as messages, and the page asks this panel to refresh
// when one arrives while it is open.

import { api } from "./api.js";
import { byId, el, personName, setAvatar, showMessage } from "./dom.js";
import { confirmAction } from "./confirm.js";
import { handleOf, nameOf } from "./people.js";

export class MembersDialog {
  #dialog = byId("members-dialog");
  #title = byId("members-title");
  #kind = byId("members-kind");
  #renameForm = byId("rename-form");
  #renameInput = byId("rename-input");
  #list = byId("members-list");
  #addForm = byId("add-member-form");
  #addSelect = byId("add-member-select");
  #error = byId("members-error");
  #leave = byId("leave-button");
  #people;
  #meId;
  #detail = null; // GET /conversations/{id}
  #loadSeq = 0;
  #onChanged;
  #onLeft;

  /**
   * @param {(detail: object) => void} onChanged the conversation as last fetched
   * @param {(conversationId: number) => void} onLeft the caller left it
   */
  constructor(people, meId, { onChanged, onLeft }) {
    this.#people = people;
    this.#meId = meId;
    this.#onChanged = onChanged;
    this.#onLeft = onLeft;
    for (const closer of this.#dialog.querySelectorAll("[data-close]")) {
      closer.addEventListener("click", () => this.#dialog.close());
    }
    this.#dialog.addEventListener("close", () => {
      this.#detail = null;
    });
    this.#renameForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const title = this.#renameInput.value.trim();
      if (title && title !== this.#detail?.title) this.#run(() => api.rename(this.#detail.conversation_id, title));
    });
    this.#addForm.addEventListener("submit", (e) => {
      e.preventDefault();
      const userId = Number(this.#addSelect.value);
      if (userId) this.#run(() => api.addMember(this.#detail.conversation_id, userId));
    });
    this.#leave.addEventListener("click", () => this.#leaveConversation());
    people.onChange(() => {
      if (this.#detail) this.#render();
    });
  }

  get openId() {
    return this.#dialog.open ? this.#detail?.conversation_id ?? null : null;
  }

  async open(conversationId) {
    showMessage(this.#error, "");
    this.#detail = null;
    this.#title.textContent = "Members";
    this.#kind.textContent = "Loading…";
    this.#list.replaceChildren();
    this.#renameForm.hidden = true;
    this.#addForm.hidden = true;
    this.#dialog.showModal();
    await this.refresh(conversationId);
  }

  /** Fetch again (after a notice, or a change made here). */
  async refresh(conversationId) {
    const seq = ++this.#loadSeq;
    try {
      const detail = await api.conversation(conversationId);
      if (seq !== this.#loadSeq || !this.#dialog.open) return;
      this.#detail = detail;
      this.#render();
      this.#onChanged(detail);
    } catch (err) {
      if (seq === this.#loadSeq) showMessage(this.#error, `Could not load the members: ${err.message}`);
    }
  }

  #render() {
    const d = this.#detail;
    const admin = d.role === "admin";
    const members = [...(d.members ?? [])].sort((a, b) =>
      (a.role === "admin" ? 0 : 1) - (b.role === "admin" ? 0 : 1)
      || this.#people.name(a.user_id).localeCompare(this.#people.name(b.user_id)));
    this.#title.textContent = d.title ?? "Members";
    this.#kind.textContent = `${d.kind === "room" ? "Room: anyone can join" : "Private group"} · `
      + `${members.length} member${members.length === 1 ? "" : "s"}${admin ? " · you are an admin" : ""}`;
    this.#renameForm.hidden = !admin;
    if (document.activeElement !== this.#renameInput) this.#renameInput.value = d.title ?? "";
    this.#list.replaceChildren(...members.map((m) => this.#row(m, admin)));
    const inside = new Set(members.map((m) => m.user_id));
    const outside = this.#people.others().filter((u) => !inside.has(u.id));
    this.#addForm.hidden = !admin || outside.length === 0;
    this.#addSelect.replaceChildren(...outside.map((u) => el("option", {
      text: handleOf(u) ? `${nameOf(u)} (${handleOf(u)})` : nameOf(u), attrs: { value: u.id },
    })));
  }

  #row(member, admin) {
    const user = this.#people.get(member.user_id);
    const self = member.user_id === this.#meId;
    const name = user ? nameOf(user) : "someone";
    const img = el("img", { className: "avatar", attrs: { alt: "", width: 32, height: 32 } });
    setAvatar(img, user?.profile_pic ?? null);
    const actions = [];
    if (admin && !self) {
      const promote = member.role !== "admin";
      actions.push(el("button", {
        text: promote ? "Make admin" : "Make member",
        attrs: { type: "button", "aria-label": `${promote ? "Make admin" : "Make member"}: ${name}` },
        on: { click: () => this.#run(() => api.setRole(this.#detail.conversation_id, member.user_id, promote ? "admin" : "member")) },
      }));
      actions.push(el("button", {
        className: "danger",
        text: "Remove",
        attrs: { type: "button", "aria-label": `Remove ${name}` },
        on: { click: () => this.#run(() => api.removeMember(this.#detail.conversation_id, member.user_id)) },
      }));
    }
    return el("li", { className: "member", dataset: { userId: member.user_id, role: member.role } },
      img,
      el("span", { className: "person-text" },
        personName(self ? `${name} (you)` : name, user ? handleOf(user) : null),
        el("span", { className: "person-status", text: member.role === "admin" ? "Admin" : "Member" })),
      el("span", { className: "member-actions" }, ...actions));
  }

  /** One change, then a fresh look at the conversation. */
  async #run(change) {
    showMessage(this.#error, "");
    const id = this.#detail.conversation_id;
    try {
      await change();
    } catch (err) {
      showMessage(this.#error, err.message);
    }
    await this.refresh(id);
  }

  async #leaveConversation() {
    const d = this.#detail;
    if (!d) return;
    const sure = await confirmAction(`Leave “${d.title}”?${d.kind === "group" ? " You can only come back if a member adds you." : ""}`, "Leave");
    if (!sure) return;
    try {
      await api.leave(d.conversation_id);
      this.#dialog.close();
      this.#onLeft(d.conversation_id);
    } catch (err) {
      showMessage(this.#error, `Could not leave: ${err.message}`);
    }
  }
}
