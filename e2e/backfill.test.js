// Reconnecting without a reload. Bob's WebSocket runs through a test route
// that can cut it (as a dropped Wi-Fi would) and refuse new connections
// for a while; meanwhile the others write, edit and delete. When it comes
// back the page asks the server for what it missed (/ws?after=SEQ) and
// shows it in place, once, without reloading. What Bob wrote while cut off
// goes by itself when the connection is back, and a message whose
// acknowledgement was lost is not stored twice.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, chatPages, createRoom, eventually, messageWithText, openConversation, openRoom, roomRow, sendMessage,
  sendMessages, storedId, useFixture, waitForText,
} from "./harness.js";

// The page backs off between attempts (capped, jittered); allow for a few.
const RECONNECT_MS = 25_000;

let alice, bob, carol; // { user, context, page }
let room;
const link = {
  blocked: false,
  urls: [], // every /ws URL bob's page opened
  current: null, // { page, server } sides of the open route
  swallow: null, // (frame) => true to keep a server frame from bob's page
  resets: 0, // `reset` frames bob's page was sent
};

const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    ({ alice, carol } = await chatPages(fx, ["alice", "carol"]));
    bob = { user: fx.users.bob, ...(await fx.person({ user: fx.users.bob })) };
    await bob.context.routeWebSocket(/\/ws(\?|$)/, (ws) => {
      link.urls.push(ws.url());
      if (link.blocked) {
        ws.close({ code: 1011, reason: "cut off by the test" });
        return;
      }
      const server = ws.connectToServer();
      server.onMessage((data) => {
        let frame = null;
        try {
          frame = JSON.parse(data);
        } catch {
          // not JSON: pass it on
        }
        if (frame?.type === "reset") link.resets += 1;
        if (frame && link.swallow?.(frame)) return;
        ws.send(data);
      });
      link.current = { page: ws, server };
    });
    await bob.page.goto("/chat-page");
    await waitForText(bob.page, "#me-name", "bob");
    room = await createRoom(fx.server, alice.user, "Standup", [bob.user, carol.user]);
    for (const { page } of [alice, bob, carol]) {
      await roomRow(page, "Standup").waitFor();
      await openRoom(page, "Standup");
    }
    await bob.page.evaluate(() => {
      window.__sameDocument = true; // gone if the page reloads
    });
  },
});

/** Cut bob's connection and refuse new ones until `reconnect()`. */
async function cut() {
  link.blocked = true;
  const { page, server } = link.current;
  link.current = null;
  // The server's side is a real WebSocket in the page, which may close with
  // 1000 or 3000-4999 only (any other code throws and leaves it open).
  await server.close({ code: 4000, reason: "gone" });
  await page.close({ code: 1006, reason: "network lost" });
  await bob.page.locator("#reconnect-banner").waitFor({ state: "visible" });
}

async function reconnect() {
  link.blocked = false;
  await bob.page.locator("#reconnect-banner").waitFor({ state: "hidden", timeout: RECONNECT_MS });
}

test("the first connection asks for sync=1", () => {
  assert.match(link.urls[0], /[?&]sync=1(&|$)/);
});

test("messages, an edit and a delete missed while cut off arrive without a reload", { timeout: 90_000 }, async () => {
  await sendMessage(alice.page, "before the cut");
  await messageWithText(bob.page, "before the cut").waitFor();
  await cut();

  await sendMessage(alice.page, "missed one");
  await sendMessage(carol.page, "missed two");
  await sendMessage(alice.page, "missed three, soon edited");
  await sendMessage(carol.page, "missed four, soon deleted");
  const editedId = await storedId(alice.page, "missed three, soon edited");
  // By id: while the editor is open, the text it is found by is gone.
  const edited = alice.page.locator(`#message-list > li.msg[data-id="${editedId}"]`);
  await edited.hover();
  await edited.locator(".msg-edit").click();
  await edited.locator("textarea.edit-input").fill("missed three, edited");
  await edited.locator("textarea.edit-input").press("Enter");
  await waitForText(alice.page, `#message-list > li.msg[data-id="${editedId}"] .msg-text`, "missed three, edited");
  const doomedId = await storedId(carol.page, "missed four, soon deleted");
  const doomed = carol.page.locator(`#message-list > li.msg[data-id="${doomedId}"]`);
  await doomed.hover();
  await doomed.getByRole("button", { name: "Delete message" }).click();
  await carol.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await waitForText(carol.page, `#message-list > li.msg[data-id="${doomedId}"] .msg-deleted`, "Message deleted");
  assert.equal(await messageWithText(bob.page, "missed one").count(), 0, "bob is cut off");

  await reconnect();
  const resumed = link.urls.at(-1);
  assert.match(resumed, /[?&]after=\d+(&|$)/, `the page resumes from its place in the log (${resumed})`);
  for (const text of ["missed one", "missed two"]) await messageWithText(bob.page, text).waitFor();
  await waitForText(bob.page, `#message-list > li.msg[data-id="${editedId}"] .msg-text`, "missed three, edited");
  await waitForText(bob.page, `#message-list > li.msg[data-id="${doomedId}"] .msg-deleted`, "Message deleted");
  // In order, each once, and the same document all along.
  const texts = await bob.page.locator("#message-list > li.msg .msg-text").evaluateAll((ps) => ps.map((p) => p.textContent));
  assert.deepEqual(texts.slice(-4), ["before the cut", "missed one", "missed two", "missed three, edited"]);
  assert.equal(await bob.page.evaluate(() => window.__sameDocument), true, "no reload");
});

