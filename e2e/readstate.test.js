// Read state kept by the server: unread counts that survive a reload and
// agree between two tabs of one person (reading in one clears the badge in
// the other, live), and a conversation with unread messages opening at a
// "New messages" line.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, eventually, gotoChat, messageWithText, sendMessages, useFixture, userRow, waitForText,
} from "./harness.js";

let alice; // { user, context, page }
let second; // alice's second tab
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    alice = { user: fx.users.alice, ...(await fx.person({ user: fx.users.alice })) };
    await gotoChat(alice.page, alice.user);
  },
});

const badgeOf = (userId) => `#direct-list > li[data-user-id="${userId}"] .unread-badge`;

/** Alice's unread count with someone, as the server has it. */
async function unreadOnServer(peer) {
  const list = await api(fx.server, "GET", "/conversations", { token: alice.user.token });
  return list.data.find((c) => c.kind === "direct" && c.user_id === peer.id)?.unread ?? null;
}

test("unread counts come from the server and survive a reload", async () => {
  const { bob } = fx.users;
  await sendMessages(fx.server, bob, { receiverId: alice.user.id }, ["one", "two", "three"]);
  await waitForText(alice.page, badgeOf(bob.id), "3");
  await alice.page.waitForFunction(() => document.title === "(3) ChatterBox");

  await alice.page.reload();
  await waitForText(alice.page, "#me-name", "alice");
  await waitForText(alice.page, badgeOf(bob.id), "3");
  assert.equal(await unreadOnServer(bob), 3);
});

test("reading in one tab clears the badge in another tab, live", async () => {
  const { bob } = fx.users;
  second = await alice.context.newPage();
  second.errors = [];
  second.on("pageerror", (err) => second.errors.push(String(err)));
  await gotoChat(second, alice.user);
  await waitForText(second, badgeOf(bob.id), "3");

  await userRow(alice.page, bob.id).locator("button").click();
  await messageWithText(alice.page, "three").waitFor();
  await alice.page.locator(badgeOf(bob.id)).waitFor({ state: "hidden" });

  // The other tab did nothing; the server's `read` frame cleared it.
  await second.locator(badgeOf(bob.id)).waitFor({ state: "hidden" });
  await second.waitForFunction(() => document.title === "ChatterBox");
  assert.equal(await unreadOnServer(bob), 0);
});

test("a conversation with unread messages opens at a New messages line", async () => {
  const { carol } = fx.users;
  const older = Array.from({ length: 60 }, (_, i) => `earlier ${i + 1}`);
  await sendMessages(fx.server, carol, { receiverId: alice.user.id }, older);
  await userRow(alice.page, carol.id).locator("button").click();
  await messageWithText(alice.page, "earlier 60").waitFor();
  await alice.page.locator("#message-scroll").evaluate((s) => { s.scrollTop = s.scrollHeight; });
  await eventually(async () => (await unreadOnServer(carol)) === 0, { what: "alice's read of carol's first messages" });

  // Away in another conversation while carol writes 70 more.
  await userRow(alice.page, fx.users.bob.id).locator("button").click();
  await waitForText(alice.page, "#peer-name", "bob");
  const newer = Array.from({ length: 70 }, (_, i) => `later ${i + 1}`);
  await sendMessages(fx.server, carol, { receiverId: alice.user.id }, newer);
  await waitForText(alice.page, badgeOf(carol.id), "70");

  await userRow(alice.page, carol.id).locator("button").click();
  const line = alice.page.getByRole("separator").filter({ hasText: "New messages" });
  await line.waitFor();
  // The line sits right before the first unread message...
  const next = await line.evaluate((node) => node.closest("li").nextElementSibling?.querySelector(".msg-text")?.textContent);
  assert.equal(next, "later 1");
  // ...and the view opens there, not at the end.
  await expectInView(alice.page, "later 1", true);
  await expectInView(alice.page, "later 70", false);

  // Reading on down marks everything read.
  await alice.page.locator("#message-scroll").evaluate((s) => { s.scrollTop = s.scrollHeight; });
  await alice.page.locator(badgeOf(carol.id)).waitFor({ state: "hidden" });
  await eventually(async () => (await unreadOnServer(carol)) === 0, { what: "everything read" });
  assert.deepEqual([...alice.page.errors, ...second.errors], []);
});

/** Whether a message is inside the scrolling view, waited for. */
async function expectInView(page, text, inView) {
  await page.waitForFunction(([t, want]) => {
    const scroll = document.querySelector("#message-scroll");
    const li = [...document.querySelectorAll("#message-list > li.msg")]
      .find((node) => node.querySelector(".msg-text")?.textContent === t);
    if (!li) return false;
    const a = scroll.getBoundingClientRect();
    const b = li.getBoundingClientRect();
    const visible = b.bottom > a.top && b.top < a.bottom;
    return visible === want;
  }, [text, inView]);
}
