// Message actions: the bar on hover (and on a long press on a touch
// screen), with reply, react, edit, copy and delete where each applies; and the same
// actions from the keyboard, where the message list is one tab stop, the
// arrow keys move a focus ring between messages, Enter (or the context-menu
// key) opens a message's menu, and letters are shortcuts.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  createRoom, eventually, gotoChat, messageWithText, openConversation, openRoom, sendMessage, sendMessages, storedId, useFixture,
  waitForText,
} from "./harness.js";

let alice, bob; // { user, context, page }
let room;
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    alice = { user: fx.users.alice, ...(await fx.person({ user: fx.users.alice })) };
    bob = { user: fx.users.bob, ...(await fx.person({ user: fx.users.bob })) };
    for (const { context } of [alice, bob]) {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: fx.server.url });
    }
    await gotoChat(alice.page, alice.user);
    await gotoChat(bob.page, bob.user);
    await openConversation(alice.page, bob.user);
    await openConversation(bob.page, alice.user);
    await sendMessage(bob.page, "first from bob");
    await sendMessage(alice.page, "see https://example.com/a and **this**", "see https://example.com/a and this");
    await sendMessage(bob.page, "second from bob");
    await sendMessage(alice.page, "last from alice");
    await storedId(alice.page, "last from alice");
    await messageWithText(alice.page, "second from bob").waitFor();
    room = await createRoom(fx.server, fx.users.alice, "Team", [fx.users.bob, fx.users.carol]);
    await sendMessages(fx.server, fx.users.carol, { conversationId: room.conversation_id }, ["carol in the room"]);
  },
});

/** The accessible names of a message's bar buttons, in order. */
function barOf(li) {
  return li.locator(".msg-tools button").evaluateAll((buttons) => buttons.map((b) => b.getAttribute("aria-label")));
}

const opacityOf = (locator) => locator.evaluate((node) => getComputedStyle(node).opacity);

/** What has focus: a message's text, a menu item's label, or the element's id. */
function focused(page) {
  return page.evaluate(() => {
    const node = document.activeElement;
    const entry = node.closest?.("#message-list > li");
    if (entry === node) return `message: ${node.querySelector(".msg-text")?.textContent ?? node.textContent.trim()}`;
    if (node.getAttribute("role") === "menuitem") return `menuitem: ${node.querySelector("span").textContent}`;
    return node.id ? `#${node.id}` : node.localName;
  });
}

/** Waits until the clipboard holds `text` (copying is asynchronous). */
async function expectClipboard(page, text) {
  let last;
  await eventually(async () => (last = await page.evaluate(() => navigator.clipboard.readText())) === text,
    { what: `the clipboard to hold ${JSON.stringify(text)}` }).catch((err) => {
    throw new Error(`${err.message} (it holds ${JSON.stringify(last)})`);
  });
}

test("hovering a message shows its bar: reply, react, edit, copy and delete on one's own; reply, react and copy on others'", async () => {
  const mine = messageWithText(alice.page, "last from alice");
  const theirs = messageWithText(alice.page, "second from bob");
  await alice.page.mouse.move(0, 0);
  assert.equal(await opacityOf(mine.locator(".msg-tools")), "0", "hidden until hovered");
  await mine.hover();
  assert.equal(await opacityOf(mine.locator(".msg-tools")), "1");
  assert.deepEqual(await barOf(mine), ["Reply", "Add reaction", "Edit message", "Copy text", "Delete message"]);
  await theirs.hover();
  assert.deepEqual(await barOf(theirs), ["Reply", "Add reaction", "Copy text"]);
  // The buttons are for the pointer: the keyboard has the menu.
  const tabbable = await alice.page.locator("#message-list .msg-tools button").evaluateAll((b) => b.filter((x) => x.tabIndex >= 0).length);
  assert.equal(tabbable, 0, "no bar button is a tab stop");
});

test("in a room an admin's bar may delete anyone's message, a member's only their own", async () => {
  await openRoom(alice.page, "Team");
  await openRoom(bob.page, "Team");
  const onAlice = messageWithText(alice.page, "carol in the room");
  await onAlice.hover();
  assert.deepEqual(await barOf(onAlice), ["Reply", "Add reaction", "Copy text", "Delete message from carol"]);
  const onBob = messageWithText(bob.page, "carol in the room");
  await onBob.hover();
  assert.deepEqual(await barOf(onBob), ["Reply", "Add reaction", "Copy text"]);
  await openConversation(alice.page, bob.user);
  await openConversation(bob.page, alice.user);
});

