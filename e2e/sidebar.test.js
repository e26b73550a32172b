// The sidebar: unread badges and the unread total in the tab title, the
// newest conversation first, and the filter box.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { gotoChat, openConversation, sendMessage, useFixture, userRow, waitForText } from "./harness.js";

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

/** The user ids of the sidebar rows, top to bottom. */
function order(page) {
  return page.locator("#user-list > li").evaluateAll((lis) => lis.map((li) => Number(li.dataset.userId)));
}

test("messages to a closed conversation count as unread, in the row and the title", async () => {
  const { bob } = fx.users;
  const badge = userRow(alice.page, carol.user.id).locator(".unread-badge");
  await badge.waitFor({ state: "attached" });
  assert.equal(await badge.isVisible(), false, "no badge before any message");
  assert.equal(await alice.page.title(), "ChatterBox");
  assert.deepEqual(await order(alice.page), [bob.id, carol.user.id], "by name while nobody has written");

  await sendMessage(carol.page, "are you there?");
  await badge.waitFor({ state: "visible" });
  await waitForText(alice.page, `#user-list > li[data-user-id="${carol.user.id}"] .unread-badge`, "1");
  await alice.page.waitForFunction(() => document.title === "(1) ChatterBox");

  await sendMessage(carol.page, "hello?");
  await waitForText(alice.page, `#user-list > li[data-user-id="${carol.user.id}"] .unread-badge`, "2");
  await alice.page.waitForFunction(() => document.title === "(2) ChatterBox");
  // The newest conversation comes first.
  await alice.page.waitForFunction((id) =>
    Number(document.querySelector("#user-list > li")?.dataset.userId) === id, carol.user.id);

  // Reading the conversation clears both.
  await openConversation(alice.page, carol.user);
  await badge.waitFor({ state: "hidden" });
  await alice.page.waitForFunction(() => document.title === "ChatterBox");
});

test("the filter box narrows the list by name", async () => {
  const { bob } = fx.users;
  const filter = alice.page.getByLabel("Filter people");
  await filter.fill("car");
  await userRow(alice.page, bob.id).waitFor({ state: "hidden" });
  assert.ok(await userRow(alice.page, carol.user.id).isVisible(), "carol still listed");
  await filter.fill("");
  await userRow(alice.page, bob.id).waitFor({ state: "visible" });
  assert.ok(await userRow(alice.page, carol.user.id).isVisible());
});
