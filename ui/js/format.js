// Turning wire values into display values: timestamps, sizes, file URLs.

export const DEFAULT_AVATAR = "/static/default.png";

/**
 * Parse a server timestamp into a Date. Ours end in "Z"; the original's had no
 * zone and SQLite's may use a space, both meaning UTC. Fractions are cut to
 * milliseconds because not every engine parses microseconds.
 */
export function parseTimestamp(value) {
  if (typeof value !== "string") return null;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim());
  if (!m) return null;
  const [, day, clock, fraction = "", zone = "Z"] = m;
  const date = new Date(`${day}T${clock}${fraction.slice(0, 4)}${zone.toUpperCase()}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function isYesterday(date) {
  const y = new Date();
  y.setDate(y.getDate() - 1);
  return sameDay(date, y);
}

/** "14:05" (or "2:05 PM"), in the viewer's locale and time zone. */
export function formatClock(date) {
  return CLOCK.format(date);
}

// One formatter each, made once: making one per call was most of drawing a message.
const CLOCK = new Intl.DateTimeFormat([], { hour: "numeric", minute: "2-digit" });
const FULL = new Intl.DateTimeFormat([], { dateStyle: "full", timeStyle: "short" });

/** Label for a day separator: Today, Yesterday, or a date. */
export function formatDay(date) {
  if (sameDay(date, new Date())) return "Today";
  if (isYesterday(date)) return "Yesterday";
  const sameYear = date.getFullYear() === new Date().getFullYear();
  return date.toLocaleDateString([], {
    weekday: "short", day: "numeric", month: "short", year: sameYear ? undefined : "numeric",
  });
}

export function formatFull(date) {
  return FULL.format(date);
}

/** Status line for a user: "Online", "Last seen today at 14:05", ... */
export function formatPresence(isOnline, lastSeen) {
  if (isOnline) return "Online";
  const date = parseTimestamp(lastSeen);
  if (!date) return "Offline";
  if (sameDay(date, new Date())) return `Last seen today at ${formatClock(date)}`;
  if (isYesterday(date)) return `Last seen yesterday at ${formatClock(date)}`;
  return `Last seen ${date.toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" })}`;
}

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * URL for a stored upload. The server hands out relative paths such as
 * "static/files/3_ab12_report.pdf"; anything else (absolute URLs, "..",
 * other schemes) is refused so a crafted value cannot become a link elsewhere.
 * Segments are percent-encoded because stored names may contain spaces or "#".
 */
export function staticUrl(path) {
  if (typeof path !== "string") return null;
  const rel = path.replace(/^\/+/, "");
  if (!rel.startsWith("static/")) return null;
  const parts = rel.split("/");
  if (parts.some((p) => p === "" || p === "." || p === ".." || p.includes("\\"))) return null;
  return "/" + parts.map(encodeURIComponent).join("/");
}

export function avatarUrl(profilePic) {
  return staticUrl(profilePic) ?? DEFAULT_AVATAR;
}

/** A conversation list's time: the clock today, "Yesterday", a weekday within a week, else a date. */
export function formatShort(date) {
  if (sameDay(date, new Date())) return formatClock(date);
  if (isYesterday(date)) return "Yesterday";
  const age = Date.now() - date.getTime();
  if (age > 0 && age < 6 * 24 * 3600 * 1000) return date.toLocaleDateString([], { weekday: "short" });
  return date.toLocaleDateString([], { day: "numeric", month: "short" });
}