test("Copy puts the text as it was typed on the clipboard", async () => {
  const li = messageWithText(alice.page, "see https://example.com/a and this");
  await li.hover();
  await li.getByRole("button", { name: "Copy text" }).click();
  await waitForText(alice.page, "#toast", "Copied");
  await expectClipboard(alice.page, "see https://example.com/a and **this**");
});

test("Copy works where the Clipboard API is missing, as on a LAN server over plain http", async () => {
  // 127.0.0.1 is a secure context; an address on the network is not, and
  // there the browser has no navigator.clipboard.
  const { page, context } = await fx.person({ user: alice.user });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: fx.server.url });
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined }));
  await gotoChat(page, alice.user);
  assert.equal(await page.evaluate(() => navigator.clipboard), undefined);
  await openConversation(page, bob.user);
  const li = messageWithText(page, "second from bob");
  await li.focus();
  await alice.page.evaluate(() => navigator.clipboard.writeText("")); // the same clipboard, emptied
  await page.keyboard.press("c");
  await waitForText(page, "#toast", "Copied");
  assert.equal(await page.evaluate(() => document.activeElement.querySelector(".msg-text")?.textContent), "second from bob",
    "focus stays on the message");
  await expectClipboard(alice.page, "second from bob");
  await context.close();
});

test("on a touch screen a long press shows the bar, and a touch elsewhere hides it", async () => {
  const phone = await fx.person({ user: alice.user, viewport: { width: 390, height: 844 }, touch: true });
  const { page, context } = phone;
  await gotoChat(page, alice.user);
  await openConversation(page, bob.user);
  assert.ok(await page.evaluate(() => matchMedia("(hover: none)").matches), "the phone has no hover");
  const li = messageWithText(page, "last from alice");
  await li.waitFor();
  const tools = li.locator(".msg-tools");
  assert.equal(await tools.evaluate((n) => getComputedStyle(n).pointerEvents), "none", "not tappable before a long press");

  const box = await li.locator(".bubble").boundingBox();
  const cdp = await context.newCDPSession(page);
  const point = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [point] });
  await page.waitForFunction((text) => [...document.querySelectorAll("#message-list > li.tools-open .msg-text")]
    .some((n) => n.textContent === text), "last from alice");
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  assert.equal(await opacityOf(tools), "1");
  assert.equal(await tools.evaluate((n) => getComputedStyle(n).pointerEvents), "auto");
  assert.deepEqual(await barOf(li), ["Reply", "Add reaction", "Edit message", "Copy text", "Delete message"]);

  // A quick tap is not a long press, and it closes the open bar.
  const other = await messageWithText(page, "first from bob").locator(".bubble").boundingBox();
  await page.touchscreen.tap(other.x + 5, other.y + 5);
  await page.waitForFunction(() => !document.querySelector("#message-list > li.tools-open"));
  await context.close();
});

test("the message list is one tab stop, and the arrow keys move a focus ring through it", async () => {
  const page = alice.page;
  // Freshly opened: no message has been visited yet.
  await openRoom(page, "Team");
  await openConversation(page, bob.user);
  await page.locator("#message-input").focus();
  await page.keyboard.press("Shift+Tab"); // the attach button
  await page.keyboard.press("Shift+Tab");
  assert.equal(await focused(page), "message: last from alice", "Tab lands on the newest message");
  const stops = await page.locator("#message-list").evaluate((list) =>
    [...list.querySelectorAll("[tabindex], a[href], button")].filter((n) => n.tabIndex >= 0).length);
  assert.equal(stops, 1, "one tab stop in the whole list");
  const ring = await page.evaluate(() => {
    const li = document.activeElement;
    return { visible: li.matches(":focus-visible"), outline: getComputedStyle(li.querySelector(".bubble")).outlineStyle };
  });
  assert.deepEqual(ring, { visible: true, outline: "solid" }, "a focus ring round the bubble");

  await page.keyboard.press("ArrowUp");
  assert.equal(await focused(page), "message: second from bob");
  await page.keyboard.press("ArrowUp");
  assert.equal(await focused(page), "message: see https://example.com/a and this");
  // The focused message's link is reachable with Tab; others' links are not tab stops.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("href")), "https://example.com/a");
  await page.keyboard.press("Shift+Tab");
  assert.equal(await focused(page), "message: see https://example.com/a and this");
  await page.keyboard.press("ArrowDown");
  assert.equal(await focused(page), "message: second from bob");
  assert.equal(await page.evaluate(() => document.activeElement.closest("li").querySelector("a")), null);
  const other = await page.locator("#message-list a[href='https://example.com/a']").evaluate((a) => a.tabIndex);
  assert.equal(other, -1, "a link in a message that is not current is not a tab stop");

  // Leaving the list and coming back returns to the same message.
  await page.keyboard.press("Tab");
  assert.notEqual(await focused(page), "message: second from bob");
  await page.keyboard.press("Shift+Tab");
  assert.equal(await focused(page), "message: second from bob");
  await page.keyboard.press("End");
  assert.equal(await focused(page), "message: last from alice");
  await page.keyboard.press("Home");
  assert.match(await focused(page), /^message: /);
});

