// The message list as one stop in the tab order (a roving tabindex): one
// entry has tabindex 0, the others -1, and the arrow keys move focus between
// entries. Links and buttons inside an entry are in the tab order only while
// focus is in that entry, so Tab goes on from a message into its links, yet
// coming back into the list lands on the message, and no other message's
// links are tab stops; the hover bar's buttons never are (the menu offers
// the same actions). Enter, the context-menu key or Shift+F10 asks for the
// entry's menu; other keys go to `onKey` (shortcuts).
//
// The list is drawn by messages.js; this module only watches it, so entries
// can come and go (history pages, live messages, a conversation switch)
// without telling it.

const ENTRY = "li.msg, li.notice";
const INNER = "a[href], button, input, textarea, select";
const PAGE_STEP = 10;

export class ListNavigator {
  #list;
  #current = null;
  #chosen = false; // the reader went to an entry; until then the newest is current
  #onMenu;
  #onKey;

  /**
   * @param {HTMLElement} listEl
   * @param {(li: HTMLElement) => void} onMenu
   * @param {(li: HTMLElement, e: KeyboardEvent) => boolean} onKey true if it used the key
   */
  constructor(listEl, onMenu, onKey) {
    this.#list = listEl;
    this.#onMenu = onMenu;
    this.#onKey = onKey;
    new MutationObserver((records) => this.#sync(records)).observe(listEl, { childList: true, subtree: true });
    listEl.addEventListener("focusin", (e) => {
      const entry = e.target.closest(ENTRY);
      if (!entry) return;
      this.#chosen = true;
      if (entry !== this.#current) this.#makeCurrent(entry);
      this.#setInner(entry, true);
    });
    listEl.addEventListener("focusout", (e) => {
      const entry = e.target.closest(ENTRY);
      if (entry && !entry.contains(e.relatedTarget)) this.#setInner(entry, false);
    });
    listEl.addEventListener("keydown", (e) => this.#keydown(e));
  }

  /**
   * Moves focus to an entry (it becomes the current one), also one just
   * drawn, which is not focusable until the list's changes are seen.
   */
  focus(li, options = {}) {
    this.#makeCurrent(li);
    li.focus(options);
  }

  #entries() {
    return [...this.#list.querySelectorAll(`:scope > :is(${ENTRY})`)];
  }

  #keydown(e) {
    const li = e.target;
    if (!li.matches?.(ENTRY) || li.parentElement !== this.#list || e.isComposing) return;
    const plain = !e.ctrlKey && !e.metaKey && !e.altKey;
    if ((e.key === "Enter" && plain) || e.key === "ContextMenu" || (e.key === "F10" && e.shiftKey)) {
      e.preventDefault();
      this.#onMenu(li);
      return;
    }
    if (!plain) return;
    const entries = this.#entries();
    const at = entries.indexOf(li);
    const to = {
      ArrowDown: at + 1, ArrowUp: at - 1, PageDown: at + PAGE_STEP, PageUp: at - PAGE_STEP,
      Home: 0, End: entries.length - 1,
    }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      this.focus(entries[Math.min(entries.length - 1, Math.max(0, to))]);
    } else if (this.#onKey(li, e)) {
      e.preventDefault();
    }
  }

  #makeCurrent(li) {
    const previous = this.#current;
    this.#current = li;
    if (previous && previous !== li) previous.tabIndex = -1;
    li.tabIndex = 0;
  }

  /** Links and buttons in an entry: tabbable only while focus is in it, bar buttons never. */
  #setInner(root, tabbable) {
    const inner = root.matches(INNER) ? [root] : [...root.querySelectorAll(INNER)];
    for (const node of inner) {
      if (tabbable && !node.closest(".msg-tools")) node.removeAttribute("tabindex");
      else node.tabIndex = -1;
    }
  }

  #sync(records) {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        const entry = node.closest(ENTRY);
        if (!entry) continue;
        if (node === entry) entry.tabIndex = entry === this.#current ? 0 : -1;
        this.#setInner(node, entry.contains(document.activeElement));
      }
    }
    // Until the reader picks one, and after theirs went (a conversation
    // switch), Tab into the list lands on the newest entry.
    if (!this.#current?.isConnected) this.#chosen = false;
    if (!this.#chosen) {
      const newest = this.#entries().at(-1);
      if (newest && newest !== this.#current) this.#makeCurrent(newest);
    }
  }
}
