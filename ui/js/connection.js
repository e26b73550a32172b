// What the user sees of the WebSocket's state: a small line under their
// name, and the #reconnect-banner while the socket is down. The first
// "connecting" of a page load is not "down" and shows no banner; every
// state after a failure or a drop is, until the socket is open again.

export class ConnectionStatus {
  #line;
  #banner;
  #down = false;

  constructor(line, banner) {
    this.#line = line;
    this.#banner = banner;
  }

  /** @param {"connecting"|"open"|"closed"} state */
  update(state) {
    if (state === "closed") this.#down = true;
    if (state === "open") this.#down = false;
    this.#line.dataset.state = state;
    this.#line.textContent = state === "open" ? "Connected" : this.#down ? "Reconnecting…" : "Connecting…";
    this.#banner.hidden = !this.#down;
  }
}
