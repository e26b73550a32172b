// Searching messages (GET /search, docs/protocol.md "Search"): a dialog
// whose results follow the typing, narrowed by conversation, person, dates
// and files only, best first with "Load more" for the next page. Choosing a
// result hands it to the page, which opens its conversation at the message.
//
// The field is a combobox over the results (as in the quick switcher): the
// arrow keys move through them (aria-activedescendant), Enter opens one,
// Escape (the dialog's own) closes and the dialog gives focus back. Answers
// can come back out of order: each request has a number, and an answer to
// any but the latest is dropped. The words found are marked with <mark>
// elements made here; no text from the server is ever parsed as HTML.

import { api } from "./api.js";
import { byId, el } from "./dom.js";
import { formatClock, formatDay, parseTimestamp } from "./format.js";
import { conversationName } from "./sidebar.js";
import { handleOf, nameOf } from "./people.js";

const TYPING_PAUSE_MS = 250; // the field is quiet this long: search
const PAGE = 20;
const OPEN = "open"; // the conversation filter's value for the open conversation
// A range open at one end is sent closed (docs/protocol.md: the index
// narrows only a closed range): from the earliest time, or up to the day
// after tomorrow, a day's margin for a clock behind the server's.
const EARLIEST = "1970-01-01T00:00:00Z";

/** Local midnight of a date field's "YYYY-MM-DD", `days` later; null when empty. */
function midnight(value, days = 0) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days) : null;
}

function dayAfterTomorrow() {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 2);
}

export class SearchDialog {
  #dialog = byId("search-dialog");
  #input = byId("search-input");
  #conversation = byId("search-conversation");
  #sender = byId("search-sender");
  #since = byId("search-since");
  #until = byId("search-until");
  #files = byId("search-files");
  #status = byId("search-status");
  #list = byId("search-results");
  #more = byId("search-more");
  #store;
  #people;
  #meId;
  #openId;
  #onChoose;
  #timer = null;
  #seq = 0; // the latest request's number
  #shown = null; // the query whose results are listed (a key), or null
  #results = [];
  #hasMore = false;
  #loadingMore = false;
  #selected = -1;

