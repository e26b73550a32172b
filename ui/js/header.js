// The open conversation's header and the lines under its messages: the
// name and picture (a person's, or a room's initial), presence or the member
// count, who is typing, and the live region that reads new messages out.

import { setAvatar } from "./dom.js";
import { formatPresence } from "./format.js";
import { previewText } from "./notices.js";
import { conversationName } from "./sidebar.js";

export class ChatHeader {
  #els;
  #people;
  #meId;

  /** @param {object} els { peerAvatar, roomAvatar, peerName, peerStatus, membersButton, typing, announcer } */
  constructor(els, people, meId) {
    this.#els = els;
    this.#people = people;
    this.#meId = meId;
  }

  /** @param {object|null} c the open conversation; `canManage`: show the Members button */
  render(c, canManage) {
    if (!c) return;
    const els = this.#els;
    const direct = c.kind === "direct";
    els.peerName.textContent = conversationName(c, this.#people, this.#meId);
    els.peerAvatar.hidden = !direct;
    els.roomAvatar.hidden = direct;
    els.membersButton.hidden = direct || !canManage;
    if (direct) {
      const peer = this.#people.get(c.user_id);
      setAvatar(els.peerAvatar, peer?.profile_pic ?? null);
      const self = c.user_id === this.#meId;
      els.peerStatus.textContent = self ? "Only you can see this" : formatPresence(peer?.is_online, peer?.last_seen);
      els.peerStatus.classList.toggle("online", !self && Boolean(peer?.is_online));
    } else {
      els.roomAvatar.className = `avatar room-avatar ${c.kind}`;
      els.roomAvatar.textContent = (c.title ?? "#").trim().charAt(0).toUpperCase() || "#";
      const count = c.member_count ?? 0;
      els.peerStatus.textContent = `${c.kind === "room" ? "Room" : "Private group"} · ${count} member${count === 1 ? "" : "s"}`;
      els.peerStatus.classList.remove("online");
    }
  }

  /** @param {number[]} typists user ids typing in the open conversation */
  typing(typists) {
    const names = typists.map((id) => this.#people.displayName(id));
    this.#els.typing.textContent = names.length === 0 ? ""
      : names.length === 1 ? `${names[0]} is typing…`
        : names.length === 2 ? `${names[0]} and ${names[1]} are typing…`
          : "Several people are typing…";
  }

  /** A screen reader hears a new message in the open conversation. */
  announce(msg) {
    const who = this.#people.displayName(msg.sender_id);
    this.#els.announcer.textContent = `${who}: ${previewText(msg, (id) => this.#people.name(id))}`;
  }
}
