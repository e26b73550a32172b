// The end-to-end harness: runs the real chatterbox-server (built beforehand,
// this module builds nothing) on a free loopback port with a temporary data
// directory, and drives headless Chromium through playwright-core.
//
// Every wait here is a condition being polled (a line on stdout, /healthz
// answering, a process exiting), never a fixed sleep.

import { spawn } from "node:child_process";
import { mkdtemp, mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";
import WebSocket from "ws";

const here = path.dirname(fileURLToPath(import.meta.url));

export const SERVER_BIN =
  process.env.CHATTERBOX_BIN || path.resolve(here, "../target/debug/chatterbox-server");
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const ARTIFACTS = path.resolve(here, "artifacts");

/** How long a single expectation may take before the test fails. Generous
 *  for CI's two cores, yet short enough that a missing feature fails fast. */
export const WAIT_MS = 10_000;

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

// Servers still running when this process ends (a crashed test) are killed,
// so no stray server outlives the suite.
const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Starts a server on a free port with a fresh data dir. The returned object
 * can stop and start it again on the same port and data dir (a restart, as an
 * administrator would do it), and `close()` stops it and removes the data.
 */
export async function startServer({ extraArgs = [] } = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), "chatterbox-e2e-"));
  const server = new Server(dataDir, extraArgs);
  try {
    await server.start();
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

class Server {
  #child = null;
  #exited = null; // promise resolving when the current child exits
  #log = []; // the last lines of output, for failure messages

  constructor(dataDir, extraArgs) {
    this.dataDir = dataDir;
    this.extraArgs = extraArgs;
    this.port = null;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get running() {
    return this.#child !== null;
  }

  /** The server's recent output, to explain a failure. */
  get log() {
    return this.#log.join("\n");
  }

  /** Starts the server: port 0 the first time, then the same port again. */
  async start() {
    if (this.#child) throw new Error("server already running");
    const bind = `127.0.0.1:${this.port ?? 0}`;
    const args = [
      "--bind", bind,
      "--data-dir", this.dataDir,
      "--login-burst", "1000",
      "--register-burst", "1000",
      "--log", process.env.CHATTERBOX_E2E_LOG || "info",
      ...this.extraArgs,
    ];
    const child = spawn(SERVER_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    running.add(child);
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        running.delete(child);
        if (this.#child === child) this.#child = null;
        resolve({ code, signal });
      });
    });
    child.once("error", (err) => this.#remember(`spawn error: ${err.message}`));

    const address = new Promise((resolve, reject) => {
      let buffered = "";
      const onLine = (line) => {
        this.#remember(line);
        const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
        if (m) resolve(Number(m[1]));
      };
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk) => {
        buffered += chunk;
        let nl;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          onLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      });
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk) => {
        for (const line of chunk.split("\n")) if (line) this.#remember(line);
      });
      this.#exited.then(({ code, signal }) =>
        reject(new Error(`chatterbox-server (${SERVER_BIN}) exited early (code ${code}, signal ${signal}):\n${this.log}`)));
    });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`chatterbox-server did not print its address in time:\n${this.log}`)),
        START_TIMEOUT_MS);
    });
    try {
      const port = await Promise.race([address, timeout]);
      if (this.port !== null && port !== this.port) throw new Error(`restarted on port ${port}, not ${this.port}`);
      this.port = port;
      await this.#waitHealthy(timeout);
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async #waitHealthy(timeout) {
    const poll = async () => {
      for (;;) {
        try {
          const res = await fetch(`${this.url}/healthz`);
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        if (!this.#child) throw new Error(`chatterbox-server exited before /healthz answered:\n${this.log}`);
        await new Promise((r) => setTimeout(r, 50)); // poll interval, not a synchronisation sleep
      }
    };
    await Promise.race([poll(), timeout]);
  }

  /** Stops the server gracefully (SIGTERM), killing it if it hangs. */
  async stop() {
    const child = this.#child;
    if (!child) return;
    const exited = this.#exited;
    child.kill("SIGTERM");
    let timer;
    const hung = new Promise((resolve) => {
      timer = setTimeout(() => resolve("hung"), STOP_TIMEOUT_MS);
    });
    if ((await Promise.race([exited, hung])) === "hung") {
      child.kill("SIGKILL");
      await exited;
    }
    clearTimeout(timer);
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async close() {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  #remember(line) {
    this.#log.push(line);
    if (this.#log.length > 200) this.#log.shift();
  }
}

// --- HTTP helpers (from Node, outside the browser) -------------------------

export async function api(server, method, route, { token, json } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  const res = await fetch(`${server.url}${route}`, { method, headers, body });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  return { status: res.status, data };
}

/** Creates an account and logs it in over HTTP: { username, password, token, id }.
 *  For tests whose subject is not the register and login pages. */
export async function createUser(server, username, password = "correct horse 1") {
  const reg = await api(server, "POST", "/register", { json: { username, password } });
  if (reg.status !== 200) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.data)}`);
  const login = await api(server, "POST", "/login", { json: { username, password } });
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status} ${JSON.stringify(login.data)}`);
  return { username, password, token: login.data.token, id: login.data.user_id };
}

