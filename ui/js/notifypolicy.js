// Whether a message deserves a system notification: the one rule, kept
// pure (no DOM, no clock of its own) so that it can be tested alone and
// reads the same as the desktop app's (src-tauri/src/notify/policy.rs) and
// docs/protocol.md, "Who is notified".
//
//   - never one's own messages (they come back from one's other devices),
//     nor notices or deleted messages, nor anything while the page is on
//     screen (it shows everything itself);
//   - nothing while do not disturb lasts (`dndUntil` in the future);
//   - a conversation at "mentions" or "muted": only messages whose
//     `mentions` holds me, or with `mentions_room`;
//   - at "all" (also an unknown or missing level): every message.

import { parseTimestamp } from "./format.js";

/** Whether do not disturb lasts at `now` (a Date): `dndUntil` is a server timestamp or null. */
export function dndActive(dndUntil, now) {
  const until = parseTimestamp(dndUntil);
  return until !== null && until.getTime() > now.getTime();
}

/** Whether `msg` (a message frame) mentions `meId`, by name or as the whole room. */
export function mentionsMe(msg, meId) {
  return msg.mentions_room === true || (Array.isArray(msg.mentions) && msg.mentions.includes(meId));
}

/**
 * @param {object} msg a message frame
 * @param {{meId: number, level: string|undefined, dndUntil: string|null, now: Date, onScreen: boolean}} situation
 *   `level`: the conversation's `notify` for me; `onScreen`: the page is visible
 */
export function shouldNotify(msg, { meId, level, dndUntil, now, onScreen }) {
  if (!msg || msg.sender_id === meId || msg.notice || msg.deleted_at) return false;
  if (onScreen || dndActive(dndUntil, now)) return false;
  if (level === "mentions" || level === "muted") return mentionsMe(msg, meId);
  return true;
}
