// When a message deserves a system notification: only while the tab is
// hidden (the page itself shows everything otherwise), never for one's own
// messages (those come back from other tabs and devices too). The how is
// desktop.js's business.

import { canAskNotifications, askNotifications, notify } from "./desktop.js";

export class MessageAlerts {
  #meId;
  #button;
  #onOpen;

  /**
   * @param {HTMLButtonElement} button "Enable notifications", shown while undecided
   * @param {(conversationId: number) => void} onOpen a notification was clicked
   */
  constructor(meId, button, onOpen) {
    this.#meId = meId;
    this.#button = button;
    this.#onOpen = onOpen;
    this.#renderButton();
    button.addEventListener("click", async () => {
      await askNotifications();
      this.#renderButton();
    });
  }

  /** Call from a user action (a send): asks for permission once per browser. */
  async askOnce() {
    if (!canAskNotifications()) return;
    await askNotifications({ onlyOnce: true });
    this.#renderButton();
  }

  /**
   * @param {object} msg a message frame (never a notice)
   * @param {string} senderName
   * @param {string|null} where the room's name, null for a direct conversation
   */
  message(msg, senderName, where) {
    if (!document.hidden || msg.sender_id === this.#meId || msg.notice) return;
    const body = msg.file_path ? `Sent a file: ${msg.file_name ?? "file"}` : String(msg.content ?? "");
    notify({
      title: where ? `${senderName} in ${where}` : senderName,
      // Notifications are plain text on every platform; trim long messages.
      body: body.length > 200 ? `${body.slice(0, 199)}…` : body,
      tag: `chatterbox-c${msg.conversation_id}`, // one per conversation, replaced by the next
      onClick: () => this.#onOpen(msg.conversation_id),
    });
  }

  #renderButton() {
    this.#button.hidden = !canAskNotifications();
  }
}