test("Enter opens a message's menu; arrows, Enter and Escape work it", async () => {
  const page = alice.page;
  // By id: while the editor is open, the text it is found by is gone.
  const id = await messageWithText(page, "see https://example.com/a and this").getAttribute("data-id");
  const li = page.locator(`#message-list > li.msg[data-id="${id}"]`);
  await li.focus();
  await page.keyboard.press("Enter");
  const menu = page.getByRole("menu", { name: "Message actions" });
  await menu.waitFor();
  const items = await menu.getByRole("menuitem").evaluateAll((nodes) =>
    nodes.map((n) => `${n.querySelector("span").textContent} ${n.querySelector("kbd").textContent}`));
  assert.deepEqual(items, ["Reply R", "Add reaction +", "Edit message E", "Copy text C", "Delete message Del"],
    "the shortcuts are shown");
  assert.equal(await focused(page), "menuitem: Reply");
  await page.keyboard.press("ArrowDown");
  assert.equal(await focused(page), "menuitem: Add reaction");
  await page.keyboard.press("End");
  assert.equal(await focused(page), "menuitem: Delete message");
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowUp"); // wraps round
  assert.equal(await focused(page), "menuitem: Delete message");
  await page.keyboard.press("Escape");
  await menu.waitFor({ state: "hidden" });
  assert.equal(await focused(page), "message: see https://example.com/a and this", "focus is back on the message");

  // Copy from the menu.
  await page.evaluate(() => navigator.clipboard.writeText(""));
  await page.keyboard.press("Enter");
  await page.keyboard.press("End");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Enter");
  await menu.waitFor({ state: "hidden" });
  await expectClipboard(page, "see https://example.com/a and **this**");
  assert.equal(await focused(page), "message: see https://example.com/a and this");

  // The context-menu key opens it too; Edit from it by its letter, and Escape ends the edit back on the message.
  await page.keyboard.press("ContextMenu");
  await menu.waitFor();
  await page.keyboard.press("e");
  const editor = li.locator("textarea.edit-input");
  await editor.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains("edit-input")), true);
  await page.keyboard.press("Escape");
  await editor.waitFor({ state: "detached" });
  assert.equal(await focused(page), "message: see https://example.com/a and this");

  // Others' messages offer only what applies.
  const theirs = messageWithText(page, "second from bob");
  await theirs.focus();
  await page.keyboard.press("Enter");
  await menu.waitFor();
  assert.deepEqual(await menu.getByRole("menuitem").allTextContents(), ["ReplyR", "Add reaction+", "Copy textC"]);
  await page.keyboard.press("Tab"); // Tab closes it too
  await menu.waitFor({ state: "hidden" });
});

test("letter shortcuts act on the focused message: E edits, C copies, Delete deletes", async () => {
  const page = alice.page;
  await sendMessage(page, "shortcut me");
  const id = await storedId(page, "shortcut me");
  const li = page.locator(`#message-list > li.msg[data-id="${id}"]`);
  await li.focus();
  await page.keyboard.press("e");
  const editor = li.locator("textarea.edit-input");
  await editor.waitFor();
  await editor.fill("shortcut me, edited");
  await editor.press("Enter");
  await waitForText(bob.page, `#message-list > li.msg[data-id="${id}"] .msg-text`, "shortcut me, edited");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), id, "focus is back on the message");

  await page.keyboard.press("c");
  await waitForText(page, "#toast", "Copied");
  await expectClipboard(page, "shortcut me, edited");

  // On someone else's message, E and Delete do nothing.
  const theirs = messageWithText(page, "second from bob");
  await theirs.focus();
  await page.keyboard.press("e");
  await page.keyboard.press("Delete");
  assert.equal(await theirs.locator("textarea").count(), 0, "no editor on bob's message");
  assert.equal(await page.getByRole("dialog").count(), 0, "no delete question");

  await li.focus();
  await page.keyboard.press("Delete");
  const confirm = page.getByRole("dialog", { name: "Delete this message for everyone?" });
  await confirm.getByRole("button", { name: "Delete" }).click();
  await waitForText(bob.page, `#message-list > li.msg[data-id="${id}"] .msg-deleted`, "Message deleted");
  await li.focus();
  await page.keyboard.press("Enter");
  assert.equal(await page.getByRole("menu").count(), 0, "a deleted message has no menu");
  assert.deepEqual([...page.errors, ...bob.page.errors], []);
});
