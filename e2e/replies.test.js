// Replies: the Reply action (bar, menu, the R key) and the preview above the
// composer (cancelled by its button or Escape); a reply's quote (of a text
// or a file) shown to everyone, jumping to the original where it is drawn, and where it is not
// (far back in a long room) loading the history around it, with the way
// back down to the newest messages; and a quote turning into "deleted
// message" when its original is deleted.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, chatPages, createRoom, focusedMessageText, messageWithText, openRoom, roomRow, sendFiles, sendMessage, sendMessages, storedId,
  useFixture, waitForText,
} from "./harness.js";

const FILLER = 120; // messages between the far original and its reply: more than a page or two
let alice, bob, carol; // { user, context, page }
let room, archive;
let farOriginal;
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    const { alice: a, bob: b, carol: c } = fx.users;
    room = await createRoom(fx.server, a, "Lunch", [b, c]);
    archive = await createRoom(fx.server, a, "Archive", [b, c]);
    const to = { conversationId: archive.conversation_id };
    [farOriginal] = await sendMessages(fx.server, b, to, ["the far original"]);
    await sendMessages(fx.server, b, to, Array.from({ length: FILLER }, (_, i) => `filler ${i + 1}`));
    await sendMessages(fx.server, a, to, [{ content: "answering the far original", reply_to: farOriginal.id }]);
    // Carol has read it all: the room opens at its newest page, without the far original.
    const newest = await api(fx.server, "GET", `/conversations/${archive.conversation_id}/messages?limit=1`, { token: c.token });
    await api(fx.server, "POST", `/conversations/${archive.conversation_id}/read`,
      { token: c.token, json: { message_id: newest.data[0].id } });
    ({ alice, bob, carol } = await chatPages(fx, ["alice", "bob", "carol"]));
    for (const { page } of [alice, bob]) {
      await roomRow(page, "Lunch").waitFor();
      await openRoom(page, "Lunch");
    }
    await sendMessage(bob.page, "lunch on friday?");
    await storedId(bob.page, "lunch on friday?");
    await messageWithText(alice.page, "lunch on friday?").waitFor();
  },
});

const preview = (page) => page.locator("#reply-preview");
const quoteIn = (li) => li.locator(".msg-quote");

/** The ids of the message entries drawn, top to bottom. */
function shownIds(page) {
  return page.locator("#message-list > li.msg[data-id]").evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
}

test("Reply shows what is answered above the composer; its button and Escape cancel it", async () => {
  const { page } = alice;
  const original = messageWithText(page, "lunch on friday?");
  await original.hover();
  await original.getByRole("button", { name: "Reply" }).click();
  await preview(page).waitFor();
  assert.equal(await preview(page).locator(".reply-label").textContent(), "Replying to bob");
  assert.equal(await preview(page).locator(".reply-text").textContent(), "lunch on friday?");
  assert.equal(await page.evaluate(() => document.activeElement.id), "message-input", "ready to write");
  await page.keyboard.press("Escape");
  await preview(page).waitFor({ state: "hidden" });

  // From the keyboard: R on the focused message.
  await original.focus();
  await page.keyboard.press("r");
  await preview(page).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), "message-input");
  const described = () => page.evaluate(() => document.activeElement.getAttribute("aria-describedby").split(" ")
    .map((id) => document.getElementById(id).textContent).join(" "));
  assert.match(await described(), /^Replying to boblunch on friday\? Enter sends/, "a screen reader hears what is answered");
  await preview(page).getByRole("button", { name: "Cancel reply" }).click();
  await preview(page).waitFor({ state: "hidden" });
  await page.locator("#message-input").focus();
  assert.match(await described(), /^Enter sends/);
});

test("a reply carries its quote to everyone, and the quote jumps to the original", async () => {
  const original = messageWithText(alice.page, "lunch on friday?");
  await original.focus();
  await alice.page.keyboard.press("r");
  await alice.page.locator("#message-input").fill("yes, at **noon**");
  await alice.page.locator("#message-input").press("Enter");
  await preview(alice.page).waitFor({ state: "hidden" });
  const replyId = await storedId(alice.page, "yes, at noon");

  for (const [{ page }, sender] of [[alice, "bob"], [bob, "You"]]) {
    const quote = quoteIn(messageWithText(page, "yes, at noon"));
    await quote.waitFor();
    assert.equal(await quote.locator(".quote-sender").textContent(), sender);
    assert.equal(await quote.locator(".quote-text").textContent(), "lunch on friday?");
    await page.getByRole("button", { name: `Reply to ${sender}: lunch on friday?` }).waitFor();
  }
  const history = await api(fx.server, "GET", `/conversations/${room.conversation_id}/messages?limit=5`,
    { token: bob.user.token });
  const stored = history.data.find((m) => m.id === Number(replyId));
  assert.equal(stored.reply_to.message_id, Number(await storedId(bob.page, "lunch on friday?")));

  // Bob scrolls away, then follows the quote back.
  await bob.page.evaluate(() => {
    document.querySelector("#message-scroll").scrollTop = 0;
  });
  await quoteIn(messageWithText(bob.page, "yes, at noon")).click();
  const originalOnBob = messageWithText(bob.page, "lunch on friday?");
  await originalOnBob.and(bob.page.locator(".highlight")).waitFor();
  assert.equal(await focusedMessageText(bob.page),
    "lunch on friday?", "focus is on the original");
});