/** Creates a room or group over HTTP as `owner`; returns the server's answer. */
export async function createRoom(server, owner, title, members = [], kind = "room") {
  const res = await api(server, "POST", "/conversations", {
    token: owner.token, json: { kind, title, members: members.map((m) => m.id) },
  });
  if (res.status !== 200) throw new Error(`create ${title}: ${res.status} ${JSON.stringify(res.data)}`);
  return res.data;
}

let seedBatch = 0;

/**
 * Sends messages as `user` over the WebSocket, the way a client does, and
 * waits until the server has echoed every one (stored). The client is `ws`
 * in this process, not a page: a flood of thousands costs no browser work.
 * `to` is { conversationId } or { receiverId }; each of `texts` is the text,
 * or `{ content, reply_to }` for a reply. Returns the stored messages, in the
 * order of `texts`.
 */
export async function sendMessages(server, user, to, texts) {
  seedBatch += 1;
  const url = `${server.url.replace(/^http/, "ws")}/ws?token=${encodeURIComponent(user.token)}`;
  const ws = new WebSocket(url, { origin: server.url });
  try {
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const tags = texts.map((_, i) => `seed-${seedBatch}-${i}`);
    const waiting = new Set(tags);
    const stored = new Map();
    const done = new Promise((resolve, reject) => {
      ws.on("message", (data) => {
        const frame = JSON.parse(data);
        if (frame.type === "error") reject(new Error(`server refused a seed message: ${frame.detail}`));
        if (frame.client_id && waiting.delete(frame.client_id)) {
          stored.set(frame.client_id, frame);
          if (waiting.size === 0) resolve();
        }
      });
      ws.once("close", () => reject(new Error(`the seeding socket closed with ${waiting.size} unanswered`)));
    });
    texts.forEach((text, i) => {
      const { content, reply_to } = typeof text === "string" ? { content: text } : text;
      const frame = to.conversationId
        ? { type: "send_message", conversation_id: to.conversationId, content, client_id: tags[i], reply_to }
        : { type: "private_message", receiver_id: to.receiverId, content, client_id: tags[i], reply_to };
      ws.send(JSON.stringify(frame));
    });
    await done;
    return tags.map((tag) => stored.get(tag));
  } finally {
    ws.close();
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A browser context is one person. With `user`, it starts logged in the way
 * the login page leaves it (the contract's localStorage keys `token` and
 * `user_id`), without going through the login page. `touch`: a phone's
 * touch screen instead of a mouse.
 * The returned page records dialogs (alert, confirm...) and page errors.
 */
export async function openPerson(browser, server, { user = null, viewport, colorScheme = "light", touch = false } = {}) {
  const options = {
    baseURL: server.url,
    viewport: viewport ?? { width: 1280, height: 800 },
    colorScheme,
    acceptDownloads: true,
    // A phone: touch events and no hover.
    hasTouch: touch,
    isMobile: touch,
  };
  if (user) {
    options.storageState = {
      cookies: [],
      origins: [{
        origin: server.url,
        localStorage: [
          { name: "token", value: user.token },
          { name: "user_id", value: String(user.id) },
        ],
      }],
    };
  }
  const context = await browser.newContext(options);
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  page.dialogs = [];
  page.errors = [];
  page.on("dialog", (dialog) => {
    page.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on("pageerror", (err) => page.errors.push(String(err)));
  return { context, page };
}

/** Opens the chat page of a logged-in person and waits until it shows who they are. */
export async function gotoChat(page, user) {
  await page.goto("/chat-page");
  await waitForText(page, "#me-name", user.username);
}

/** The sidebar row of the direct conversation with a user (there once it holds a message). */
export function userRow(page, userId) {
  return page.locator(`#direct-list > li[data-user-id="${userId}"]`);
}

/** The sidebar row of a conversation by id. */
export function conversationRow(page, conversationId) {
  return page.locator(`#conversation-list li[data-conversation-id="${conversationId}"]`);
}

/** The sidebar row of a room or group by its title. */
export function roomRow(page, title) {
  return page.locator("#room-list > li").filter({ has: page.locator(".conv-name").getByText(title, { exact: true }) });
}

/** Waits until the open conversation is usable: its name in the header, the composer enabled. */
async function waitForOpen(page, name) {
  await waitForText(page, "#peer-name", name);
  await page.locator("#message-input").waitFor({ state: "visible" });
  await page.waitForFunction(() => !document.querySelector("#message-input").disabled
    && document.querySelector("#message-list").getAttribute("aria-busy") !== "true");
}

/** Opens the direct conversation with `peer` through "New message" (the
 *  sidebar lists conversations only; this reaches anyone). */
export async function openConversation(page, peer) {
  await page.getByRole("button", { name: "New message" }).click();
  const dialog = page.getByRole("dialog", { name: "New message" });
  await dialog.waitFor();
  await dialog.locator(`#people-list > li[data-user-id="${peer.id}"] button`).click();
  await dialog.waitFor({ state: "hidden" });
  await waitForOpen(page, peer.username);
}

/** Opens a room or group from the sidebar by its title. */
export async function openRoom(page, title) {
  await roomRow(page, title).locator("button").click();
  await waitForOpen(page, title);
}

/** Waits until the element's textContent (trimmed) equals or matches `expected`. */
export async function waitForText(page, selector, expected, { timeout = WAIT_MS } = {}) {
  try {
    await page.waitForFunction(
      ([sel, exp, isRegex]) => {
        const node = document.querySelector(sel);
        if (!node) return false;
        const text = node.textContent.trim();
        return isRegex ? new RegExp(exp[0], exp[1]).test(text) : text === exp;
      },
      [selector, expected instanceof RegExp ? [expected.source, expected.flags] : expected, expected instanceof RegExp],
      { timeout },
    );
  } catch (err) {
    const actual = await page.locator(selector).first().textContent({ timeout: 100 }).catch(() => "(no such element)");
    const errors = page.errors?.length ? `; page errors: ${page.errors.join(" | ")}` : "";
    throw new Error(`${selector}: expected text ${expected}, got ${JSON.stringify(actual)} (${err.message.split("\n")[0]})${errors}`);
  }
}

/** The li.msg whose .msg-text is exactly `text`, in the message list. */
export function messageWithText(page, text) {
  return page.locator("#message-list > li.msg").filter({
    has: page.locator(".msg-text").getByText(text, { exact: true }),
  });
}

/** The text of the message that has focus; null when focus is not on a message. */
export function focusedMessageText(page) {
  return page.evaluate(() => {
    const li = document.activeElement;
    return li?.matches("#message-list > li.msg") ? li.querySelector(".msg-text")?.textContent ?? null : null;
  });
}

/** Waits until the message `text` is stored (it has its id, not pending) and returns the id. */
export async function storedId(page, text) {
  const handle = await page.waitForFunction((t) => [...document.querySelectorAll("#message-list > li.msg")]
    .find((li) => li.querySelector(".msg-text")?.textContent === t && /^\d+$/.test(li.dataset.id ?? ""))
    ?.dataset.id, text);
  return await handle.jsonValue();
}

/** Sends a text message through the composer: type it, press Enter. `shown`:
 *  its text as the page draws it, when formatting changes it (`**a**` is "a"). */
export async function sendMessage(page, text, shown = text) {
  const input = page.locator("#message-input");
  await input.fill(text);
  await input.press("Enter");
  await messageWithText(page, shown).waitFor();
}

/**
 * Sends files through the composer: attached with the file button (they
 * wait in the tray above the box), then Send, with `caption` as the text.
 * `files`: one or more of Playwright's { name, mimeType, buffer }.
 */
export async function sendFiles(page, files, caption = "") {
  await page.locator("#file-input").setInputFiles(files);
  await page.locator("#attachments").waitFor();
  await page.locator("#message-input").fill(caption);
  await page.locator("#composer button[type=submit]").click();
}

// --- test data -----------------------------------------------------------------

/** A valid RGB PNG of the given size, filled with one colour. */
export function makePng(width, height, [r, g, b]) {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

export async function artifactPath(name) {
  await mkdir(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

// --- fixtures ------------------------------------------------------------------

/**
 * Registers node:test hooks that start one server and one browser for a test
 * file, create the named accounts over HTTP, and tear everything down after.
 * `setup(fixture)` runs last in the same hook (node 20 does not order two
 * top-level `before` hooks reliably). `serverArgs`: more of the server's
 * flags (e.g. a smaller upload limit). Returns the fixture object.
 */
export function useFixture(hooks, { users = [], setup, serverArgs = [] } = {}) {
  const fixture = { server: null, browser: null, users: {}, contexts: [] };
  hooks.before(async () => {
    fixture.server = await startServer({ extraArgs: serverArgs });
    fixture.browser = await launchBrowser();
    for (const name of users) fixture.users[name] = await createUser(fixture.server, name);
    if (setup) await setup(fixture);
  });
  hooks.after(async () => {
    await fixture.browser?.close();
    await fixture.server?.close();
  });
  /** A person's page, closed with the browser. */
  fixture.person = async (options = {}) => {
    const person = await openPerson(fixture.browser, fixture.server, options);
    fixture.contexts.push(person.context);
    return person;
  };
  return fixture;
}

/**
 * A page on the chat for each of the fixture's users `names`, as
 * `{ name: { user, context, page } }`.
 */
export async function chatPages(fixture, names) {
  const people = {};
  for (const name of names) {
    const user = fixture.users[name];
    people[name] = { user, ...(await fixture.person({ user })) };
    await gotoChat(people[name].page, user);
  }
  return people;
}

/** Polls `check` (sync or async) until it returns a truthy value. */
export async function eventually(check, { timeout = WAIT_MS, interval = 50, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last result: ${last}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
