// The API docs at /docs work on a LAN with no internet: every request the
// page makes that is not to the server itself is aborted, and the viewer
// must still load, list the routes, show the WebSocket's frames and try a
// route against the server.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { useFixture } from "./harness.js";

const fx = useFixture({ before, after }, { users: ["alice"] });

test("the API docs load and work with every non-local request blocked", async () => {
  const { context, page } = await fx.person();
  const origin = new URL(fx.server.url).origin;
  const blocked = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith("data:") || url.startsWith("blob:")) {
      return route.continue();
    }
    blocked.push(url);
    return route.abort("internetdisconnected");
  });

  await page.goto("/docs/");

  // Every route of the document, as an operation of the viewer.
  const spec = await (await fetch(`${origin}/openapi.json`)).json();
  const operations = Object.values(spec.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  const shown = page.locator(".opblock");
  await shown.nth(operations - 1).waitFor();
  assert.equal(await shown.count(), operations);

  // The WebSocket's frames are on its operation.
  await page.locator(".opblock-get", { hasText: "/ws" }).first().locator(".opblock-summary").click();
  await page.getByRole("heading", { name: "Frames the server sends" }).waitFor();
  await page.locator("code", { hasText: "message_deleted" }).first().waitFor();

  // Trying a route from the viewer (open for trying at once) reaches the
  // server.
  const health = page.locator("#operations-operations-health");
  await health.locator(".opblock-summary").click();
  await health.getByRole("button", { name: "Execute" }).click();
  await health.locator(".live-responses-table .response-col_status", { hasText: "200" }).waitFor();

  assert.deepEqual(blocked, [], "the docs asked for something beyond the server");
  assert.deepEqual(page.errors, []);
});
