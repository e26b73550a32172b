// Light/dark theme. The page follows the system setting until the user picks
// one with the toggle; the pick is kept in localStorage and shared by every
// page. <html data-theme> always names the active theme, so CSS and tests
// have one thing to look at. theme.css also applies the system's dark
// palette on its own, so the page is right before this module has run.

const KEY = "chatterbox.theme"; // "light" | "dark"; absent = follow the system
const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

function stored() {
  const value = localStorage.getItem(KEY);
  return value === "light" || value === "dark" ? value : null;
}

function active() {
  return stored() ?? (systemDark.matches ? "dark" : "light");
}

const listeners = [];

function apply() {
  const theme = active();
  document.documentElement.dataset.theme = theme;
  for (const listener of listeners) listener(theme);
}

let started = false;

/** Set data-theme now and keep it in step with the system and other tabs. */
export function applyStoredTheme() {
  apply();
  if (started) return;
  started = true;
  systemDark.addEventListener("change", apply);
  window.addEventListener("storage", (e) => {
    if (e.key === KEY) apply();
  });
}

/** Wire the toggle button: it flips between light and dark and says which
 *  theme a press will switch to. */
export function initThemeToggle(button) {
  const render = (theme) => {
    const next = theme === "dark" ? "light" : "dark";
    button.setAttribute("aria-pressed", String(theme === "dark"));
    button.title = `Switch to ${next} mode`;
    button.dataset.theme = theme;
  };
  listeners.push(render);
  applyStoredTheme();
  button.addEventListener("click", () => {
    const next = active() === "dark" ? "light" : "dark";
    localStorage.setItem(KEY, next);
    apply();
  });
}
