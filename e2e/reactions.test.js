// Reactions, three people in a room: the React action's picker (the bar,
// or + on a focused message, arrow keys and Enter), chips under the message
// with their counts seen live by everyone, the reader's own marked
// (aria-pressed) and everyone named for screen readers and on hover; a
// chip, or the same choice in the picker, taking one's reaction back; any
// emoji typed in the picker's field, and something else refused with the
// server's words.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  chatPages, createRoom, messageWithText, openRoom, roomRow, sendMessages, useFixture, waitForText,
} from "./harness.js";

let alice, bob, carol; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    const { alice: a, bob: b, carol: c } = fx.users;
    const room = await createRoom(fx.server, a, "Release", [b, c]);
    await sendMessages(fx.server, b, { conversationId: room.conversation_id }, ["ship it"]);
    ({ alice, bob, carol } = await chatPages(fx, ["alice", "bob", "carol"]));
    for (const { page } of [alice, bob, carol]) {
      await roomRow(page, "Release").waitFor();
      await openRoom(page, "Release");
      await messageWithText(page, "ship it").waitFor();
    }
  },
});

const picker = (page) => page.getByRole("dialog", { name: "Add a reaction" });

/** The chip of an emoji under "ship it". */
function chip(page, emoji) {
  return messageWithText(page, "ship it").locator(".msg-reactions .reaction").filter({ hasText: emoji });
}

/** What a page shows of the chips under "ship it": "emoji count pressed" each. */
function chipsOf(page) {
  return messageWithText(page, "ship it").locator(".msg-reactions .reaction").evaluateAll((chips) =>
    chips.map((c) => `${c.querySelector(".reaction-emoji").textContent} ${c.querySelector(".reaction-count").textContent}`
      + `${c.getAttribute("aria-pressed") === "true" ? " mine" : ""}`));
}

async function expectChips(page, expected) {
  await page.waitForFunction(([want]) => {
    const li = [...document.querySelectorAll("#message-list > li.msg")]
      .find((n) => n.querySelector(".msg-text")?.textContent === "ship it");
    const got = [...li.querySelectorAll(".msg-reactions .reaction")].map((c) =>
      `${c.querySelector(".reaction-emoji").textContent} ${c.querySelector(".reaction-count").textContent}`
      + `${c.getAttribute("aria-pressed") === "true" ? " mine" : ""}`);
    return JSON.stringify(got) === JSON.stringify(want);
  }, [expected]).catch(async (err) => {
    throw new Error(`chips: expected ${JSON.stringify(expected)}, got ${JSON.stringify(await chipsOf(page))} (${err.message.split("\n")[0]})`);
  });
}

test("React opens a picker; the reaction shows as a chip for everyone, live", async () => {
  const message = messageWithText(alice.page, "ship it");
  await message.hover();
  await message.getByRole("button", { name: "Add reaction" }).click();
  await picker(alice.page).waitFor();
  assert.equal(await alice.page.evaluate(() => document.activeElement.textContent), "👍", "focus on the first choice");
  assert.equal(await picker(alice.page).locator(".reaction-choice").count(), 12);
  await picker(alice.page).getByRole("button", { name: "🎉" }).click();
  await picker(alice.page).waitFor({ state: "hidden" });

  await expectChips(alice.page, ["🎉 1 mine"]);
  await expectChips(bob.page, ["🎉 1"]);
  await expectChips(carol.page, ["🎉 1"]);
  await bob.page.getByRole("button", { name: "🎉 1: alice" }).waitFor();
  await alice.page.getByRole("button", { name: "🎉 1: you" }).waitFor();
});

test("from the keyboard: + opens the picker, arrows and Enter choose, and chips name everyone", async () => {
  const message = messageWithText(bob.page, "ship it");
  await message.focus();
  await bob.page.keyboard.press("+");
  await picker(bob.page).waitFor();
  await bob.page.keyboard.press("ArrowRight");
  await bob.page.keyboard.press("ArrowLeft");
  await bob.page.keyboard.press("Enter");
  await picker(bob.page).waitFor({ state: "hidden" });
  assert.equal(await bob.page.evaluate(() => document.activeElement.querySelector(".msg-text")?.textContent), "ship it",
    "focus is back on the message");
  await expectChips(carol.page, ["🎉 1", "👍 1"]);

  // Carol and alice agree by pressing bob's chip.
  await chip(carol.page, "👍").click();
  await expectChips(alice.page, ["🎉 1 mine", "👍 2"]);
  await chip(alice.page, "👍").click();
  await expectChips(alice.page, ["🎉 1 mine", "👍 3 mine"]);
  await expectChips(bob.page, ["🎉 1", "👍 3 mine"]);
  await expectChips(carol.page, ["🎉 1", "👍 3 mine"]);
  // Named in the order they reacted, the reader last as "you".
  await alice.page.getByRole("button", { name: "👍 3: bob, carol and you" }).waitFor();
  await bob.page.getByRole("button", { name: "👍 3: carol, alice and you" }).waitFor();
  assert.equal(await chip(carol.page, "👍").getAttribute("title"), "bob, alice and you", "who, on hover");
  assert.equal(await chip(carol.page, "👍").getAttribute("aria-pressed"), "true");
});

test("a chip pressed again, or the same choice in the picker, takes one's reaction back, live", async () => {
  await chip(alice.page, "👍").click();
  await expectChips(bob.page, ["🎉 1", "👍 2 mine"]);
  await expectChips(alice.page, ["🎉 1 mine", "👍 2"]);

  const message = messageWithText(alice.page, "ship it");
  await message.focus();
  await alice.page.keyboard.press("+");
  await picker(alice.page).getByRole("button", { name: "🎉" }).click();
  await expectChips(carol.page, ["👍 2 mine"]);
  await expectChips(alice.page, ["👍 2"]);
});

test("any emoji can be typed in the picker; anything else is refused with the server's words", async () => {
  const message = messageWithText(carol.page, "ship it");
  await message.focus();
  await carol.page.keyboard.press("+");
  const field = picker(carol.page).getByRole("textbox", { name: "Any emoji" });
  await field.fill("🦀");
  await field.press("Enter");
  await picker(carol.page).waitFor({ state: "hidden" });
  await expectChips(alice.page, ["👍 2", "🦀 1"]);

  await message.focus();
  await carol.page.keyboard.press("+");
  await field.fill("nope");
  await picker(carol.page).getByRole("button", { name: "Add" }).click();
  await waitForText(carol.page, ".reaction-picker [role=alert]", "Not an emoji");
  assert.ok(await picker(carol.page).isVisible(), "still open, to try again");
  await carol.page.keyboard.press("Escape");
  await picker(carol.page).waitFor({ state: "hidden" });
  assert.equal(await carol.page.evaluate(() => document.activeElement.querySelector(".msg-text")?.textContent), "ship it");
  await expectChips(carol.page, ["👍 2 mine", "🦀 1 mine"]);
  assert.deepEqual([...alice.page.errors, ...bob.page.errors, ...carol.page.errors], []);
});
