// The chat page inside the desktop app. A recording stand-in for
// window.__TAURI__ is installed before the page loads: it records every
// command the page invokes (here, in Node, so the record outlives a page
// navigation), answers each one as the app would, and lets the test play the
// app's part (upload progress, a refusal, a notification click). Uploads are
// finished by really POSTing the file to the real server, so what the page
// shows is a stored message.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { api, eventually, gotoChat, makePng, openConversation, useFixture, waitForText } from "./harness.js";

let page; // alice's page, "inside the app"
const calls = []; // { command, args } in the order the page invoked them

const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    ({ page } = await fx.person({ user: fx.users.alice }));
    page.downloads = 0;
    page.on("download", () => (page.downloads += 1));
    await page.exposeFunction("__recordDesktopCall", (call) => {
      calls.push(call);
    });
    await page.addInitScript(installStandIn);
    await gotoChat(page, fx.users.alice);
  },
});

/**
 * The app's side, run in the page before its scripts. Channels are recorded
 * as "channel:N"; window.__app is the test's handle on the app's part.
 */
function installStandIn() {
  const listeners = new Map(); // event name -> [handler]
  const picks = []; // queued answers of pick_files, each [{ handle, base64 }]
  const picked = new Map(); // handle id -> { handle, base64 }
  const uploads = new Map(); // handle id -> { args, resolve, reject }
  let channels = 0;

  class Channel {
    id = ++channels;
    onmessage = () => {};
  }

  const answers = {
    pick_files() {
      const next = picks.shift() ?? [];
      for (const file of next) picked.set(file.handle.id, file);
      return next.map((file) => file.handle);
    },
    picked_preview({ id }) {
      const file = picked.get(id);
      if (!file?.handle.mime_type.startsWith("image/")) throw "That file is not an image.";
      return `data:${file.handle.mime_type};base64,${file.base64}`;
    },
    upload_picked(args) {
      return new Promise((resolve, reject) => uploads.set(args.id, { args, resolve, reject }));
    },
    cancel_upload({ id }) {
      uploads.get(id)?.reject({ status: 0, detail: "Upload cancelled." });
      uploads.delete(id);
      return null;
    },
    save_file: ({ name }) => `/home/alice/Downloads/${name}`,
    set_session: () => null,
    set_viewing: () => null,
  };

  window.__TAURI__ = {
    core: {
      Channel,
      async invoke(command, args = {}) {
        const plain = JSON.parse(JSON.stringify(args, (_, v) => (v instanceof Channel ? `channel:${v.id}` : v)));
        await window.__recordDesktopCall({ command, args: plain });
        if (!Object.hasOwn(answers, command)) throw `Command ${command} not found`;
        return answers[command](args);
      },
    },
    event: {
      async listen(event, handler) {
        if (!listeners.has(event)) listeners.set(event, []);
        listeners.get(event).push(handler);
        return () => listeners.set(event, listeners.get(event).filter((h) => h !== handler));
      },
    },
  };

  window.__app = {
    queuePick(files) {
      picks.push(files);
    },
    listening: (event) => (listeners.get(event) ?? []).length > 0,
    emit(event, payload) {
      for (const handler of listeners.get(event) ?? []) handler({ event, id: 1, payload });
    },
    progress(id, sent, total) {
      uploads.get(id).args.onProgress.onmessage({ sent, total });
    },
    fail(id, error) {
      uploads.get(id).reject(error);
      uploads.delete(id);
    },
    /** Sends the picked file's bytes where the page asked, as the app would. */
    async finish(id) {
      const { args, resolve, reject } = uploads.get(id);
      uploads.delete(id);
      const { handle, base64 } = picked.get(id);
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const form = new FormData();
      form.append("file", new Blob([bytes], { type: handle.mime_type }), handle.name);
      const res = await fetch(args.path, {
        method: "POST",
        headers: { Authorization: `Bearer ${args.token}`, Accept: "application/json" },
        body: form,
      });
      const body = await res.json().catch(() => null);
      if (res.ok) resolve(body);
      else reject({ status: res.status, detail: body?.detail ?? "" });
      return res.status;
    },
  };
}

/** Waits for a recorded call of `command` whose args pass `match`; returns it. */
function waitForCall(command, match = () => true) {
  return eventually(() => calls.find((c) => c.command === command && match(c.args)), {
    what: `${command} call; recorded: ${JSON.stringify(calls.map((c) => c.command))}`,
  });
}

