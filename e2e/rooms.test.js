// Rooms and groups with three people: one is made through the page and used
// by all three live; notices of membership changes show inline; the members
// panel's admin actions; browsing and joining an open room; leaving. The
// tests run in order and share the pages, like one afternoon.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, chatPages, createRoom, messageWithText, openRoom, roomRow, sendMessage, storedId, useFixture, waitForText,
} from "./harness.js";

let alice, bob, carol; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    ({ alice, bob, carol } = await chatPages(fx, ["alice", "bob", "carol"]));
  },
});

/** The notice whose text is exactly `text`, in a page's message list. */
function notice(page, text) {
  return page.locator("#message-list > li.notice").filter({ hasText: new RegExp(`^${escape(text)}`) });
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

test("a room made through the page reaches its members at once, and all three talk in it live", async () => {
  const page = alice.page;
  await page.getByRole("button", { name: "New room" }).click();
  const dialog = page.getByRole("dialog", { name: "New room or group" });
  await dialog.getByLabel("Name").fill("Lunch");
  await dialog.getByLabel("bob").check();
  await dialog.getByLabel("carol").check();
  await dialog.getByRole("button", { name: "Create" }).click();
  await dialog.waitFor({ state: "hidden" });
  await waitForText(page, "#peer-name", "Lunch");
  await waitForText(page, "#peer-status", /Room · 3 members/);

  // Bob and Carol were added: the room appears in their sidebars without a reload.
  for (const { page: p } of [bob, carol]) {
    await roomRow(p, "Lunch").waitFor();
    await openRoom(p, "Lunch");
  }
  await notice(bob.page, "alice created “Lunch”").waitFor();

  // Typing shows to the others in the room, with the typist's name.
  await carol.page.locator("#message-input").pressSequentially("Count", { delay: 20 });
  for (const { page: p } of [alice, bob]) await waitForText(p, "#typing", "carol is typing…");
  await carol.page.locator("#message-input").fill("");

  await sendMessage(alice.page, "Pizza at noon?");
  await sendMessage(bob.page, "Yes please");
  await sendMessage(carol.page, "Count me in 🍕");
  for (const { page: p } of [alice, bob, carol]) {
    for (const text of ["Pizza at noon?", "Yes please", "Count me in 🍕"]) await messageWithText(p, text).waitFor();
  }
  // Who said what, for everyone else.
  const fromCarol = messageWithText(alice.page, "Count me in 🍕");
  assert.equal((await fromCarol.locator(".msg-sender").textContent()).trim(), "carol");
  assert.ok(await fromCarol.evaluate((li) => li.classList.contains("theirs")));
  // And the sidebar's last message says who, too.
  await waitForText(bob.page, "#room-list li[data-kind='room'] .conv-preview", /^carol: Count me in/);
});

test("a message deleted shows as deleted for everyone, live", async () => {
  await sendMessage(bob.page, "oops, wrong room");
  const id = await storedId(bob.page, "oops, wrong room");
  for (const { page: p } of [alice, carol]) await messageWithText(p, "oops, wrong room").waitFor();

  const mine = bob.page.locator(`#message-list > li.msg[data-id="${id}"]`);
  await mine.hover();
  await mine.getByRole("button", { name: "Delete message" }).click();
  const confirm = bob.page.getByRole("dialog", { name: "Delete this message for everyone?" });
  await confirm.getByRole("button", { name: "Delete" }).click();

  for (const { page: p } of [alice, bob, carol]) {
    await waitForText(p, `#message-list > li.msg[data-id="${id}"] .msg-deleted`, "Message deleted");
    assert.equal(await messageWithText(p, "oops, wrong room").count(), 0, "the text is gone");
  }
  // Nobody may delete someone else's message except an admin: carol has no button on alice's.
  const alicesOnCarol = messageWithText(carol.page, "Pizza at noon?");
  await alicesOnCarol.hover();
  assert.equal(await alicesOnCarol.getByRole("button", { name: /Delete/ }).count(), 0);
  // Alice made the room, so she is its admin and may.
  const carolsOnAlice = messageWithText(alice.page, "Count me in 🍕");
  const carolsId = await storedId(alice.page, "Count me in 🍕");
  await carolsOnAlice.hover();
  await carolsOnAlice.getByRole("button", { name: "Delete message from carol" }).click();
  await alice.page.getByRole("dialog", { name: "Delete this message from carol for everyone?" })
    .getByRole("button", { name: "Delete" }).click();
  await waitForText(carol.page, `#message-list > li.msg[data-id="${carolsId}"] .msg-deleted`, "Message deleted");
});

test("the members panel: make admin, rename, remove; each shows as a notice for everyone", async () => {
  const page = alice.page;
  await page.getByRole("button", { name: "Members", exact: true }).click();
  const panel = page.getByRole("dialog", { name: "Lunch" });
  await panel.waitFor();
  const rows = panel.getByRole("list", { name: "Members" }).getByRole("listitem");
  await rows.nth(2).waitFor();
  assert.equal(await rows.count(), 3);

  // Each sees the notice from where they stand.
  await panel.getByRole("button", { name: "Make admin: bob" }).click();
  await notice(alice.page, "You made bob an admin").waitFor();
  await notice(bob.page, "alice made you an admin").waitFor();
  await notice(carol.page, "alice made bob an admin").waitFor();
  await panel.getByRole("button", { name: "Make member: bob" }).waitFor();

  await panel.getByLabel("Name").fill("Lunch crew");
  await panel.getByRole("button", { name: "Rename" }).click();
  await notice(alice.page, "You renamed this to “Lunch crew”").waitFor();
  for (const { page: p } of [alice, bob, carol]) {
    if (p !== alice.page) await notice(p, "alice renamed this to “Lunch crew”").waitFor();
    await waitForText(p, "#peer-name", "Lunch crew");
    await roomRow(p, "Lunch crew").waitFor();
  }

  await panel.getByRole("button", { name: "Remove carol" }).click();
  await notice(bob.page, "alice removed carol").waitFor();
  await notice(carol.page, "alice removed you").waitFor();
  await waitForText(bob.page, "#peer-status", /2 members/);
  // Carol keeps what she saw, but can no longer write, and the room leaves her sidebar.
  await carol.page.locator("#left-note").waitFor({ state: "visible" });
  assert.ok(await carol.page.locator("#message-input").isDisabled());
  await roomRow(carol.page, "Lunch crew").waitFor({ state: "detached" });

  // Added back: the room returns to her sidebar live.
  await panel.getByLabel("Add someone").selectOption({ label: "carol" });
  await panel.getByRole("button", { name: "Add", exact: true }).click();
  await notice(bob.page, "alice added carol").waitFor();
  await roomRow(carol.page, "Lunch crew").waitFor();
  // Still on screen for her, the room takes her messages again.
  await notice(carol.page, "alice added you").waitFor();
  await carol.page.locator("#left-note").waitFor({ state: "hidden" });
  assert.equal(await carol.page.locator("#message-input").isDisabled(), false);
  await rows.nth(2).waitFor();
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "hidden" });
});

