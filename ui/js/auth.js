// The login and register pages. Both use this module; the form's
// data-mode ("login" or "register") says which one we are on.

import { api, session, ApiError } from "./api.js";
import { byId, showMessage } from "./dom.js";
import { applyStoredTheme } from "./theme.js";

applyStoredTheme();

const USERNAME_RE = /^[A-Za-z0-9_.-]{3,32}$/;

const form = byId("auth-form");
const mode = form.dataset.mode;
const username = byId("username");
const password = byId("password");
const confirm = document.getElementById("confirm"); // register page only
const errorBox = byId("form-error");
const submit = form.querySelector('button[type="submit"]');

// Already logged in: go straight to the chat. A stale token costs one bounce:
// the chat page gets a 401, clears it and sends us back here.
if (mode === "login" && session.token) location.replace("/chat-page");

// Notices arrive as keys in the query string (see api.js endSession), never
// as text, so a crafted link cannot show arbitrary words on our page.
const NOTICES = {
  registered: "Account created. Log in to continue.",
  expired: "Your session ended, please log in again.",
  "logged-out": "You have been logged out.",
};
const params = new URLSearchParams(location.search);
const noticeKey = params.has("registered") ? "registered" : params.get("notice");
if (noticeKey && Object.hasOwn(NOTICES, noticeKey)) showMessage(byId("form-notice"), NOTICES[noticeKey]);

function fail(message, field = null) {
  for (const input of [username, password, confirm]) input?.removeAttribute("aria-invalid");
  showMessage(errorBox, message);
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

/** Returns an error message and the field at fault, or null when valid.
 *  Login checks presence only: accounts made before the rules existed must
 *  still be able to log in. */
function validate() {
  if (!username.value.trim()) return ["Enter your username.", username];
  if (!password.value) return ["Enter your password.", password];
  if (mode !== "register") return null;
  if (!USERNAME_RE.test(username.value.trim())) {
    return ["Usernames are 3–32 characters: letters, digits, _ . -", username];
  }
  // Count code points, not UTF-16 units, like the server's character count.
  const length = [...password.value].length;
  if (length < 8 || length > 128) return ["Passwords are 8–128 characters.", password];
  if (confirm && confirm.value !== password.value) return ["The passwords do not match.", confirm];
  return null;
}

function explain(err) {
  if (!(err instanceof ApiError)) return "Something went wrong. Please try again.";
  if (err.status === 429) {
    return err.retryAfter
      ? `Too many attempts. Try again in ${err.retryAfter} seconds.`
      : "Too many attempts. Please wait a moment and try again.";
  }
  return err.detail;
}

/** Which input a server rejection points at, so focus lands there. */
function fieldAtFault(err) {
  if (!(err instanceof ApiError)) return null;
  if (err.status === 401) return password; // "Invalid credentials"
  if (err.status === 400 || err.status === 422) {
    return /password/i.test(err.detail) ? password : username;
  }
  return null;
}

async function logIn(name, pass) {
  const { token, user_id: userId } = await api.login(name, pass);
  session.save(token, userId);
  location.replace("/chat-page");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const problem = validate();
  if (problem) {
    fail(...problem);
    return;
  }
  fail("");

  const name = username.value.trim();
  const pass = password.value;
  submit.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    if (mode === "register") {
      await api.register(name, pass);
      // Log straight in; if that fails (rate limit, say), the account still
      // exists, so send the user to the login page with a notice.
      try {
        await logIn(name, pass);
      } catch {
        location.replace("/?registered=1");
      }
    } else {
      await logIn(name, pass);
    }
  } catch (err) {
    fail(explain(err), fieldAtFault(err));
  } finally {
    submit.disabled = false;
    form.removeAttribute("aria-busy");
  }
});
