// System notifications for messages: whether one is due is notifypolicy.js's
// rule, with the conversation's level from the Conversations store and do
// not disturb from the settings; showing it is desktop.js's business; the
// sound is sound.js's, played only with a notification actually shown.

import { notify } from "./desktop.js";
import { shouldNotify } from "./notifypolicy.js";
import { chime } from "./sound.js";

export class MessageAlerts {
  #meId;
  #store;
  #onOpen;
  #dndUntil = null;
  #sound = false;

  /**
   * @param {import("./conversations.js").Conversations} store where each conversation's `notify` is
   * @param {(conversationId: number) => void} onOpen a notification was clicked
   */
  constructor(meId, store, onOpen) {
    this.#meId = meId;
    this.#store = store;
    this.#onOpen = onOpen;
  }

  /** The caller's settings, from GET/PUT /settings or a `settings` frame. */
  settings(settings) {
    this.#dndUntil = settings?.dnd_until ?? null;
    this.#sound = settings?.sound === true;
  }

  /**
   * @param {object} msg a message frame
   * @param {string} senderName
   * @param {string|null} where the room's name, null for a direct conversation
   */
  message(msg, senderName, where) {
    const due = shouldNotify(msg, {
      meId: this.#meId,
      level: this.#store.get(msg.conversation_id)?.notify,
      dndUntil: this.#dndUntil,
      now: new Date(),
      onScreen: !document.hidden,
    });
    if (!due) return;
    const body = msg.file_path ? `Sent a file: ${msg.file_name ?? "file"}` : String(msg.content ?? "");
    const shown = notify({
      title: where ? `${senderName} in ${where}` : senderName,
      // Notifications are plain text on every platform; trim long messages.
      body: body.length > 200 ? `${body.slice(0, 199)}…` : body,
      tag: `chatterbox-c${msg.conversation_id}`, // one per conversation, replaced by the next
      onClick: () => this.#onOpen(msg.conversation_id),
    });
    if (shown && this.#sound) chime();
  }
}