test("open rooms can be browsed and joined; private groups cannot be found", async () => {
  await createRoom(fx.server, bob.user, "Board games");
  await createRoom(fx.server, alice.user, "Secret plans", [bob.user], "group");
  await roomRow(bob.page, "Secret plans").waitFor();

  await carol.page.getByRole("button", { name: "Browse rooms" }).click();
  const dialog = carol.page.getByRole("dialog", { name: "Rooms" });
  const list = dialog.getByRole("list", { name: "Open rooms" });
  await list.getByText("Board games").waitFor();
  assert.equal(await list.getByText("Secret plans").count(), 0, "a private group is not listed");
  await dialog.getByRole("button", { name: "Open General" }).waitFor();

  await dialog.getByRole("button", { name: "Join Board games" }).click();
  await dialog.waitFor({ state: "hidden" });
  await waitForText(carol.page, "#peer-name", "Board games");
  await roomRow(carol.page, "Board games").waitFor();
  await openRoom(bob.page, "Board games");
  await notice(bob.page, "carol joined").waitFor();
  await sendMessage(carol.page, "Catan tonight?");
  await messageWithText(bob.page, "Catan tonight?").waitFor();
});

test("leaving a room takes it out of the sidebar and tells the others", async () => {
  await carol.page.getByRole("button", { name: "Members", exact: true }).click();
  const panel = carol.page.getByRole("dialog", { name: "Board games" });
  await panel.getByRole("button", { name: "Leave" }).click();
  await carol.page.getByRole("dialog", { name: /^Leave “Board games”/ }).getByRole("button", { name: "Leave" }).click();
  await roomRow(carol.page, "Board games").waitFor({ state: "detached" });
  await carol.page.locator("#placeholder").waitFor({ state: "visible" });
  await notice(bob.page, "carol left").waitFor();
  const rooms = await api(fx.server, "GET", "/rooms", { token: carol.user.token });
  assert.equal(rooms.data.find((r) => r.title === "Board games").joined, false);
});

test("no script errors on any page", () => {
  for (const { page } of [alice, bob, carol]) assert.deepEqual(page.errors, []);
});
