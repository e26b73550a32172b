// The sidebar: conversations (rooms first), each with its last message and
// unread count, the unread total in the tab title, the newest conversation
// first, and the filter box.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  gotoChat, openConversation, roomRow, sendMessage, sendMessages, useFixture, userRow, waitForText,
} from "./harness.js";

let alice, carol; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    alice = { user: fx.users.alice, ...(await fx.person({ user: fx.users.alice })) };
    carol = { user: fx.users.carol, ...(await fx.person({ user: fx.users.carol })) };
    await gotoChat(alice.page, alice.user);
    await gotoChat(carol.page, carol.user);
    await openConversation(carol.page, alice.user);
  },
});

/** The user ids of the direct conversations in the sidebar, top to bottom. */
function directOrder(page) {
  return page.locator("#direct-list > li").evaluateAll((lis) => lis.map((li) => Number(li.dataset.userId)));
}

test("rooms come first: everyone is in General, and nobody is listed without a conversation", async () => {
  await roomRow(alice.page, "General").waitFor();
  const lists = await alice.page.locator("#conversation-list ul").evaluateAll((uls) => uls.map((ul) => ul.id));
  assert.deepEqual(lists, ["room-list", "direct-list"]);
  assert.deepEqual(await directOrder(alice.page), [], "no direct conversation before any message");
});

test("messages to a closed conversation count as unread, in the row and the title", async () => {
  const { bob } = fx.users;
  await sendMessages(fx.server, bob, { receiverId: alice.user.id }, ["hi from bob"]);
  await waitForText(alice.page, `#direct-list > li[data-user-id="${bob.id}"] .conv-preview`, "hi from bob");
  await waitForText(alice.page, `#direct-list > li[data-user-id="${bob.id}"] .unread-badge`, "1");
  await alice.page.waitForFunction(() => document.title === "(1) ChatterBox");

  await sendMessage(carol.page, "are you there?");
  const badge = userRow(alice.page, carol.user.id).locator(".unread-badge");
  await badge.waitFor({ state: "visible" });
  await waitForText(alice.page, `#direct-list > li[data-user-id="${carol.user.id}"] .unread-badge`, "1");
  await alice.page.waitForFunction(() => document.title === "(2) ChatterBox");

  await sendMessage(carol.page, "hello?");
  await waitForText(alice.page, `#direct-list > li[data-user-id="${carol.user.id}"] .unread-badge`, "2");
  await waitForText(alice.page, `#direct-list > li[data-user-id="${carol.user.id}"] .conv-preview`, "hello?");
  await alice.page.waitForFunction(() => document.title === "(3) ChatterBox");
  // The newest conversation comes first.
  assert.deepEqual(await directOrder(alice.page), [carol.user.id, bob.id]);
  assert.equal(await userRow(alice.page, carol.user.id).getByRole("button", { name: /^carol .*2 unread/ }).count(), 1,
    "the count is in the row's accessible name");

  // Reading the conversation clears both.
  await userRow(alice.page, carol.user.id).locator("button").click();
  await waitForText(alice.page, "#peer-name", "carol");
  await badge.waitFor({ state: "hidden" });
  await alice.page.waitForFunction(() => document.title === "(1) ChatterBox");
});

test("the keyboard moves between conversations and opens one", async () => {
  const { bob } = fx.users;
  await roomRow(alice.page, "General").locator("button").focus();
  await alice.page.keyboard.press("ArrowDown");
  assert.equal(await alice.page.evaluate(() => document.activeElement.closest("li")?.dataset.userId), String(carol.user.id));
  await alice.page.keyboard.press("End");
  assert.equal(await alice.page.evaluate(() => document.activeElement.closest("li")?.dataset.userId), String(bob.id));
  await alice.page.keyboard.press("Enter");
  await waitForText(alice.page, "#peer-name", "bob");
  // Typing a name in the filter and pressing Enter opens the first match.
  await alice.page.getByLabel("Filter conversations").fill("gen");
  await alice.page.getByLabel("Filter conversations").press("Enter");
  await waitForText(alice.page, "#peer-name", "General");
  await alice.page.getByLabel("Filter conversations").fill("");
});

test("the filter box narrows the list by name", async () => {
  const { bob } = fx.users;
  const filter = alice.page.getByLabel("Filter conversations");
  await filter.fill("car");
  await userRow(alice.page, bob.id).waitFor({ state: "hidden" });
  assert.ok(await userRow(alice.page, carol.user.id).isVisible(), "carol still listed");
  assert.equal(await roomRow(alice.page, "General").isVisible(), false, "General does not match");
  await filter.fill("gen");
  await roomRow(alice.page, "General").waitFor({ state: "visible" });
  await filter.fill("");
  await userRow(alice.page, bob.id).waitFor({ state: "visible" });
  assert.ok(await userRow(alice.page, carol.user.id).isVisible());
});
