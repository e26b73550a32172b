// HTTP access to the ChatterBox server. One `request` adds the bearer token,
// turns `{"detail": ...}` error bodies into thrown ApiErrors, and ends the
// session when the server rejects the token, so callers only handle the
// errors that mean something to them. File uploads go through one helper,
// which hands files picked in the desktop app to the app (see desktop.js).

import { PickedFile, isDesktop, setSession, uploadPicked } from "./desktop.js";

// The seed contract's localStorage keys: the desktop app and older pages
// read the same ones.
const TOKEN_KEY = "token";
const USER_KEY = "user_id";

const DESKTOP_GRACE_MS = 2000;

export const session = {
  get token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  get userId() {
    const id = Number(localStorage.getItem(USER_KEY));
    return Number.isInteger(id) && id > 0 ? id : null;
  },
  save(token, userId) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, String(userId));
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
};

/** A failed call. `status` is 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, detail, retryAfter = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.retryAfter = retryAfter; // seconds, from a 429's Retry-After
  }
}

/** Forget the token and go to the login page. `replace` keeps the chat page
 *  out of history, so Back cannot land on a page that would bounce again.
 *  `notice` is a key the login page knows (see auth.js), not free text, so a
 *  crafted link cannot put words in our mouth. */
export function endSession(notice = null) {
  session.clear();
  const leave = () => location.replace(notice ? `/?notice=${encodeURIComponent(notice)}` : "/");
  if (!isDesktop) {
    leave();
    return;
  }
  // The app's own socket uses our token for notifications; it must forget it
  // before we go. Leaving can cancel a call still in flight, hence the wait,
  // bounded so a stuck app cannot keep us on a page without a session.
  const bounded = new Promise((resolve) => setTimeout(resolve, DESKTOP_GRACE_MS));
  Promise.race([setSession(null, null), bounded]).then(leave);
}

function detailOf(body, res) {
  const detail = body && body.detail;
  if (typeof detail === "string" && detail) return detail;
  // Validation errors in the FastAPI shape: [{loc, msg, type}, ...].
  if (Array.isArray(detail)) {
    const msgs = detail.map((d) => d && d.msg).filter(Boolean);
    if (msgs.length) return msgs.join("; ");
  }
  if (res.status === 413) return "That file is too large.";
  // statusText is empty over HTTP/2, hence the fallback.
  return res.statusText || `Request failed (${res.status})`;
}

function retryAfterOf(res) {
  // Only the delay-seconds form; an HTTP date is rare enough to ignore.
  const secs = Number(res.headers.get("Retry-After"));
  return Number.isFinite(secs) && secs > 0 ? Math.ceil(secs) : null;
}

/**
 * @param {object} [opts]
 * @param {*} [opts.json]     body sent as JSON
 * @param {FormData} [opts.form] body sent as multipart (the browser sets the boundary)
 * @param {boolean} [opts.auth=true] false for login/register: no token is sent
 *   and a 401 is an ordinary error ("Invalid credentials"), not a logout.
 */
export async function request(method, path, { json, form, auth = true } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const token = session.token;
  if (auth && token) headers.Authorization = `Bearer ${token}`;

  let res, text;
  try {
    res = await fetch(path, { method, headers, body, credentials: "same-origin" });
    text = await res.text();
  } catch {
    throw new ApiError(0, "Cannot reach the server. Check your connection.");
  }

  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null; // e.g. an HTML error page from a proxy
    }
  }
  if (res.ok) return data;

  if (res.status === 401 && auth) endSession("expired");
  throw new ApiError(res.status, detailOf(data, res), retryAfterOf(res));
}

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/**
 * POST a file with upload progress, with the same error handling as
 * `request`. Returns { promise, abort }. A browser File goes by
 * XMLHttpRequest (fetch() cannot report upload progress); a file picked in
 * the desktop app is sent by the app, which holds its bytes.
 * @param {File|PickedFile} file
 * @param {(fraction: number) => void} onProgress 0..1
 */
export function uploadWithProgress(path, file, onProgress) {
  if (file instanceof PickedFile) return uploadThroughApp(path, file, onProgress);
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", path);
    xhr.setRequestHeader("Accept", "application/json");
    const token = session.token;
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      const data = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      if (xhr.status === 401) endSession("expired");
      // detailOf reads status/statusText/headers; an XHR has all three.
      const res = { status: xhr.status, statusText: xhr.statusText, headers: { get: (h) => xhr.getResponseHeader(h) } };
      reject(new ApiError(xhr.status, detailOf(data, res), retryAfterOf(res)));
    });
    // A server that refuses a huge body early may reset the connection
    // before we read its 413; "error" is all we get then.
    xhr.addEventListener("error", () => reject(new ApiError(0, "Upload failed: the connection was lost.")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "Upload cancelled.")));
    xhr.send(fileForm(file));
  });
  return { promise, abort: () => xhr.abort() };
}

