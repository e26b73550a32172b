// Several people coming online at once are announced in one presence_batch
// frame: the page shows each of them online, then offline when they go.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { gotoChat, useFixture, waitForText } from "./harness.js";

const fx = useFixture({ before, after }, { users: ["alice", "bob", "carol", "dave"] });

test("people coming online together show online, and offline when they leave", async () => {
  const { alice, bob, carol, dave } = fx.users;
  const watcher = await fx.person({ user: alice });
  const types = [];
  watcher.page.on("websocket", (socket) => {
    socket.on("framereceived", ({ payload }) => {
      try { types.push(JSON.parse(payload).type); } catch { /* not JSON */ }
    });
  });
  await gotoChat(watcher.page, alice);

  // Three sockets opened at the same moment from another page: at most the
  // first is announced alone, the others within the second after it, together.
  const crowd = await fx.person();
  await crowd.page.goto("/");
  const url = new URL(fx.server.url);
  await crowd.page.evaluate(({ host, tokens }) => {
    window.sockets = tokens.map((token) => new WebSocket(`ws://${host}/ws?token=${token}`));
  }, { host: url.host, tokens: [bob.token, carol.token, dave.token] });

  await watcher.page.getByRole("button", { name: "New message" }).click();
  for (const person of [bob, carol, dave]) {
    await waitForText(watcher.page, `#people-list > li[data-user-id="${person.id}"] .person-status`, /Online/i);
  }

  await crowd.page.evaluate(() => window.sockets.forEach((socket) => socket.close()));
  for (const person of [bob, carol, dave]) {
    await waitForText(watcher.page, `#people-list > li[data-user-id="${person.id}"] .person-status`, /^(?!Online)/i);
  }
  assert.ok(types.filter((type) => type === "presence_batch").length >= 2, types.join(" "));
  assert.deepEqual(watcher.page.errors, []);
});
