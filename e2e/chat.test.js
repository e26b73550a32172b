// Two people chatting: presence, typing, messages both ways, edits, and
// user text that must never become HTML. The tests run in order and share
// the two pages, like one conversation.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, gotoChat, messageWithText, openConversation, sendMessage, storedId, useFixture, userRow, waitForText, WAIT_MS,
} from "./harness.js";

let alice, bob; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob"],
  setup: async () => {
    alice = { user: fx.users.alice, ...(await fx.person({ user: fx.users.alice })) };
    bob = { user: fx.users.bob, ...(await fx.person({ user: fx.users.bob })) };
    await gotoChat(alice.page, alice.user);
    await gotoChat(bob.page, bob.user);
  },
});

test("each sees the other online", async () => {
  // Everyone can be reached through New message, with their presence.
  await alice.page.getByRole("button", { name: "New message" }).click();
  const bobInPicker = alice.page.locator(`#people-list > li[data-user-id="${bob.user.id}"]`);
  await bobInPicker.waitFor();
  await waitForText(alice.page, `#people-list > li[data-user-id="${bob.user.id}"] .person-status`, /Online/i);
  assert.match(await bobInPicker.locator(".person-name").textContent(), /^\s*bob\s*$/);
  await alice.page.keyboard.press("Escape");

  await openConversation(alice.page, bob.user);
  await openConversation(bob.page, alice.user);
  await waitForText(alice.page, "#peer-status", /Online/i);
  await waitForText(bob.page, "#peer-status", /Online/i);
});

test("typing shows on the other side, and goes when the message arrives", async () => {
  assert.equal((await bob.page.locator("#typing").textContent()).trim(), "", "nobody typing yet");

  const input = alice.page.locator("#message-input");
  await input.pressSequentially("Hi Bob", { delay: 20 });
  await waitForText(bob.page, "#typing", /^alice is typing/);

  await input.press("Enter");
  await messageWithText(bob.page, "Hi Bob").waitFor();
  await waitForText(bob.page, "#typing", "");
});

test("send and receive, both ways", async () => {
  await sendMessage(alice.page, "Hello Bob 👋 ünïcödé");
  const received = messageWithText(bob.page, "Hello Bob 👋 ünïcödé");
  await received.waitFor();
  assert.ok(await received.evaluate((li) => li.classList.contains("theirs")), "bob sees it as theirs");
  const sent = messageWithText(alice.page, "Hello Bob 👋 ünïcödé");
  assert.ok(await sent.evaluate((li) => li.classList.contains("mine")), "alice sees it as hers");
  // Once the server has it, the message is no longer pending and has its id.
  await alice.page.waitForFunction(
    (text) => [...document.querySelectorAll("#message-list > li.msg")].some((li) =>
      li.querySelector(".msg-text")?.textContent === text && li.dataset.state !== "pending"
      && li.dataset.state !== "failed" && /^\d+$/.test(li.dataset.id ?? "")),
    "Hello Bob 👋 ünïcödé",
  );

  // Bob answers over two lines (Shift+Enter), Enter sends.
  const box = bob.page.locator("#message-input");
  await box.fill("line one");
  await box.press("Shift+Enter");
  await box.pressSequentially("line two");
  assert.equal(await box.inputValue(), "line one\nline two", "Shift+Enter makes a new line, not a send");
  await box.press("Enter");
  await alice.page.waitForFunction(
    () => [...document.querySelectorAll("#message-list > li.msg.theirs .msg-text")]
      .some((node) => node.textContent === "line one\nline two"),
  );
  await bob.page.waitForFunction(() => document.querySelector("#message-input").value === "");

  // Both are stored, in order.
  const history = await api(fx.server, "GET", `/messages/${bob.user.id}`, { token: alice.user.token });
  assert.equal(history.status, 200);
  const texts = history.data.map((m) => m.content);
  assert.deepEqual(texts.slice(-2), ["Hello Bob 👋 ünïcödé", "line one\nline two"]);
});