/** The app answers like the server: the JSON body, or { status, detail }. */
function uploadThroughApp(path, file, onProgress) {
  const upload = uploadPicked(file, path, session.token, (sent, total) => {
    if (total > 0) onProgress(Math.min(1, sent / total));
  });
  const promise = upload.promise.catch(({ status, detail }) => {
    if (status === 401) endSession("expired");
    const res = { status, statusText: "" };
    throw new ApiError(status, detailOf({ detail }, res));
  });
  return { promise, abort: upload.abort };
}

function fileForm(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  return form;
}

const enc = encodeURIComponent;

/** "?a=1&b=2" of the parameters that are set, or "". */
function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export const api = {
  register: (username, password) =>
    request("POST", "/register", { json: { username, password }, auth: false }),
  login: (username, password) =>
    request("POST", "/login", { json: { username, password }, auth: false }),
  logout: () => request("POST", "/logout"),
  /** Sets the HttpOnly cookie that lets <img> and links fetch /static/ files. */
  sessionCookie: () => request("POST", "/session-cookie"),
  users: () => request("GET", "/users"),
  changePassword: (oldPassword, newPassword) =>
    request("POST", "/change-password", {
      json: { old_password: oldPassword, new_password: newPassword },
    }),
  uploadProfile: (file) => uploadWithProgress("/upload-profile", file, () => {}).promise,
  removeProfile: () => request("POST", "/remove-profile"),
  updateAbout: (about) => request("POST", "/update-about", { json: { about } }),
  /** Blank clears it: the username shows again. */
  updateDisplayName: (displayName) => request("POST", "/update-display-name", { json: { display_name: displayName } }),

  // --- conversations (docs/protocol.md) ---
  /** The caller's conversations, most recent activity first. */
  conversations: () => request("GET", "/conversations"),
  /** One conversation with its members. */
  conversation: (id) => request("GET", `/conversations/${enc(id)}`),
  /** { kind: "room"|"group", title, members: [user ids] } */
  createConversation: (body) => request("POST", "/conversations", { json: body }),
  rename: (id, title) => request("PATCH", `/conversations/${enc(id)}`, { json: { title } }),
  rooms: () => request("GET", "/rooms"),
  join: (id) => request("POST", `/conversations/${enc(id)}/join`),
  leave: (id) => request("POST", `/conversations/${enc(id)}/leave`),
  addMember: (id, userId) => request("POST", `/conversations/${enc(id)}/members`, { json: { user_id: userId } }),
  removeMember: (id, userId) => request("DELETE", `/conversations/${enc(id)}/members/${enc(userId)}`),
  setRole: (id, userId, role) =>
    request("PUT", `/conversations/${enc(id)}/members/${enc(userId)}/role`, { json: { role } }),
  /** A page of messages, oldest first: the newest `limit`, or those before/after a message id. */
  messages: (id, { before = null, after = null, limit = null } = {}) =>
    request("GET", `/conversations/${enc(id)}/messages${query({ before, after, limit })}`),
  deleteMessage: (id, messageId) => request("DELETE", `/conversations/${enc(id)}/messages/${enc(messageId)}`),
  /** Add or take back the caller's reaction; answers the message's reactions now. */
  react: (id, messageId, emoji) =>
    request("PUT", `/conversations/${enc(id)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`),
  unreact: (id, messageId, emoji) =>
    request("DELETE", `/conversations/${enc(id)}/messages/${enc(messageId)}/reactions/${enc(emoji)}`),
  markRead: (id, messageId) => request("POST", `/conversations/${enc(id)}/read`, { json: { message_id: messageId } }),
  /**
   * Messages by their words, best first (docs/protocol.md, "Search"): `{ q, conversation_id, sender_id,
   * after, before, has_file, limit, offset }`, unset ones null; answers `{ results, more }`.
   */
  search: (params) => request("GET", `/search${query(params)}`),
  settings: () => request("GET", "/settings"),
  saveSettings: (settings) => request("PUT", "/settings", { json: settings }),
  setNotify: (id, notify) => request("PUT", `/conversations/${enc(id)}/notifications`, { json: { notify } }),
  /** Into a conversation by id, or (a direct one not started yet) to a person. */
  uploadFile: ({ conversationId = null, receiverId = null }, file, onProgress) =>
    uploadWithProgress(`/upload-file${conversationId !== null
      ? query({ conversation_id: conversationId }) : query({ receiver_id: receiverId })}`, file, onProgress),
};