  /**
   * @param {object} o
   * @param {() => number|null} o.openId the open conversation's id
   * @param {(result: { message, conversation_id }) => void} o.onChoose
   */
  constructor({ store, people, meId, openId, onChoose }) {
    this.#store = store;
    this.#people = people;
    this.#meId = meId;
    this.#openId = openId;
    this.#onChoose = onChoose;
    this.#input.addEventListener("input", () => this.#schedule());
    this.#input.addEventListener("keydown", (e) => this.#onKey(e));
    for (const filter of [this.#conversation, this.#sender, this.#since, this.#until, this.#files]) {
      filter.addEventListener("change", () => this.#search());
    }
    // The browser's date picker offers no range the wrong way round.
    this.#since.addEventListener("change", () => {
      this.#until.min = this.#since.value;
    });
    this.#until.addEventListener("change", () => {
      this.#since.max = this.#until.value;
    });
    this.#more.addEventListener("click", () => this.#loadMore());
    this.#dialog.querySelector("[data-close]").addEventListener("click", () => this.#dialog.close());
    this.#dialog.addEventListener("click", (e) => {
      if (e.target === this.#dialog) this.#dialog.close(); // the backdrop
    });
    this.#dialog.addEventListener("close", () => {
      // What is still coming is for nobody now.
      clearTimeout(this.#timer);
      this.#seq += 1;
      this.#loadingMore = false;
    });
  }

  get isOpen() {
    return this.#dialog.open;
  }

  /** Opens the dialog with the last search (asked again, it may have changed); open already: back to its field. */
  open() {
    if (!this.#dialog.open) {
      this.#fillFilters();
      this.#dialog.showModal();
      this.#shown = null;
      this.#search();
    }
    this.#input.focus();
    this.#input.select();
  }

  // --- filters -------------------------------------------------------------

  /** The conversations and people to choose from, as they are now; a choice still there stays. */
  #fillFilters() {
    const name = (c) => conversationName(c, this.#people, this.#meId);
    const conversations = this.#store.all().filter((c) => c.conversation_id !== null && c.conversation_id !== undefined);
    const option = (c) => el("option", { text: name(c), attrs: { value: c.conversation_id } });
    const group = (label, list) => (list.length
      ? el("optgroup", { attrs: { label } }, list.sort((a, b) => name(a).localeCompare(name(b))).map(option))
      : null);
    this.#refill(this.#conversation, [
      el("option", { text: "All conversations", attrs: { value: "" } }),
      el("option", { text: "This conversation", attrs: { value: OPEN, disabled: this.#openId() === null } }),
      group("Rooms and groups", conversations.filter((c) => c.kind !== "direct")),
      group("Direct messages", conversations.filter((c) => c.kind === "direct")),
    ]);
    this.#refill(this.#sender, [
      el("option", { text: "Anyone", attrs: { value: "" } }),
      el("option", { text: "You", attrs: { value: this.#meId } }),
      ...this.#people.others().map((user) => el("option", {
        text: handleOf(user) ? `${nameOf(user)} (${handleOf(user)})` : nameOf(user),
        attrs: { value: user.id },
      })),
    ]);
  }

  #refill(select, options) {
    const kept = select.value;
    select.replaceChildren(...options.filter(Boolean));
    select.value = kept;
    if (select.selectedIndex < 0 || select.selectedOptions[0].disabled) select.value = "";
  }

  /** The request for what is typed and chosen; null when nothing is typed. */
  #params() {
    const q = this.#input.value.trim();
    if (!q) return null;
    const where = this.#conversation.value;
    const since = midnight(this.#since.value);
    const until = midnight(this.#until.value, 1); // the whole of that day
    const dated = since !== null || until !== null;
    return {
      q,
      conversation_id: where === OPEN ? this.#openId() : where ? Number(where) : null,
      sender_id: this.#sender.value ? Number(this.#sender.value) : null,
      after: dated ? since?.toISOString() ?? EARLIEST : null,
      before: dated ? (until ?? dayAfterTomorrow()).toISOString() : null,
      has_file: this.#files.checked ? true : null,
      limit: PAGE,
    };
  }

  // --- searching -----------------------------------------------------------

  #schedule() {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#search(), TYPING_PAUSE_MS);
  }

  async #search() {
    clearTimeout(this.#timer);
    const seq = ++this.#seq;
    this.#loadingMore = false;
    const params = this.#params();
    if (!params) {
      this.#show(null, [], false);
      this.#status.textContent = "";
      return;
    }
    this.#list.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await api.search(params);
    } catch (err) {
      if (seq !== this.#seq) return;
      this.#show(null, [], false);
      // A 401 ends the session; anything else is said as the server says it.
      if (err.status !== 401) this.#status.textContent = `Could not search: ${err.detail ?? err.message}`;
      return;
    }
    if (seq !== this.#seq) return;
    this.#show(params, page.results, page.more);
    this.#status.textContent = this.#summary(params);
  }

  async #loadMore() {
    if (!this.#shown || !this.#hasMore || this.#loadingMore) return;
    this.#loadingMore = true;
    const seq = this.#seq; // a new search drops this page
    const params = this.#shown;
    const from = this.#results.length;
    let page;
    try {
      page = await api.search({ ...params, offset: from });
    } catch (err) {
      if (seq !== this.#seq) return;
      this.#loadingMore = false;
      if (err.status !== 401) this.#status.textContent = `Could not load more: ${err.detail ?? err.message}`;
      return;
    }
    if (seq !== this.#seq) return;
    this.#loadingMore = false;
    const hadFocus = document.activeElement === this.#more;
    // Pages are cut from a ranking that may have moved meanwhile (a new
    // message): a result already listed is not listed twice.
    const listed = new Set(this.#results.map((r) => r.message.id));
    const fresh = page.results.filter((r) => !listed.has(r.message.id));
    this.#results.push(...fresh);
    this.#hasMore = page.more;
    this.#list.append(...fresh.map((result, i) => this.#item(result, from + i)));
    this.#more.hidden = !this.#hasMore;
    this.#status.textContent = this.#summary(params);
    if (fresh.length) this.#select(from);
    if (hadFocus && this.#more.hidden) this.#input.focus(); // the button is gone: back to the field
  }

  /** Lists results afresh (`params` null: none, nothing searched). */
  #show(params, results, more) {
    this.#shown = params;
    this.#results = [...results];
    this.#hasMore = more;
    this.#list.removeAttribute("aria-busy");
    this.#list.replaceChildren(...this.#results.map((result, i) => this.#item(result, i)));
    this.#list.hidden = this.#results.length === 0; // an empty listbox is not a listbox
    this.#input.setAttribute("aria-expanded", String(this.#results.length > 0));
    this.#more.hidden = !more;
    this.#select(this.#results.length ? 0 : -1);
  }

  /** What the live region says of the results listed. */
  #summary(params) {
    const n = this.#results.length;
    if (n === 0) {
      const narrowed = params.conversation_id !== null || params.sender_id !== null || params.after !== null
        || params.has_file !== null;
      return `No messages match “${params.q}”${narrowed ? " with these filters" : ""}.`;
    }
    const found = n === 1 ? "1 message found" : `${n} messages found`;
    return this.#hasMore ? `${found}, and more with Load more.` : `${found}.`;
  }

  // --- results -------------------------------------------------------------

  /** A result: where and when, then who said what, with the words found marked. */
  #item(result, index) {
    const msg = result.message;
    const date = parseTimestamp(msg.timestamp);
    const isFile = Boolean(msg.file_path || msg.file_name);
    return el("li", {
      className: "search-result",
      attrs: { id: `search-result-${index}`, role: "option", "aria-selected": "false" },
      dataset: { conversationId: result.conversation_id, messageId: msg.id },
      on: {
        click: () => this.#choose(index),
        // Keep focus in the field when a result is pressed.
        mousedown: (e) => e.preventDefault(),
      },
    },
    el("span", { className: "search-head" },
      el("span", { className: "search-where", text: this.#where(result) }),
      el("span", { className: "visually-hidden", text: ", " }),
      date && el("time", {
        className: "search-when", text: `${formatDay(date)}, ${formatClock(date)}`, attrs: { datetime: msg.timestamp },
      })),
    el("span", { className: "search-line" },
      el("span", { className: "search-who", text: this.#who(msg.sender_id) }),
      ": ",
      isFile && el("span", { className: "search-file", text: "File" }),
      isFile && " ",
      ...result.snippet.map((part) => (part.hit ? el("mark", { text: part.text }) : part.text))));
  }

  #who(userId) {
    return userId === this.#meId ? "You" : this.#people.displayName(userId);
  }

  /** The conversation's name; one left is no longer known by name. */
  #where(result) {
    const c = this.#store.get(result.conversation_id);
    return c ? conversationName(c, this.#people, this.#meId) : "A conversation you left";
  }

  #select(index) {
    const options = this.#list.children;
    this.#selected = index;
    for (const [i, option] of [...options].entries()) option.setAttribute("aria-selected", String(i === index));
    const option = options[index];
    if (option) {
      this.#input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      this.#input.removeAttribute("aria-activedescendant");
    }
  }

  #onKey(e) {
    if (e.isComposing) return;
    const count = this.#results.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!count) return;
      const down = e.key === "ArrowDown";
      if (down && this.#selected === count - 1) this.#loadMore(); // past the last: the next page
      else this.#select(Math.min(count - 1, Math.max(0, this.#selected + (down ? 1 : -1))));
    } else if (e.key === "Enter") {
      e.preventDefault();
      // Typed faster than the pause: the list is for older words, so search now.
      if (this.#key(this.#params()) !== this.#key(this.#shown)) this.#search();
      else if (this.#selected >= 0) this.#choose(this.#selected);
    }
  }

  #key(params) {
    return JSON.stringify(params);
  }

  #choose(index) {
    const result = this.#results[index];
    if (!result) return;
    // Closed first: the dialog gives focus back, then opening moves it on.
    this.#dialog.close();
    this.#onChoose(result);
  }
}
