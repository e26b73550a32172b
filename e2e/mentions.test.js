// Mentions: "@" in the composer opens a list of the conversation's members
// (and @room), an ARIA combobox filtered as one types, worked by the arrow
// keys, Enter, Tab and Escape, or the mouse; a message mentioning someone is
// highlighted for them with its names marked; and the sidebar's mention
// badge, apart from the unread count, rising live while the person is
// elsewhere, kept by the server across a reload, and cleared on reading.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, chatPages, conversationRow, createRoom, eventually, messageWithText, openRoom, roomRow, sendMessage, sendMessages, useFixture,
  waitForText,
} from "./harness.js";

let alice, bob; // { user, context, page }
let standup;
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol", "dave"],
  setup: async (fx) => {
    const { alice: a, bob: b, carol: c } = fx.users;
    standup = await createRoom(fx.server, a, "Standup", [b, c]); // dave is not in it
    await createRoom(fx.server, a, "Elsewhere", [b]);
    ({ alice, bob } = await chatPages(fx, ["alice", "bob"]));
    await roomRow(alice.page, "Standup").waitFor();
    await openRoom(alice.page, "Standup");
  },
});

const box = (page) => page.locator("#message-input");
const list = (page) => page.getByRole("listbox", { name: "People to mention" });

/** The options shown, and which is selected: ["@bob*", "@carol", ...]. */
function options(page) {
  return list(page).getByRole("option").evaluateAll((nodes) => nodes.map((n) =>
    `${n.querySelector(".mention-name").textContent}${n.getAttribute("aria-selected") === "true" ? "*" : ""}`));
}

async function expectOptions(page, expected) {
  let last;
  await eventually(async () => JSON.stringify(last = await options(page)) === JSON.stringify(expected),
    { what: `the options ${JSON.stringify(expected)}` }).catch(() => assert.deepEqual(last, expected));
}

test("@ lists the conversation's members and @room, filtered as you type; arrows, Enter and Tab choose", async () => {
  const { page } = alice;
  await box(page).focus();
  await page.keyboard.type("hi @");
  await list(page).waitFor();
  assert.equal(await box(page).getAttribute("role"), "combobox");
  assert.equal(await box(page).getAttribute("aria-expanded"), "true");
  await expectOptions(page, ["@bob*", "@carol", "@room"]); // not alice herself, not dave
  assert.equal(await box(page).getAttribute("aria-activedescendant"),
    await list(page).getByRole("option").first().getAttribute("id"));

  await page.keyboard.type("c");
  await expectOptions(page, ["@carol*"]);
  await page.keyboard.press("Backspace");
  await page.keyboard.press("ArrowDown");
  await expectOptions(page, ["@bob", "@carol*", "@room"]);
  await page.keyboard.press("Enter");
  await list(page).waitFor({ state: "hidden" });
  assert.equal(await box(page).inputValue(), "hi @carol ", "chosen, not sent");
  assert.equal(await box(page).getAttribute("aria-expanded"), "false");

  await page.keyboard.type("and @B");
  await expectOptions(page, ["@bob*"]);
  await page.keyboard.press("Tab");
  assert.equal(await box(page).inputValue(), "hi @carol and @bob ");
  assert.equal(await page.evaluate(() => document.activeElement.id), "message-input", "Tab stayed in the box");

  // Escape closes the list and leaves the text; a name nobody has closes it too.
  await page.keyboard.type("@");
  await list(page).waitFor();
  await page.keyboard.press("Escape");
  await list(page).waitFor({ state: "hidden" });
  await page.keyboard.type("zz");
  assert.equal(await list(page).isVisible(), false);
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  await page.keyboard.type("how is it going?");
  await page.keyboard.press("Enter");
  await messageWithText(page, "hi @carol and @bob how is it going?").waitFor();
});

test("the mouse chooses too", async () => {
  const { page } = alice;
  await box(page).focus();
  await page.keyboard.type("thanks @r");
  await list(page).getByRole("option", { name: /@room/ }).click();
  assert.equal(await box(page).inputValue(), "thanks @room ");
  assert.equal(await page.evaluate(() => document.activeElement.id), "message-input");
  await box(page).fill("");
});

test("a message mentioning you is highlighted for you, with its names marked", async () => {
  await roomRow(bob.page, "Standup").locator("button").click();
  const onBob = messageWithText(bob.page, "hi @carol and @bob how is it going?");
  await onBob.waitFor();
  assert.ok(await onBob.evaluate((li) => li.classList.contains("mentioned")), "highlighted for bob");
  assert.deepEqual(await onBob.locator(".mention").evaluateAll((spans) => spans.map((s) => `${s.textContent} ${s.className}`)),
    ["@carol mention", "@bob mention self"]);
  assert.match(await onBob.locator(".visually-hidden").first().textContent(), /^alice, mentioning you: $/);
  const onAlice = messageWithText(alice.page, "hi @carol and @bob how is it going?");
  assert.equal(await onAlice.evaluate((li) => li.classList.contains("mentioned")), false, "not for the sender");
});

test("the sidebar's mention badge rises live while you are elsewhere, survives a reload and clears on reading", async () => {
  await roomRow(bob.page, "Elsewhere").locator("button").click();
  await waitForText(bob.page, "#peer-name", "Elsewhere");
  const row = conversationRow(bob.page, standup.conversation_id);
  await sendMessage(alice.page, "@bob can you look at the build?");
  await waitForText(bob.page, `#room-list li[data-conversation-id="${standup.conversation_id}"] .mention-badge`, "@1");
  await waitForText(bob.page, `#room-list li[data-conversation-id="${standup.conversation_id}"] .unread-badge`, "1");
  await sendMessages(fx.server, fx.users.carol, { conversationId: standup.conversation_id },
    ["nothing for bob here", "@room standup in five"]);
  await waitForText(bob.page, `#room-list li[data-conversation-id="${standup.conversation_id}"] .mention-badge`, "@2");
  await waitForText(bob.page, `#room-list li[data-conversation-id="${standup.conversation_id}"] .unread-badge`, "3");
  await row.getByRole("button", { name: /3 unread\s*, 2 mentions/ }).waitFor();

  await bob.page.reload();
  await waitForText(bob.page, `#room-list li[data-conversation-id="${standup.conversation_id}"] .mention-badge`, "@2");

  await row.locator("button").click();
  await messageWithText(bob.page, "@room standup in five").waitFor();
  await row.locator(".mention-badge").waitFor({ state: "hidden" });
  await row.locator(".unread-badge").waitFor({ state: "hidden" });
  const summary = await api(fx.server, "GET", `/conversations/${standup.conversation_id}`, { token: bob.user.token });
  assert.equal(summary.data.unread_mentions, 0, "read on the server too");
  assert.deepEqual([...alice.page.errors, ...bob.page.errors], []);
});
