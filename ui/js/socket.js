// The chat WebSocket: one connection per page, reconnected with capped,
// jittered exponential backoff, incoming frames dispatched by their `type`.
// Frame types nobody listens for are ignored, so the server can add new ones
// without breaking older pages.
//
// It also keeps the page's place in the server's event log (docs/protocol.md,
// "Event log and reconnecting"): the highest `seq` applied. The first
// connection asks for `sync=1` (the server answers `synced` with its current
// position; the page loads its state over HTTP); every later one asks for
// `after=SEQ`, and the server replays what was missed before `synced`. A
// frame whose `seq` is at most the cursor was applied already and is dropped
// here, so handlers may assume each change arrives once. `reset` (too much
// missed) moves the cursor and is passed on for the page to reload.

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export class ChatSocket {
  #base;
  #seq = null; // the highest event-log position applied; null until the first `synced`
  #ws = null;
  #handlers = new Map(); // type -> [handler]
  #statusHandlers = [];
  #attempt = 0;
  #timer = null;
  #stopped = false;

  constructor(token) {
    // Same host as the page, and wss: when the page came over https: (a
    // browser refuses ws: from a secure page).
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.#base = `${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`;
  }

  /** The event-log cursor, or null before the first `synced`. */
  get seq() {
    return this.#seq;
  }

  #url() {
    return this.#seq === null ? `${this.#base}&sync=1` : `${this.#base}&after=${this.#seq}`;
  }

  /** Call `handler(frame)` for every server frame of this type. */
  on(type, handler) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, []);
    this.#handlers.get(type).push(handler);
    return this;
  }

  /** Call `handler(state)` with "connecting", "open" or "closed". */
  onStatus(handler) {
    this.#statusHandlers.push(handler);
    return this;
  }

  get isOpen() {
    return this.#ws !== null && this.#ws.readyState === WebSocket.OPEN;
  }

  connect() {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#ws) return; // already connecting or open

    const ws = new WebSocket(this.#url());
    this.#ws = ws;
    this.#emitStatus("connecting");
    ws.addEventListener("open", () => {
      this.#attempt = 0;
      this.#emitStatus("open");
    });
    ws.addEventListener("message", (event) => this.#dispatch(event.data));
    // "error" is always followed by "close", which does the work. A refused
    // handshake (bad token) looks the same as a server that is down; the page
    // checks the token over HTTP when it sees "closed".
    ws.addEventListener("close", () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#emitStatus("closed");
      this.#scheduleReconnect();
    });
  }

  /** Skip the remaining backoff, e.g. when the network comes back. */
  reconnectNow() {
    if (this.#stopped || this.#ws) return;
    this.#attempt = 0;
    this.connect();
  }

  /** Send a frame; false if the socket is not open (nothing is queued, so the
   *  caller can tell the user instead of silently losing the message later). */
  send(frame) {
    if (!this.isOpen) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  /** Close for good (logout); no reconnect follows. */
  close() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(1000);
  }

  #scheduleReconnect() {
    if (this.#stopped) return;
    const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(this.#attempt, 10));
    // Jitter spreads out a LAN full of clients after a server restart.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#attempt += 1;
    this.#timer = setTimeout(() => this.connect(), delay);
  }

  #emitStatus(state) {
    for (const handler of this.#statusHandlers) handler(state);
  }

  #dispatch(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;
    const seq = Number.isInteger(frame.seq) ? frame.seq : null;
    if (frame.type === "synced" || frame.type === "reset") {
      // `reset` jumps forward whatever was missed; `synced` never moves back.
      if (seq !== null && (frame.type === "reset" || this.#seq === null || seq > this.#seq)) this.#seq = seq;
    } else if (seq !== null) {
      if (this.#seq !== null && seq <= this.#seq) return; // applied already
      this.#seq = seq;
    }
    for (const handler of this.#handlers.get(frame.type) ?? []) {
      // One faulty handler must not starve the others or kill the socket loop.
      try {
        handler(frame);
      } catch (err) {
        console.error(`handler for "${frame.type}" failed`, err);
      }
    }
  }
}
