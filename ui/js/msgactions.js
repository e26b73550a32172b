// What can be done to a message: one registry of actions, each with its
// label, shortcut key and a predicate saying whether it applies to a given
// message. The hover bar (bubbles.js), the keyboard menu and the letter
// shortcuts (messages.js) all read it, so a new action (reply, react) is one
// `add` call and shows up in all three.
//
// Touch screens have no hover: there a long press on a message shows its bar.

/**
 * An action:
 *   key      a word naming it; the bar's button gets the class `msg-<key>`
 *   text     the bar button's short text ("Edit")
 *   label    (target) => its full name ("Edit message"), for the menu and screen readers
 *   hint     the shortcut as shown ("E"); keys: the KeyboardEvent.key values that run it
 *   order    where it goes among the others (lower first)
 *   danger   drawn as destructive
 *   shown    (target) => whether it applies
 *   run      (target) => do it
 * A target is { msg, mine, admin, kind: "text"|"file", conversation, senderName,
 * li } (li: the message's list item, to place a popup beside it). Actions are
 * added at start-up, before messages are drawn: a bar is built with its
 * message.
 */
export class MessageActions {
  #actions = [];

  add(action) {
    if (this.#actions.some((a) => a.key === action.key)) throw new Error(`message action ${action.key} added twice`);
    this.#actions.push({ order: 50, danger: false, keys: [], ...action });
    this.#actions.sort((a, b) => a.order - b.order);
  }

  /** The actions that apply to a target, bound to it: [{ key, text, label, hint, keys, danger, run() }]. */
  for(target) {
    return this.#actions.filter((a) => a.shown(target)).map((a) => ({
      key: a.key,
      text: a.text,
      label: a.label(target),
      hint: a.hint,
      keys: a.keys,
      danger: a.danger,
      run: () => a.run(target),
    }));
  }
}

/**
 * What every message offers where it applies: edit (our own text), copy
 * (text), delete (our own, and in rooms and groups anyone's for an admin).
 * @param {object} handlers { edit(msg), copy(msg), remove(conversation, msg) }
 */
export function addBasicActions(actions, { edit, copy, remove }) {
  actions.add({
    key: "edit",
    text: "Edit",
    label: () => "Edit message",
    hint: "E",
    keys: ["e"],
    order: 30,
    shown: (t) => t.mine && t.kind === "text",
    run: (t) => edit(t.msg),
  });
  actions.add({
    key: "copy",
    text: "Copy",
    label: () => "Copy text",
    hint: "C",
    keys: ["c"],
    order: 40,
    shown: (t) => t.kind === "text",
    run: (t) => copy(t.msg),
  });
  actions.add({
    key: "delete",
    text: "Delete",
    label: (t) => (t.mine ? "Delete message" : `Delete message from ${t.senderName}`),
    hint: "Del",
    // Backspace too: a Mac's "delete" key sends it. Deleting asks first.
    keys: ["Delete", "Backspace"],
    order: 90,
    danger: true,
    shown: (t) => t.mine || t.admin,
    run: (t) => remove(t.conversation, t.msg),
  });
}

/** The action of `entries` (from `for`) that a key press names, or null. */
export function actionForKey(entries, key) {
  const pressed = key.length === 1 ? key.toLowerCase() : key;
  return entries.find((a) => a.keys.includes(pressed)) ?? null;
}

const HOLD_MS = 500;
const SLOP_PX = 10; // a finger that moves this far is scrolling, not holding

/**
 * A touch held still on a message for half a second shows that message's
 * action bar (`tools-open`), until the next touch elsewhere.
 */
export function revealOnLongPress(listEl) {
  let open = null;
  const close = () => {
    open?.classList.remove("tools-open");
    open = null;
  };
  listEl.addEventListener("pointerdown", (e) => {
    if (e.pointerType !== "touch") return;
    const li = e.target.closest("li.msg");
    if (open && open !== li) close();
    if (!li || !li.querySelector(".msg-tools > button")) return;
    const timer = setTimeout(() => {
      close();
      open = li;
      li.classList.add("tools-open");
    }, HOLD_MS);
    const stop = () => {
      clearTimeout(timer);
      listEl.removeEventListener("pointermove", moved);
      listEl.removeEventListener("pointerup", stop);
      listEl.removeEventListener("pointercancel", stop);
    };
    const moved = (m) => {
      if (Math.hypot(m.clientX - e.clientX, m.clientY - e.clientY) > SLOP_PX) stop();
    };
    listEl.addEventListener("pointermove", moved);
    listEl.addEventListener("pointerup", stop);
    listEl.addEventListener("pointercancel", stop);
  });
  // The browser's own long-press menu would cover the bar just shown.
  listEl.addEventListener("contextmenu", (e) => {
    if (open && open.contains(e.target)) e.preventDefault();
  });
  document.addEventListener("pointerdown", (e) => {
    if (open && !open.contains(e.target)) close();
  });
}
