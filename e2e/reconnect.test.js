// A server restart: both pages show the reconnecting banner while it is down,
// hide it once their WebSockets are back, and messages flow again both ways;
// and what was said while one page was disconnected shows once it is back.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chatPages, messageWithText, openConversation, sendMessage, useFixture } from "./harness.js";

// The page backs off between attempts (capped, jittered); allow for a few.
const RECONNECT_MS = 25_000;

let alice, bob; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob"],
  setup: async (fx) => {
    ({ alice, bob } = await chatPages(fx, ["alice", "bob"]));
    await openConversation(alice.page, bob.user);
    await openConversation(bob.page, alice.user);
  },
});

test("after a server restart the banner shows, hides, and messages flow again", { timeout: 90_000 }, async () => {
  await sendMessage(alice.page, "before the restart");
  await messageWithText(bob.page, "before the restart").waitFor();
  for (const { page } of [alice, bob]) {
    const banner = page.locator("#reconnect-banner");
    await banner.waitFor({ state: "attached" });
    assert.equal(await banner.isVisible(), false, "no banner while connected");
  }

  await fx.server.stop();
  for (const { page } of [alice, bob]) {
    const banner = page.locator("#reconnect-banner");
    await banner.waitFor({ state: "visible" });
    assert.match(await banner.textContent(), /Reconnecting/i);
  }

  await fx.server.start(); // same port, same data
  for (const { page } of [alice, bob]) {
    await page.locator("#reconnect-banner").waitFor({ state: "hidden", timeout: RECONNECT_MS });
  }

  // The conversation is still there (caught up from the event log)...
  await messageWithText(alice.page, "before the restart").waitFor();
  await messageWithText(bob.page, "before the restart").waitFor();
  // ...and new messages go through both ways.
  await sendMessage(alice.page, "after the restart, from alice");
  await messageWithText(bob.page, "after the restart, from alice").waitFor();
  await sendMessage(bob.page, "after the restart, from bob");
  await messageWithText(alice.page, "after the restart, from bob").waitFor();
  // Each message shows once, not duplicated by the reload.
  assert.equal(await messageWithText(bob.page, "after the restart, from alice").count(), 1);
  assert.equal(await messageWithText(alice.page, "after the restart, from bob").count(), 1);
});

test("messages sent while a page was disconnected show after it reconnects", { timeout: 90_000 }, async () => {
  // Bob's page cannot reach the WebSocket while `blocked`: each attempt is
  // closed at once, as if the network were down for him alone.
  let blocked = true;
  await bob.context.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    if (blocked) ws.close({ code: 1011, reason: "blocked by the test" });
    else ws.connectToServer();
  });
  await fx.server.restart();
  await alice.page.locator("#reconnect-banner").waitFor({ state: "hidden", timeout: RECONNECT_MS });
  await bob.page.locator("#reconnect-banner").waitFor({ state: "visible" });

  await sendMessage(alice.page, "said while bob was away");
  await alice.page.waitForFunction(
    (text) => [...document.querySelectorAll("#message-list > li.msg")].some((li) =>
      li.querySelector(".msg-text")?.textContent === text && /^\d+$/.test(li.dataset.id ?? "")
      && li.dataset.state !== "pending" && li.dataset.state !== "failed"),
    "said while bob was away",
  );
  assert.equal(await messageWithText(bob.page, "said while bob was away").count(), 0, "bob is cut off");

  blocked = false;
  await bob.page.locator("#reconnect-banner").waitFor({ state: "hidden", timeout: RECONNECT_MS });
  await messageWithText(bob.page, "said while bob was away").waitFor();
  assert.equal(await messageWithText(bob.page, "said while bob was away").count(), 1);
});
