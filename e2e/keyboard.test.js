// The keyboard: the quick switcher (Ctrl+K / Cmd+K) to any conversation or
// person, Alt+↑ / Alt+↓ through the sidebar, ↑ in an empty composer to edit
// one's last message, and Escape closing what is open or else going back to
// the composer.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  createRoom, gotoChat, messageWithText, openConversation, roomRow, sendMessage, sendMessages, storedId, useFixture,
  userRow, waitForText,
} from "./harness.js";

let alice; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol", "dave"],
  setup: async (fx) => {
    const { bob, carol } = fx.users;
    await createRoom(fx.server, fx.users.alice, "Design", [bob]);
    await sendMessages(fx.server, bob, { receiverId: fx.users.alice.id }, ["hi alice, bob here"]);
    await sendMessages(fx.server, carol, { receiverId: fx.users.alice.id }, ["hi alice, carol here"]);
    alice = { user: fx.users.alice, ...(await fx.person({ user: fx.users.alice })) };
    await gotoChat(alice.page, alice.user);
    await userRow(alice.page, carol.id).waitFor();
  },
});

const switcher = () => alice.page.getByRole("dialog", { name: "Go to a conversation" });

/** The options the switcher lists, top to bottom, and which one is selected. */
async function options() {
  return alice.page.locator("#switcher-list [role=option]").evaluateAll((nodes) => nodes.map((n) =>
    `${n.getAttribute("aria-selected") === "true" ? "> " : ""}${n.querySelector(".switcher-name").textContent}`));
}

const activeId = () => alice.page.evaluate(() => document.activeElement?.id);

test("Ctrl+K opens the quick switcher; typing narrows it, best match first; Enter opens the choice", async () => {
  const page = alice.page;
  await page.keyboard.press("Control+k");
  await switcher().waitFor();
  assert.equal(await activeId(), "switcher-input", "the field has focus");
  const everything = await options();
  for (const name of ["General", "Design", "bob", "carol", "dave", "alice (notes to self)"]) {
    assert.ok(everything.some((o) => o.replace(/^> /, "") === name), `${name} is listed: ${everything}`);
  }

  await page.keyboard.type("gn");
  // "Design" holds "gn"; "General" only its letters in order.
  assert.deepEqual(await options(), ["> Design", "General"]);
  const input = page.locator("#switcher-input");
  assert.equal(await input.getAttribute("aria-activedescendant"),
    await page.locator("#switcher-list [aria-selected=true]").getAttribute("id"));
  await page.keyboard.press("ArrowDown");
  assert.deepEqual(await options(), ["Design", "> General"]);
  await page.keyboard.press("Enter");
  await switcher().waitFor({ state: "hidden" });
  await waitForText(page, "#peer-name", "General");
  assert.equal(await activeId(), "message-input", "the composer has focus");

  // A word start beats the middle of a word; the start of the name beats both.
  await page.keyboard.press("Control+k");
  await page.keyboard.type("ca");
  assert.equal((await options())[0], "> carol");
  await page.keyboard.press("Enter");
  await waitForText(page, "#peer-name", "carol");
  await messageWithText(page, "hi alice, carol here").waitFor();
});

test("choosing someone with no conversation yet opens one with them, as New message does", async () => {
  const page = alice.page;
  const { dave } = fx.users;
  await page.keyboard.press("Control+k");
  await page.keyboard.type("dav");
  assert.deepEqual(await options(), ["> dave"]);
  await page.keyboard.press("Enter");
  await waitForText(page, "#peer-name", "dave");
  assert.equal(await activeId(), "message-input");
  await sendMessage(page, "hello dave");
  await userRow(page, dave.id).waitFor();
  // Now a conversation, listed once.
  await page.keyboard.press("Control+k");
  await page.keyboard.type("dave");
  assert.deepEqual(await options(), ["> dave"]);
  await page.keyboard.press("Escape");
  await switcher().waitFor({ state: "hidden" });
});

