// Keys that work anywhere on the chat page: Ctrl+K (Cmd+K) opens or closes
// the quick switcher, Alt+↑ / Alt+↓ open the previous / next conversation
// in the sidebar, and Escape closes what is open or else goes back to the
// composer. Keys a focused control used already (defaultPrevented: the
// message menu, the edit box) and everything while a modal dialog is open
// (it handles its own keys; only Ctrl+K closes the switcher) are left alone.

/**
 * @param {object} o
 * @param {{ isOpen: boolean, open(), close() }} o.switcher
 * @param {(step: 1|-1) => void} o.step
 * @param {() => boolean} o.escape true if it did something
 */
export function installShortcuts({ switcher, step, escape }) {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.isComposing) return;
    const modal = document.querySelector("dialog[open]") !== null;
    const only = (mods) => ["ctrlKey", "metaKey", "altKey", "shiftKey"].every((m) => e[m] === mods.includes(m));
    // By the key's letter; by its place on the keyboard for scripts without a k.
    const isK = e.key.toLowerCase() === "k" || (!/^[a-z]$/i.test(e.key) && e.code === "KeyK");
    if (isK && (only(["ctrlKey"]) || only(["metaKey"]))) {
      if (modal && !switcher.isOpen) return;
      e.preventDefault();
      if (switcher.isOpen) switcher.close();
      else switcher.open();
      return;
    }
    if (modal) return;
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