test("an edit shows on the other side", async () => {
  const id = await messageWithText(alice.page, "Hello Bob 👋 ünïcödé").getAttribute("data-id");
  assert.match(id ?? "", /^\d+$/);
  // By id: while the editor is open, the text it is found by is gone.
  const mine = alice.page.locator(`#message-list > li.msg[data-id="${id}"]`);
  const theirs = bob.page.locator(`#message-list > li.msg[data-id="${id}"]`);
  await theirs.waitFor();
  assert.equal(await theirs.locator(".msg-edited").isVisible(), false, "not marked edited yet");

  await mine.hover();
  await mine.locator(".msg-edit").click();
  const editor = mine.locator("textarea.edit-input");
  await editor.fill("Hello Bob, edited");
  await editor.press("Enter");

  await waitForText(bob.page, `#message-list > li.msg[data-id="${id}"] .msg-text`, "Hello Bob, edited");
  await theirs.locator(".msg-edited").waitFor({ state: "visible" });
  assert.equal((await theirs.locator(".msg-edited").textContent()).trim(), "edited");
  await waitForText(alice.page, `#message-list > li.msg[data-id="${id}"] .msg-text`, "Hello Bob, edited");
  await mine.locator(".msg-edited").waitFor({ state: "visible" });

  // Escape cancels an edit without sending it.
  await mine.hover();
  await mine.locator(".msg-edit").click();
  await mine.locator("textarea.edit-input").fill("never sent");
  await mine.locator("textarea.edit-input").press("Escape");
  await mine.locator("textarea.edit-input").waitFor({ state: "detached" });
  assert.equal(await mine.locator(".msg-text").textContent(), "Hello Bob, edited");
});

test("user text renders literally and runs nothing", async () => {
  const xss = "<img src=x onerror=alert(1)>";
  await sendMessage(alice.page, xss);
  const received = messageWithText(bob.page, xss);
  await received.waitFor();
  for (const { page } of [alice, bob]) {
    const texts = await page.locator("#message-list .msg-text").evaluateAll((nodes) => nodes.map((n) => n.textContent));
    assert.ok(texts.includes(xss), "the characters are shown as they were typed");
    const stray = await page.locator("#message-list img:not(.file-thumb)").count();
    assert.equal(stray, 0, "no img element was made from the text");
    // The broken image would have fired its onerror by the time the page
    // has taken another round trip; wait for one before checking dialogs.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    assert.deepEqual(page.dialogs, [], "no alert() ran");
  }
});

test("a message deleted goes for both, and only its sender may delete it", async () => {
  await sendMessage(alice.page, "this was a mistake");
  const id = await storedId(alice.page, "this was a mistake");
  const theirs = bob.page.locator(`#message-list > li.msg[data-id="${id}"]`);
  await theirs.waitFor();
  await theirs.hover();
  assert.equal(await theirs.getByRole("button", { name: /Delete/ }).count(), 0, "bob cannot delete alice's message");

  const mine = alice.page.locator(`#message-list > li.msg[data-id="${id}"]`);
  await mine.hover();
  await mine.getByRole("button", { name: "Delete message" }).click();
  await alice.page.getByRole("dialog", { name: "Delete this message for everyone?" })
    .getByRole("button", { name: "Delete" }).click();
  await waitForText(bob.page, `#message-list > li.msg[data-id="${id}"] .msg-deleted`, "Message deleted");
  await waitForText(alice.page, `#message-list > li.msg[data-id="${id}"] .msg-deleted`, "Message deleted");
  await waitForText(bob.page, `#direct-list > li[data-user-id="${alice.user.id}"] .conv-preview`, "Message deleted");
});

test("no script errors on either page during the conversation", () => {
  assert.deepEqual(alice.page.errors, [], "alice's page");
  assert.deepEqual(bob.page.errors, [], "bob's page");
});

test("the direct conversation is in both sidebars, with the other online", async () => {
  await userRow(alice.page, bob.user.id).and(alice.page.locator('[data-online="true"]')).waitFor();
  await userRow(bob.page, alice.user.id).and(bob.page.locator('[data-online="true"]')).waitFor();
  assert.match(await userRow(alice.page, bob.user.id).locator(".conv-name").textContent(), /^\s*bob\s*$/);
});

test("someone leaving shows as offline with a last-seen time", async () => {
  await bob.context.close();
  const row = userRow(alice.page, bob.user.id);
  await row.and(alice.page.locator('[data-online="false"]')).waitFor({ timeout: WAIT_MS });
  await waitForText(alice.page, "#peer-status", /Last seen/i);
});