test("Escape closes the switcher, Cmd+K opens it too, and nothing that matches says so", async () => {
  const page = alice.page;
  await page.locator("#message-input").focus();
  await page.keyboard.press("Meta+k");
  await switcher().waitFor();
  await page.keyboard.type("zzz");
  assert.deepEqual(await options(), []);
  assert.ok(await page.getByText("Nothing matches.").isVisible());
  await page.keyboard.press("Enter"); // nothing to open: nothing happens
  await page.keyboard.press("Escape");
  await switcher().waitFor({ state: "hidden" });
  assert.equal(await activeId(), "message-input", "focus is back where it was");
  // Ctrl+K again closes an open switcher.
  await page.keyboard.press("Control+k");
  await switcher().waitFor();
  await page.keyboard.press("Control+k");
  await switcher().waitFor({ state: "hidden" });
});

test("Alt+↓ and Alt+↑ go through the conversations in the sidebar's order", async () => {
  const page = alice.page;
  const order = await page.locator("#conversation-list li[data-conversation-id] .conv-name").allTextContents();
  assert.ok(order.length >= 5, `five conversations listed: ${order}`);
  await roomRow(page, order[0]).locator("button").click();
  await waitForText(page, "#peer-name", order[0]);
  for (const name of order.slice(1)) {
    await page.keyboard.press("Alt+ArrowDown");
    await waitForText(page, "#peer-name", name);
  }
  assert.equal(await activeId(), "message-input", "the composer has focus");
  await page.keyboard.press("Alt+ArrowDown"); // past the end: stays
  await page.keyboard.press("Alt+ArrowUp");
  await waitForText(page, "#peer-name", order.at(-2));
  await page.keyboard.press("Alt+ArrowUp");
  await waitForText(page, "#peer-name", order.at(-3));
});

test("↑ in an empty composer edits one's last message; Escape ends it back in the composer", async () => {
  const page = alice.page;
  const { bob } = fx.users;
  await openConversation(page, bob);
  await sendMessage(page, "my first");
  await sendMessage(page, "my second");
  const id = await storedId(page, "my second");
  await sendMessages(fx.server, bob, { receiverId: alice.user.id }, ["bob has the last word"]);
  await messageWithText(page, "bob has the last word").waitFor();

  const composer = page.locator("#message-input");
  await composer.fill("a draft");
  await composer.press("ArrowUp");
  assert.equal(await page.locator("textarea.edit-input").count(), 0, "not with text in the box");
  await composer.fill("");
  await composer.press("ArrowUp");
  const editor = page.locator(`#message-list > li.msg[data-id="${id}"] textarea.edit-input`);
  await editor.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains("edit-input")), true);
  assert.equal(await editor.inputValue(), "my second");
  await page.keyboard.press("Escape");
  await editor.waitFor({ state: "detached" });
  assert.equal(await activeId(), "message-input", "back in the composer");

  await composer.press("ArrowUp");
  await editor.fill("my second, edited");
  await editor.press("Enter");
  await waitForText(page, `#message-list > li.msg[data-id="${id}"] .msg-text`, "my second, edited");
  assert.equal(await activeId(), "message-input");
});

test("Escape closes what is open first, and otherwise goes back to the composer", async () => {
  const page = alice.page;
  const message = messageWithText(page, "bob has the last word");
  await message.focus();
  await page.keyboard.press("Enter");
  const menu = page.getByRole("menu", { name: "Message actions" });
  await menu.waitFor();
  await page.keyboard.press("Escape");
  await menu.waitFor({ state: "hidden" });
  assert.equal(await page.evaluate(() => document.activeElement.closest("li")?.querySelector(".msg-text")?.textContent),
    "bob has the last word", "the menu closed, focus on its message");
  await page.keyboard.press("Escape");
  assert.equal(await activeId(), "message-input", "then back to the composer");

  // A dialog's Escape closes only the dialog.
  await page.getByRole("button", { name: "Settings" }).click();
  const settings = page.getByRole("dialog", { name: "Settings" });
  await settings.waitFor();
  await page.keyboard.press("Escape");
  await settings.waitFor({ state: "hidden" });
  assert.equal(await activeId(), "settings-button");
  await page.keyboard.press("Escape");
  assert.equal(await activeId(), "message-input");
  assert.deepEqual(page.errors, []);
});
