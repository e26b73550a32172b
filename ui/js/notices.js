// Words for things the server sends as data: a notice ("alice added bob"),
// and the one-line preview of any message for the sidebar and
// notifications. Names come from a `name(userId)` function (People.name),
// which says "you" for the caller.

/** The person a notice is about: `user_id`, or whoever did it (joined, left). */
export function noticeSubject(msg) {
  return msg.notice?.user_id ?? msg.sender_id;
}

/** "alice added bob", "you left", "bob renamed the room to “Lunch”". */
export function noticeText(msg, name) {
  const n = msg.notice ?? {};
  const actor = name(msg.sender_id);
  const subject = name(noticeSubject(msg));
  switch (n.action) {
    case "created":
      return typeof n.title === "string" ? `${actor} created “${n.title}”` : `${actor} created this conversation`;
    case "joined":
      return `${subject} joined`;
    case "left":
      return `${subject} left`;
    case "added":
      return `${actor} added ${subject}`;
    case "removed":
      return `${actor} removed ${subject}`;
    case "promoted":
      return `${actor} made ${subject} an admin`;
    case "demoted":
      return `${actor} made ${subject} a member`;
    case "renamed":
      return `${actor} renamed this to “${n.title ?? ""}”`;
    default:
      return `${actor} changed this conversation`;
  }
}

/** One line for a message: its text, "File: name" for a file, or what happened. */
export function previewText(msg, name) {
  if (!msg) return "";
  if (msg.notice) return capitalise(noticeText(msg, name));
  if (msg.deleted_at) return "Message deleted";
  if (msg.file_path || msg.file_name) return `File: ${msg.file_name ?? "unnamed"}`;
  return String(msg.content ?? "").replace(/\s+/g, " ").trim();
}

/** "you left" -> "You left"; names are left as their owners wrote them. */
export function capitalise(text) {
  return text.startsWith("you ") ? `Y${text.slice(1)}` : text;
}