test("reactions given and taken back while cut off arrive without a reload", { timeout: 90_000 }, async () => {
  await sendMessage(alice.page, "react to me");
  const id = Number(await storedId(alice.page, "react to me"));
  await messageWithText(bob.page, "react to me").waitFor();
  await cut();

  const message = messageWithText(alice.page, "react to me");
  await message.hover();
  await message.getByRole("button", { name: "Add reaction" }).click();
  await alice.page.getByRole("dialog", { name: "Add a reaction" }).getByRole("button", { name: "👍" }).click();
  const route = `/conversations/${room.conversation_id}/messages/${id}/reactions/${encodeURIComponent("🎉")}`;
  assert.equal((await api(fx.server, "PUT", route, { token: carol.user.token })).status, 200);
  assert.equal((await api(fx.server, "DELETE", route, { token: carol.user.token })).status, 200);
  await alice.page.getByRole("button", { name: "👍 1: you" }).waitFor();

  await reconnect();
  await messageWithText(bob.page, "react to me").getByRole("button", { name: "👍 1: alice" }).waitFor();
  assert.deepEqual(await messageWithText(bob.page, "react to me").locator(".reaction").allTextContents(), ["👍1"],
    "the reaction taken back is not there");
  assert.equal(await bob.page.evaluate(() => window.__sameDocument), true, "no reload");
});

test("a reply written while cut off keeps its target and goes as a reply", { timeout: 90_000 }, async () => {
  await cut();
  await messageWithText(bob.page, "react to me").focus();
  await bob.page.keyboard.press("r");
  await bob.page.locator("#message-input").fill("a reply from offline");
  await bob.page.locator("#message-input").press("Enter");
  const queued = messageWithText(bob.page, "a reply from offline").and(bob.page.locator('[data-state="queued"]'));
  await queued.waitFor();
  assert.equal(await queued.locator(".msg-quote .quote-text").textContent(), "react to me");

  await reconnect();
  await storedId(bob.page, "a reply from offline");
  await alice.page.getByRole("button", { name: "Reply to You: react to me" }).waitFor();
  const history = await api(fx.server, "GET", `/conversations/${room.conversation_id}/messages?limit=5`,
    { token: alice.user.token });
  const reply = history.data.find((m) => m.content === "a reply from offline");
  assert.equal(reply.reply_to.excerpt, "react to me");
});

test("what bob writes while cut off waits, then goes by itself, once", { timeout: 90_000 }, async () => {
  await cut();
  const box = bob.page.locator("#message-input");
  await box.fill("written while offline");
  await box.press("Enter");
  const mine = messageWithText(bob.page, "written while offline");
  await mine.and(bob.page.locator('[data-state="queued"]')).waitFor();
  await waitForText(bob.page, "#message-list > li.msg[data-state=\"queued\"] .msg-status", "Waiting for the connection…");

  await reconnect();
  await bob.page.waitForFunction((text) => [...document.querySelectorAll("#message-list > li.msg")].some((li) =>
    li.querySelector(".msg-text")?.textContent === text && /^\d+$/.test(li.dataset.id ?? "")), "written while offline");
  await messageWithText(alice.page, "written while offline").waitFor();
  assert.equal(await messageWithText(alice.page, "written while offline").count(), 1);
  assert.equal(await bob.page.evaluate(() => window.__sameDocument), true, "no reload");
});