test("a quote of a message far back loads the history around it; scrolling down comes back to the newest", { timeout: 60_000 }, async () => {
  const { page } = carol;
  await roomRow(page, "Archive").waitFor();
  await openRoom(page, "Archive");
  const reply = messageWithText(page, "answering the far original");
  await reply.waitFor();
  assert.equal(await page.locator(`#message-list > li[data-id="${farOriginal.id}"]`).count(), 0, "not loaded yet");
  const requests = [];
  page.on("request", (req) => {
    if (req.url().includes(`/conversations/${archive.conversation_id}/messages`)) requests.push(new URL(req.url()).search);
  });

  await page.getByRole("button", { name: "Reply to bob: the far original" }).click();
  const original = page.locator(`#message-list > li[data-id="${farOriginal.id}"]`);
  await original.and(page.locator(".highlight")).waitFor();
  assert.equal(await focusedMessageText(page), "the far original");
  assert.ok(requests.includes(`?before=${farOriginal.id + 1}&limit=50`), `a page up to it (${requests})`);
  assert.ok(requests.includes(`?after=${farOriginal.id}&limit=50`), `a page after it (${requests})`);
  assert.equal(await reply.count(), 0, "the view is around the original now");
  await page.getByRole("button", { name: "Jump to latest" }).waitFor();

  // A message arriving meanwhile is not drawn under the old ones...
  await sendMessages(fx.server, bob.user, { conversationId: archive.conversation_id }, ["while carol reads"]);
  // ...but waits for the view to reach the end, which scrolling down does, page by page.
  for (let round = 0; (await messageWithText(page, "while carol reads").count()) === 0; round += 1) {
    assert.ok(round < 20, "reached the newest messages in a few pages");
    const before = (await shownIds(page)).length;
    await page.evaluate(() => {
      const scroll = document.querySelector("#message-scroll");
      scroll.scrollTop = scroll.scrollHeight;
    });
    await page.waitForFunction((n) => document.querySelectorAll("#message-list > li.msg[data-id]").length > n, before);
  }
  const ids = await shownIds(page);
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y), "in order");
  assert.equal(new Set(ids).size, ids.length, "each once");
  assert.equal(await messageWithText(page, "answering the far original").count(), 1);
  assert.equal(await messageWithText(page, "while carol reads").count(), 1);

  // Opened afresh (the newest page), jump there again, and straight back with Jump to latest.
  await openRoom(page, "Lunch");
  await openRoom(page, "Archive");
  assert.equal(await original.count(), 0);
  await quoteIn(messageWithText(page, "answering the far original")).click();
  await original.and(page.locator(".highlight")).waitFor();
  assert.ok((await shownIds(page)).length <= 101, "a page either side");
  await page.getByRole("button", { name: "Jump to latest" }).click();
  await messageWithText(page, "while carol reads").waitFor();
  assert.equal(await original.count(), 0, "the newest page, without the far one");
  await page.getByRole("button", { name: "Jump to latest" }).waitFor({ state: "hidden" });
  assert.equal(await page.evaluate(() => document.activeElement.id), "message-input");
  assert.deepEqual(page.errors, []);
});

test("a reply to a file quotes the file's name", async () => {
  await sendFiles(alice.page, {
    name: "menu.txt", mimeType: "text/plain", buffer: Buffer.from("soup\nbread\n"),
  });
  const file = bob.page.locator("#message-list > li.msg:has(a.file-card[download='menu.txt'])");
  await file.hover();
  await file.getByRole("button", { name: "Reply" }).click();
  assert.equal(await preview(bob.page).locator(".reply-text").textContent(), "file: menu.txt");
  await sendMessage(bob.page, "looks good");
  await bob.page.getByRole("button", { name: "Reply to alice: file: menu.txt" }).waitFor();
  await alice.page.getByRole("button", { name: "Reply to You: file: menu.txt" }).waitFor();
});

test("deleting the original turns its quotes into \"deleted message\", live", async () => {
  const original = messageWithText(bob.page, "lunch on friday?");
  await original.hover();
  await original.getByRole("button", { name: "Delete message" }).click();
  await bob.page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  for (const [{ page }, sender] of [[alice, "bob"], [bob, "You"]]) {
    await page.getByRole("button", { name: `Reply to ${sender}: deleted message` }).waitFor();
    assert.equal(await quoteIn(messageWithText(page, "yes, at noon")).locator(".quote-text").textContent(), "deleted message");
  }
  assert.deepEqual([...alice.page.errors, ...bob.page.errors], []);
});
