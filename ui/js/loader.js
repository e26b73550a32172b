// The page's state from the server over HTTP: everyone (GET /users), the
// caller's conversations with their unread counts (GET /conversations), and
// single conversations the page meets for the first time (added to a group,
// a direct conversation someone starts).
//
// The first load waits for the socket's first `synced`, so nothing between
// the snapshot and the live frames is missed (docs/protocol.md, sync=1). A
// socket slow to come up must not keep the page empty: after a short wait
// it loads anyway, and loads again once synced.

import { api } from "./api.js";

const FIRST_SYNC_WAIT_MS = 1500;

export class Loader {
  #people;
  #store;
  #mark;
  #onFetched;
  #fetching = new Map(); // conversation id -> promise of GET /conversations/{id}
  #first = null; // the first load's promise
  #synced = false;

  /**
   * @param {() => number} mark taken before a conversation is fetched, handed back with it
   * @param {(detail: object, mark: number) => void} onFetched a conversation fetched by id, after it is in the store
   */
  constructor(people, store, mark, onFetched) {
    this.#people = people;
    this.#store = store;
    this.#mark = mark;
    this.#onFetched = onFetched;
  }

  async people() {
    this.#people.set(await api.users());
  }

  /** People, conversations and unread counts. */
  async all() {
    const [, list] = await Promise.all([this.people(), api.conversations()]);
    this.#store.set(Array.isArray(list) ? list : []);
  }

  /** A conversation by id into the store; resolves with it, or null if it could not be had. */
  conversation(id) {
    if (this.#fetching.has(id)) return this.#fetching.get(id);
    const mark = this.#mark();
    const job = api.conversation(id)
      .then((detail) => {
        this.#store.upsert(detail);
        this.#onFetched(detail, mark);
        return detail;
      })
      .catch(() => null)
      .finally(() => this.#fetching.delete(id));
    this.#fetching.set(id, job);
    return job;
  }

  /**
   * Start: `before` (the session cookie) first, then the state once the
   * socket has synced; `after` runs once, after the first load.
   * @returns {(frame) => void} the handler for `synced` frames
   */
  start(before, after, onError) {
    const loadOnce = () => {
      this.#first ??= before.then(() => this.all()).then(after).catch(onError);
      return this.#first;
    };
    setTimeout(loadOnce, FIRST_SYNC_WAIT_MS);
    return () => {
      if (this.#synced) return; // a reconnect's `synced` closes a backfill, nothing to load
      this.#synced = true;
      if (this.#first) this.all().catch(() => {});
      else loadOnce();
    };
  }
}