test("a message whose acknowledgement was lost is resent and stored once", { timeout: 90_000 }, async () => {
  // The server stores it, but bob's page never hears back; then the line drops.
  link.swallow = (frame) => frame.type === "message" && frame.content === "did this arrive?";
  await bob.page.locator("#message-input").fill("did this arrive?");
  await bob.page.locator("#message-input").press("Enter");
  await messageWithText(alice.page, "did this arrive?").waitFor();
  await messageWithText(bob.page, "did this arrive?").and(bob.page.locator('[data-state="pending"]')).waitFor();
  await cut();
  link.swallow = null;
  await reconnect();

  // Bob's page settles it (from the backfill or the resend's echo)...
  await bob.page.waitForFunction((text) => [...document.querySelectorAll("#message-list > li.msg")].some((li) =>
    li.querySelector(".msg-text")?.textContent === text && /^\d+$/.test(li.dataset.id ?? "")), "did this arrive?");
  assert.equal(await messageWithText(bob.page, "did this arrive?").count(), 1);
  // ...and the server has it once.
  const history = await api(fx.server, "GET", `/conversations/${room.conversation_id}/messages?limit=100`,
    { token: alice.user.token });
  assert.equal(history.data.filter((m) => m.content === "did this arrive?").length, 1);
  await sendMessage(alice.page, "after the resend");
  await messageWithText(bob.page, "after the resend").waitFor();
  assert.equal(await messageWithText(alice.page, "did this arrive?").count(), 1);
  await eventually(() => bob.page.evaluate(() => window.__sameDocument), { what: "the same document" });
  assert.deepEqual([...alice.page.errors, ...bob.page.errors, ...carol.page.errors], []);
});

test("direct conversations catch up the same way", { timeout: 90_000 }, async () => {
  await openConversation(bob.page, alice.user);
  await openConversation(alice.page, bob.user);
  await cut();
  await sendMessage(alice.page, "a direct word while you were away");
  await reconnect();
  await messageWithText(bob.page, "a direct word while you were away").waitFor();
  assert.equal(await messageWithText(bob.page, "a direct word while you were away").count(), 1);
});

test("after too much was missed, the server says reset and the page reloads its state, not itself", { timeout: 120_000 }, async () => {
  await cut();
  // More than the server replays (5,000 events), then one more elsewhere.
  const flood = Array.from({ length: 5050 }, (_, i) => `flood ${i + 1}`);
  await sendMessages(fx.server, alice.user, { receiverId: bob.user.id }, flood);
  await sendMessages(fx.server, carol.user, { conversationId: room.conversation_id }, ["after the flood"]);
  await reconnect();

  // Alice's page had the conversation open: 5,050 live messages drawn in bursts, still responsive.
  await messageWithText(alice.page, "flood 5050").waitFor({ timeout: 30_000 });
  await eventually(() => link.resets > 0, { what: "a reset frame" });
  // The open conversation shows its newest page, the sidebar the server's state.
  await messageWithText(bob.page, "flood 5050").waitFor();
  await waitForText(bob.page, `#room-list li[data-conversation-id="${room.conversation_id}"] .conv-preview`,
    "carol: after the flood");
  await waitForText(bob.page, `#room-list li[data-conversation-id="${room.conversation_id}"] .unread-badge`, /^\d+$/);
  assert.ok(await bob.page.locator("#message-list > li.msg").count() <= 120, "a page, not the whole flood");
  assert.equal(await bob.page.evaluate(() => window.__sameDocument), true, "no reload");
  assert.deepEqual(bob.page.errors, []);
});

test("a message still waiting when the page is reloaded goes once the connection is back", { timeout: 90_000 }, async () => {
  await cut();
  await bob.page.locator("#message-input").fill("written, then reloaded");
  await bob.page.locator("#message-input").press("Enter");
  await messageWithText(bob.page, "written, then reloaded").and(bob.page.locator('[data-state="queued"]')).waitFor();

  await bob.page.reload(); // still cut off
  await waitForText(bob.page, "#me-name", "bob");
  await waitForText(bob.page, "#peer-name", "alice"); // the tab reopens its conversation
  await messageWithText(bob.page, "written, then reloaded").and(bob.page.locator('[data-state="queued"]')).waitFor();

  await reconnect();
  await storedId(bob.page, "written, then reloaded");
  await messageWithText(alice.page, "written, then reloaded").waitFor();
  assert.equal(await messageWithText(alice.page, "written, then reloaded").count(), 1);
  assert.equal(await messageWithText(bob.page, "written, then reloaded").count(), 1);
});
