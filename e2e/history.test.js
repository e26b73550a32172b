// History by cursor: a long conversation opens with only its newest page,
// and scrolling up fetches older pages while what the reader looks at stays
// where it is, back to the very first message. A reader following a burst
// at the bottom keeps a bounded list: what leaves it comes back as older pages.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, createRoom, gotoChat, messageWithText, openRoom, sendMessages, useFixture,
} from "./harness.js";

const COUNT = 300;
let alice; // { user, context, page }
let bob;
let room;
const fx = useFixture({ before, after }, {
  users: ["alice", "bob"],
  setup: async (fx) => {
    const { alice: a } = fx.users;
    bob = fx.users.bob;
    room = await createRoom(fx.server, a, "Archive", [bob]);
    const texts = Array.from({ length: COUNT }, (_, i) => `archived message ${i + 1}`);
    // In batches, as several clients' worth of traffic.
    for (let i = 0; i < COUNT; i += 100) {
      await sendMessages(fx.server, bob, { conversationId: room.conversation_id }, texts.slice(i, i + 100));
    }
    // Alice has read it all before: the conversation opens at its end.
    const page = await api(fx.server, "GET", `/conversations/${room.conversation_id}/messages?limit=1`, { token: a.token });
    const read = await api(fx.server, "POST", `/conversations/${room.conversation_id}/read`,
      { token: a.token, json: { message_id: page.data[0].id } });
    assert.equal(read.status, 200);
    alice = { user: a, ...(await fx.person({ user: a })) };
    await gotoChat(alice.page, a);
  },
});

/** Message ids in the list, top to bottom. */
function shownIds(page) {
  return page.locator("#message-list > li[data-id]").evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
}

test("a long conversation opens with its newest page only", async () => {
  const pages = [];
  alice.page.on("request", (req) => {
    if (req.url().includes(`/conversations/${room.conversation_id}/messages`)) pages.push(new URL(req.url()).search);
  });
  await openRoom(alice.page, "Archive");
  await messageWithText(alice.page, `archived message ${COUNT}`).waitFor();
  const ids = await shownIds(alice.page);
  assert.ok(ids.length <= 60, `only a page is drawn (${ids.length} entries)`);
  assert.deepEqual(pages, ["?limit=50"], "one request for the newest page");
  // Opened at the end: the newest message is on screen.
  await alice.page.waitForFunction(() => {
    const s = document.querySelector("#message-scroll");
    return s.scrollHeight - s.scrollTop - s.clientHeight < 2;
  });
});

test("scrolling up loads older pages, keeping the reader's place, back to the first message", { timeout: 60_000 }, async () => {
  const page = alice.page;
  let rounds = 0;
  const atStart = async () => (await page.locator("#history-status").textContent()) === "This is the beginning of the conversation.";
  while (!(await atStart())) {
    rounds += 1;
    assert.ok(rounds < 20, "reached the start in a few pages");
    const before = await shownIds(page);
    // Scroll to the top, noting where the oldest shown message sits on screen.
    const anchor = await page.evaluate(() => {
      const scroll = document.querySelector("#message-scroll");
      scroll.scrollTop = 0;
      const first = document.querySelector("#message-list > li.msg[data-id]");
      return { id: first.dataset.id, top: first.getBoundingClientRect().top };
    });
    await page.waitForFunction((n) => document.querySelectorAll("#message-list > li[data-id]").length > n
      || document.querySelector("#history-status").textContent.startsWith("This is the beginning"), before.length);
    // The message that was on top has not moved on screen.
    const top = await page.locator(`#message-list > li[data-id="${anchor.id}"]`).evaluate((li) => li.getBoundingClientRect().top);
    assert.ok(Math.abs(top - anchor.top) <= 2, `kept in place (was ${anchor.top}px, now ${top}px)`);
  }
  await messageWithText(page, "archived message 1").waitFor();
  await page.getByRole("status").filter({ hasText: "This is the beginning of the conversation." }).waitFor();
  const ids = await shownIds(page);
  assert.equal(await page.locator("#message-list > li.msg[data-id]").count(), COUNT, "every message, besides the notices");
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in order");
  assert.equal(new Set(ids).size, ids.length, "each once");
  assert.deepEqual(page.errors, []);
});

test("a reader at the bottom of a burst keeps a bounded list, and what left it comes back on scrolling up", { timeout: 90_000 }, async () => {
  const page = alice.page;
  await page.evaluate(() => {
    const s = document.querySelector("#message-scroll");
    s.scrollTop = s.scrollHeight;
  });
  const BURST = 700;
  const texts = Array.from({ length: BURST }, (_, i) => `burst message ${i + 1}`);
  await sendMessages(fx.server, bob, { conversationId: room.conversation_id }, texts);
  await messageWithText(page, `burst message ${BURST}`).waitFor();
  // All 1,000 were drawn at some point; the list holds at most 600 of them.
  const kept = await shownIds(page);
  assert.ok(kept.length <= 600, `a bounded list (${kept.length} entries)`);
  assert.equal(await messageWithText(page, "archived message 1").count(), 0, "the oldest left the list");
  assert.equal(await page.locator("#history-status").textContent(), "", "older messages are there to load");
  // Still at the bottom, the newest in view.
  await page.waitForFunction(() => {
    const s = document.querySelector("#message-scroll");
    return s.scrollHeight - s.scrollTop - s.clientHeight < 2;
  });
  // Scrolling up brings the trimmed ones back, in order, each once.
  let rounds = 0;
  while ((await messageWithText(page, "archived message 1").count()) === 0) {
    rounds += 1;
    assert.ok(rounds < 30, "back to the first message in a few pages");
    const before = (await shownIds(page)).length;
    await page.evaluate(() => { document.querySelector("#message-scroll").scrollTop = 0; });
    await page.waitForFunction((n) => document.querySelectorAll("#message-list > li[data-id]").length > n, before);
  }
  const ids = await shownIds(page);
  assert.equal(await page.locator("#message-list > li.msg[data-id]").count(), COUNT + BURST, "every message, besides the notices");
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "in order");
  assert.equal(new Set(ids).size, ids.length, "each once");
  // One day line per day: the one put above the kept entries went when their day's older ones came back.
  const days = await page.locator("#message-list > li.day").allTextContents();
  assert.ok(days.length >= 1, "the list starts with a day line");
  assert.equal(new Set(days).size, days.length, `each day once: ${days.join(", ")}`);
  assert.equal(await page.locator("#message-list > li").first().getAttribute("class"), "day");
  assert.deepEqual(page.errors, []);
});