/** A picked-file handle with its bytes, queued as the picker's next answer. */
async function queuePick(id, name, mimeType, bytes) {
  const file = { handle: { id, name, size: bytes.length, mime_type: mimeType }, base64: bytes.toString("base64") };
  await page.evaluate((files) => window.__app.queuePick(files), [file]);
}

/** The file card named `name` in the message list. */
function card(name) {
  return page.locator("#message-list a.file-card").filter({
    has: page.locator(".file-name").getByText(name, { exact: true }),
  });
}

async function sendFileAs(sender, receiver, name, type, bytes) {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type }), name);
  const res = await fetch(`${fx.server.url}/upload-file?receiver_id=${receiver.id}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${sender.token}` },
    body: form,
  });
  assert.ok(res.ok, `upload by ${sender.username}: ${res.status} ${await res.text()}`);
}

test("the page gives the app its session and the open conversation", async () => {
  const { alice, bob } = fx.users;
  await waitForCall("set_session", (a) => a.token === alice.token && a.userId === alice.id);
  assert.equal(await page.locator("#notify-button").isVisible(), false, "the app notifies, no button to enable it");

  await openConversation(page, bob);
  // Not started yet: the person, and no conversation id.
  await waitForCall("set_viewing", (a) => a.peerId === bob.id && a.conversationId === null);
});

/** The tray's entry for a file waiting to be sent. */
function attachment(name) {
  return page.locator("#attachment-list > li").filter({ has: page.locator(".attachment-name").getByText(name, { exact: true }) });
}

/** Picks one file with the attach button and sends it (no caption). */
async function attachAndSend(id, name, type, bytes) {
  await queuePick(id, name, type, bytes);
  await page.locator("#attach-button").click();
  await attachment(name).waitFor();
  await page.locator("#composer button[type=submit]").click();
  return await waitForCall("upload_picked", (a) => a.id === id);
}

test("the attach button uploads a picked file through the app, with progress", async () => {
  const { alice, bob } = fx.users;
  const upload = await attachAndSend("h1", "plan.txt", "text/plain", Buffer.from("Agenda\n1. Lunch\n2. More lunch\n"));
  const pick = await waitForCall("pick_files");
  assert.equal(pick.args.multiple, true);
  assert.equal(upload.args.path, `/upload-file?receiver_id=${bob.id}`);
  assert.equal(upload.args.token, alice.token);
  assert.match(upload.args.onProgress, /^channel:\d+$/, "progress comes on a Channel");

  await waitForText(page, "#attachments-status", "Sending plan.txt…");
  await page.evaluate(() => window.__app.progress("h1", 30, 100));
  await waitForText(page, "#attachment-list .attachment-detail", /· 30%$/);
  assert.equal(await attachment("plan.txt").locator("progress").evaluate((p) => p.value), 30);
  await page.evaluate(() => window.__app.progress("h1", 100, 100));
  await waitForText(page, "#attachment-list .attachment-detail", /· 100%$/);

  assert.equal(await page.evaluate(() => window.__app.finish("h1")), 200, "the server took the file");
  await card("plan.txt").waitFor();
  await page.locator("#attachments").waitFor({ state: "hidden" });
  const history = await api(fx.server, "GET", `/messages/${bob.id}`, { token: alice.token });
  const stored = history.data.find((m) => m.file_name === "plan.txt");
  assert.ok(stored, "a stored message");
  // The first message named the conversation: the app hears its id.
  await waitForCall("set_viewing", (a) => a.peerId === bob.id && a.conversationId === stored.conversation_id);
});

test("a refusal the app passes on is shown, and cancel goes to the app", async () => {
  const { alice, bob } = fx.users;
  const direct = (await api(fx.server, "GET", "/conversations", { token: alice.token }))
    .data.find((c) => c.kind === "direct" && c.user_id === bob.id);
  const upload = await attachAndSend("h2", "big.bin", "application/octet-stream", Buffer.alloc(64));
  assert.equal(upload.args.path, `/upload-file?conversation_id=${direct.conversation_id}`, "by conversation, once it exists");
  await page.evaluate(() => window.__app.fail("h2", { status: 413, detail: "File too large" }));
  await waitForText(page, "#attachment-list .attachment-detail", "Not sent: File too large");
  await attachment("big.bin").getByRole("button", { name: "Remove big.bin" }).click();
  await page.locator("#attachments").waitFor({ state: "hidden" });

  await attachAndSend("h3", "slow.bin", "application/octet-stream", Buffer.alloc(64));
  await attachment("slow.bin").getByRole("button", { name: "Cancel sending slow.bin" }).click();
  await waitForCall("cancel_upload", (a) => a.id === "h3");
  await page.locator("#attachments").waitFor({ state: "hidden" });
  assert.equal(await card("slow.bin").count(), 0, "not sent");
});

