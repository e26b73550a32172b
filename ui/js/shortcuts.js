// Keys that work anywhere on the chat page: Ctrl+K (Cmd+K) opens or closes
// the quick switcher, Ctrl+Shift+F (or "/" outside a text field) opens the
// message search, Alt+↑ / Alt+↓ open the previous / next conversation in
// the sidebar, and Escape closes what is open or else goes back to the
// composer. Keys a focused control used already (defaultPrevented: the
// message menu, the edit box) and everything while a modal dialog is open
// (it handles its own keys; only Ctrl+K closes the switcher, and
// Ctrl+Shift+F goes back to the search's field) are left alone.

// Where "/" is typed, not a shortcut.
const TEXT_FIELD = 'textarea, select, [contenteditable]:not([contenteditable="false"]), input:not('
  + '[type="checkbox"], [type="radio"], [type="button"], [type="submit"], [type="reset"], [type="file"], [type="range"], '
  + '[type="color"])';

/** Whether the key is this letter: by its letter, or by its place for scripts without it. */
function isLetter(e, letter) {
  return e.key.toLowerCase() === letter || (!/^[a-z]$/i.test(e.key) && e.code === `Key${letter.toUpperCase()}`);
}

/**
 * @param {object} o
 * @param {{ isOpen: boolean, open(), close() }} o.switcher
 * @param {{ isOpen: boolean, open() }} o.search
 * @param {(step: 1|-1) => void} o.step
 * @param {() => boolean} o.escape true if it did something
 */
export function installShortcuts({ switcher, search, step, escape }) {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.isComposing) return;
    const modal = document.querySelector("dialog[open]") !== null;
    const only = (mods) => ["ctrlKey", "metaKey", "altKey", "shiftKey"].every((m) => e[m] === mods.includes(m));
    if (isLetter(e, "k") && (only(["ctrlKey"]) || only(["metaKey"]))) {
      if (modal && !switcher.isOpen) return;
      e.preventDefault();
      if (switcher.isOpen) switcher.close();
      else switcher.open();
      return;
    }
    if (isLetter(e, "f") && only(["ctrlKey", "shiftKey"])) {
      if (modal && !search.isOpen) return;
      e.preventDefault();
      search.open();
      return;
    }
    if (modal) return;
    // Shift too: on some keyboards "/" is a shifted key.
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !e.target.closest?.(TEXT_FIELD)) {
      e.preventDefault();
      search.open();
      return;
    }
    if ((e.key === "ArrowUp" || e.key === "ArrowDown") && only(["altKey"])) {
      e.preventDefault();
      step(e.key === "ArrowDown" ? 1 : -1);
    } else if (e.key === "Escape" && only([])) {
      // A search box's Escape empties it first (the browser does that).
      if (e.target.matches?.('input[type="search"]') && e.target.value) return;
      if (escape()) e.preventDefault();
    }
  });
}
