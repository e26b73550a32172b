// Read receipts: in a direct conversation one tick once delivered and two
// once read; in a room "Seen by N" with the names; and the setting that
// turns them off.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, chatPages, createRoom, eventually, gotoChat, messageWithText, openConversation, openRoom, roomRow,
  sendMessage, useFixture, waitForText,
} from "./harness.js";

let alice, bob, carol; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    ({ alice, bob, carol } = await chatPages(fx, ["alice", "bob", "carol"]));
  },
});

/** Waits until our message `text` shows the receipt state; returns its receipt element. */
async function receipt(page, text, state) {
  const msg = messageWithText(page, text);
  try {
    await msg.and(page.locator(`[data-receipt="${state}"]`)).waitFor();
  } catch (err) {
    const actual = await msg.getAttribute("data-receipt", { timeout: 100 }).catch(() => "(no message)");
    throw new Error(`"${text}": expected receipt ${state}, got ${actual} (${err.message.split("\n")[0]})`);
  }
  return msg.locator(".msg-receipt");
}

test("direct: one tick once delivered, two once read", async () => {
  await openRoom(bob.page, "General"); // online, but looking elsewhere
  await openConversation(alice.page, bob.user);
  await sendMessage(alice.page, "Are you at your desk?");
  const tick = await receipt(alice.page, "Are you at your desk?", "delivered");
  assert.equal((await tick.locator('[aria-hidden="true"]').textContent()), "✓");
  assert.equal((await tick.locator(".visually-hidden").textContent()), "Delivered");

  await openConversation(bob.page, alice.user);
  const ticks = await receipt(alice.page, "Are you at your desk?", "read");
  assert.equal((await ticks.locator('[aria-hidden="true"]').textContent()), "✓✓");
  assert.equal((await ticks.locator(".visually-hidden").textContent()), "Read");
  assert.equal(await ticks.getAttribute("title"), "Read");
});

test("room: seen by N, with the names", async () => {
  const room = await createRoom(fx.server, alice.user, "Tea", [bob.user, carol.user]);
  for (const { page } of [alice, bob, carol]) await roomRow(page, "Tea").waitFor();
  await openRoom(alice.page, "Tea");
  await sendMessage(alice.page, "Tea at four?");
  await receipt(alice.page, "Tea at four?", "sent");

  await openRoom(bob.page, "Tea");
  let seen = await receipt(alice.page, "Tea at four?", "seen");
  await waitForText(alice.page, `#message-list > li.msg[data-receipt="seen"] .msg-receipt [aria-hidden="true"]`, "Seen by 1");
  assert.equal(await seen.getAttribute("title"), "Seen by bob");

  await openRoom(carol.page, "Tea");
  await alice.page.waitForFunction(() =>
    document.querySelector('#message-list > li.msg[data-receipt="seen"] .msg-receipt')?.title === "Seen by bob, carol");
  seen = messageWithText(alice.page, "Tea at four?").locator(".msg-receipt");
  assert.equal(await seen.locator('[aria-hidden="true"]').textContent(), "Seen by 2");
  assert.equal(await seen.locator(".visually-hidden").textContent(), "Seen by bob and carol");
  assert.ok(room.conversation_id > 0);
});

test("with read receipts off, nobody sees your reading", async () => {
  await bob.page.getByRole("button", { name: "Settings" }).click();
  const dialog = bob.page.getByRole("dialog", { name: "Settings" });
  const toggle = dialog.getByLabel("Read receipts");
  await bob.page.waitForFunction(() => !document.querySelector("#read-receipts").disabled);
  assert.equal(await toggle.isChecked(), true, "on by default");
  await toggle.uncheck();
  await waitForText(bob.page, "#settings-status", "Read receipts are off.");
  await bob.page.keyboard.press("Escape");
  const settings = await api(fx.server, "GET", "/settings", { token: bob.user.token });
  assert.equal(settings.data.read_receipts, false, "saved on the server");

  await openConversation(alice.page, bob.user);
  await openConversation(bob.page, alice.user);
  await sendMessage(alice.page, "Did you read this?");
  await messageWithText(bob.page, "Did you read this?").waitFor();
  // Bob has read it (the server has his position)...
  await eventually(async () => {
    const list = await api(fx.server, "GET", "/conversations", { token: bob.user.token });
    return list.data.find((c) => c.kind === "direct" && c.user_id === alice.user.id)?.unread === 0;
  }, { what: "bob's read position" });
  // ...but alice is not told, live or after a reload.
  await gotoChat(alice.page, alice.user);
  await waitForText(alice.page, "#peer-name", "bob"); // the tab reopens the conversation
  const msg = messageWithText(alice.page, "Did you read this?");
  await msg.waitFor();
  await alice.page.locator('#chat[data-members="loaded"]').waitFor();
  assert.notEqual(await msg.getAttribute("data-receipt"), "read");
  // The earlier message, read while receipts were on, no longer says so either.
  assert.notEqual(await messageWithText(alice.page, "Are you at your desk?").getAttribute("data-receipt"), "read");
});