test("received files are saved through the app, without leaving the page", async () => {
  const { alice, bob } = fx.users;
  await sendFileAs(bob, alice, "minutes.pdf", "application/pdf", Buffer.from("%PDF-1.4 not really"));
  await card("minutes.pdf").waitFor();
  const href = await card("minutes.pdf").getAttribute("href");
  await page.evaluate(() => (window.__stayed = true));

  await card("minutes.pdf").click();
  await waitForCall("save_file", (a) => a.url === href && a.name === "minutes.pdf");
  await waitForText(page, "#toast", "Saved to /home/alice/Downloads/minutes.pdf");
  assert.equal(await page.evaluate(() => window.__stayed), true, "the page did not navigate");
  assert.ok(page.url().endsWith("/chat-page"));

  // The image viewer's download link saves the same way.
  await sendFileAs(bob, alice, "view.png", "image/png", makePng(20, 20, [0, 128, 0]));
  await card("view.png").click();
  await page.locator("#image-viewer").waitFor({ state: "visible" });
  const imageHref = await card("view.png").getAttribute("href");
  await page.locator("#image-viewer-download").click();
  await waitForCall("save_file", (a) => a.url === imageHref && a.name === "view.png");
  await waitForText(page, "#toast", "Saved to /home/alice/Downloads/view.png");
  await page.keyboard.press("Escape");
  await page.locator("#image-viewer").waitFor({ state: "hidden" });
  assert.equal(page.downloads, 0, "no browser download");
  assert.equal(await page.evaluate(() => window.__stayed), true, "the page did not navigate");
});

test("a profile picture is picked, previewed and saved through the app", async () => {
  const { alice, bob } = fx.users;
  await page.locator("#profile-button").click();
  await page.locator("#profile-dialog").waitFor({ state: "visible" });
  await queuePick("h4", "me.png", "image/png", makePng(40, 40, [200, 50, 50]));

  await page.locator("#profile-change").click();
  await waitForCall("pick_files", (a) => a.accept === "image/*" && a.multiple === false);
  await waitForCall("picked_preview", (a) => a.id === "h4");
  await page.waitForFunction(() => {
    const img = document.querySelector("#profile-preview");
    return img.src.startsWith("data:image/png") && img.complete && img.naturalWidth === 40;
  });

  await page.locator("#profile-save").click();
  const upload = await waitForCall("upload_picked", (a) => a.id === "h4");
  assert.equal(upload.args.path, "/upload-profile");
  assert.equal(upload.args.token, alice.token);
  assert.equal(await page.evaluate(() => window.__app.finish("h4")), 200);

  const users = await api(fx.server, "GET", "/users", { token: bob.token });
  const pic = users.data.find((u) => u.id === alice.id)?.profile_pic;
  assert.match(pic ?? "", /^static\/uploads\//, "stored on the server");
  await page.waitForFunction((p) => document.querySelector("#profile-avatar").src.endsWith(`/${p}`), pic);
  await page.locator("#profile-status").waitFor({ state: "visible" });
  await page.keyboard.press("Escape");
  await page.locator("#profile-dialog").waitFor({ state: "hidden" });
});

test("a clicked notification opens that conversation, by id or (older apps) by person", async () => {
  const { alice, carol } = fx.users;
  await page.waitForFunction(() => window.__app.listening("open-conversation"));
  await page.evaluate((id) => window.__app.emit("open-conversation", { peer_id: id }), carol.id);
  await waitForText(page, "#peer-name", "carol");
  await waitForCall("set_viewing", (a) => a.peerId === carol.id);

  const general = (await api(fx.server, "GET", "/conversations", { token: alice.token }))
    .data.find((c) => c.kind === "room" && c.title === "General");
  await page.evaluate((id) => window.__app.emit("open-conversation", { conversation_id: id }), general.conversation_id);
  await waitForText(page, "#peer-name", "General");
  await waitForCall("set_viewing", (a) => a.conversationId === general.conversation_id && a.peerId === null);
});

test("logging out tells the app to forget the session", async () => {
  await page.locator("#logout-button").click();
  await page.waitForURL((url) => url.pathname === "/" && url.searchParams.get("notice") === "logged-out");
  await waitForCall("set_session", (a) => a.token === null && a.userId === null);
  assert.deepEqual(page.errors, [], "no script errors");
});
