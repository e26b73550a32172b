// The caller's conversations as the sidebar shows them: one summary per
// conversation id (GET /conversations), kept live from frames. No DOM;
// listeners hear the id of each conversation that changed (null: many).
//
// Unread counts are the server's (they survive a reload and agree across
// devices); frames only move them between two loads. A message frame can
// race a GET /conversations both ways: if the snapshot already holds the
// message its id is at most the snapshot's last_message id and it is not
// counted again; if the snapshot was taken before it, `set` keeps what the
// frame added (`#arrived`). Unread mentions (`unread_mentions`: messages
// naming the caller or the room) are counted the same way, apart.

import { mentionsMe } from "./mentions.js";

export class Conversations {
  #meId;
  #byId = new Map(); // conversation id -> summary (the server's fields)
  #arrived = new Map(); // conversation id -> [{ id, mention }]: unread messages counted from frames since the last load
  #listeners = [];

  constructor(meId) {
    this.#meId = meId;
  }

  /** @param {(conversationId: number|null) => void} listener */
  onChange(listener) {
    this.#listeners.push(listener);
  }

  get(id) {
    return this.#byId.get(id) ?? null;
  }

  has(id) {
    return this.#byId.has(id);
  }

  all() {
    return [...this.#byId.values()];
  }

  /** The direct conversation with a person (the caller: notes to self), if it exists. */
  directWith(userId) {
    for (const c of this.#byId.values()) if (c.kind === "direct" && c.user_id === userId) return c;
    return null;
  }

  totalUnread() {
    let sum = 0;
    for (const c of this.#byId.values()) sum += c.unread ?? 0;
    return sum;
  }

  /** Replace everything with a fresh GET /conversations result. */
  set(list) {
    const fresh = new Map();
    for (const summary of list) fresh.set(summary.conversation_id, this.#merge(summary));
    this.#byId = fresh;
    for (const id of [...this.#arrived.keys()]) if (!fresh.has(id)) this.#arrived.delete(id);
    this.#emit(null);
  }

  /** Add or refresh one conversation (GET /conversations/{id}, or a create/join answer). */
  upsert(summary) {
    const next = this.#merge(summary);
    delete next.members; // the open conversation keeps those
    this.#byId.set(summary.conversation_id, next);
    this.#emit(summary.conversation_id);
  }

  /** A server snapshot of one conversation, plus what frames brought after it was taken. */
  #merge(summary) {
    const id = summary.conversation_id;
    const local = this.#byId.get(id);
    const next = { ...local, ...summary };
    const snapshotLast = summary.last_message?.id ?? 0;
    const lastRead = Math.max(summary.last_read_message_id ?? 0, local?.last_read_message_id ?? 0);
    const extra = (this.#arrived.get(id) ?? []).filter((m) => m.id > snapshotLast && m.id > lastRead);
    this.#arrived.set(id, extra);
    if (local?.last_message && local.last_message.id > snapshotLast) next.last_message = local.last_message;
    next.last_read_message_id = lastRead;
    next.unread = (summary.unread ?? 0) + extra.length;
    next.unread_mentions = (summary.unread_mentions ?? 0) + extra.filter((m) => m.mention).length;
    return next;
  }

  remove(id) {
    if (!this.#byId.delete(id)) return;
    this.#arrived.delete(id);
    this.#emit(id);
  }

  /**
   * A message (or notice) posted in a known conversation. `seen`: it is on
   * screen in the open conversation, so it is not unread.
   * @returns {boolean} false if the conversation is unknown here
   */
  messageArrived(msg, seen) {
    const c = this.#byId.get(msg.conversation_id);
    if (!c) return false;
    const newest = c.last_message?.id ?? 0;
    if (msg.id <= newest) return true; // counted already (a snapshot or a resend)
    c.last_message = msg;
    const fromOther = msg.sender_id !== this.#meId && !msg.notice;
    if (fromOther && !seen && msg.id > (c.last_read_message_id ?? 0)) {
      const mention = mentionsMe(msg, this.#meId);
      c.unread = (c.unread ?? 0) + 1;
      if (mention) c.unread_mentions = (c.unread_mentions ?? 0) + 1;
      if (!this.#arrived.has(c.conversation_id)) this.#arrived.set(c.conversation_id, []);
      this.#arrived.get(c.conversation_id).push({ id: msg.id, mention });
    }
    this.#applyNotice(c, msg);
    this.#emit(c.conversation_id);
    return true;
  }

  edited(conversationId, messageId, newContent) {
    const c = this.#byId.get(conversationId);
    if (!c?.last_message || c.last_message.id !== messageId) return;
    c.last_message = { ...c.last_message, content: newContent, is_edited: 1 };
    this.#emit(conversationId);
  }

  deleted(conversationId, messageId) {
    const c = this.#byId.get(conversationId);
    if (!c?.last_message || c.last_message.id !== messageId) return;
    c.last_message = { ...c.last_message, content: null, file_path: null, deleted_at: new Date().toISOString() };
    this.#emit(conversationId);
  }

  /**
   * The caller's read position moved (a `read` frame of ours, from any
   * device, or a local mark).
   * @returns {boolean} true if the count cannot be known here and needs a reload
   */
  readUpTo(conversationId, messageId) {
    const c = this.#byId.get(conversationId);
    if (!c) return false;
    if (messageId > (c.last_read_message_id ?? 0)) c.last_read_message_id = messageId;
    const arrived = this.#arrived.get(conversationId);
    if (arrived) this.#arrived.set(conversationId, arrived.filter((m) => m.id > messageId));
    let unknown = false;
    if (!c.last_message || c.last_read_message_id >= c.last_message.id) {
      c.unread = 0;
      c.unread_mentions = 0;
    } else if (c.unread) {
      unknown = true;
    }
    this.#emit(conversationId);
    return unknown;
  }

  /** The caller's notifications level for a conversation (`all`, `mentions`, `muted`) changed. */
  setNotify(conversationId, level) {
    const c = this.#byId.get(conversationId);
    if (!c || c.notify === level) return;
    c.notify = level;
    this.#emit(conversationId);
  }

  /** Apply what a notice says to the summary: a new title, member count, our role. */
  #applyNotice(c, msg) {
    const n = msg.notice;
    if (!n) return;
    if (n.action === "renamed" && typeof n.title === "string") c.title = n.title;
    if (n.action === "joined" || n.action === "added") c.member_count = (c.member_count ?? 0) + 1;
    if (n.action === "left" || n.action === "removed") c.member_count = Math.max(0, (c.member_count ?? 1) - 1);
    const subject = n.user_id ?? msg.sender_id;
    if (subject === this.#meId && n.action === "promoted") c.role = "admin";
    if (subject === this.#meId && n.action === "demoted") c.role = "member";
  }

  #emit(id) {
    for (const listener of this.#listeners) listener(id);
  }
}
