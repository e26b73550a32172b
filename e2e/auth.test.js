// Accounts through the pages: register, log in, log out, and what happens to
// a session that the server no longer accepts.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { api, createUser, gotoChat, useFixture, waitForText } from "./harness.js";

const fx = useFixture({ before, after });

async function submit(page) {
  await page.locator('#auth-form button[type="submit"]').click();
}

test("register through the register page", async () => {
  const { page } = await fx.person();
  await page.goto("/register-page");
  await page.getByLabel("Username").fill("alice");
  await page.locator("#password").fill("correct horse 1");
  await page.locator("#confirm").fill("correct horse 1");
  await submit(page);

  // The page either logs straight in or sends us to the login page with a notice.
  await page.waitForURL((url) => url.pathname === "/chat-page" || url.pathname === "/");
  if (new URL(page.url()).pathname === "/chat-page") {
    await waitForText(page, "#me-name", "alice");
  } else {
    await page.locator("#form-notice").waitFor({ state: "visible" });
  }
  const login = await api(fx.server, "POST", "/login", { json: { username: "alice", password: "correct horse 1" } });
  assert.equal(login.status, 200, "the account made through the page can log in");
  assert.deepEqual(page.dialogs, [], "no alert() or other dialog");
});

test("register page shows the server's refusal inline", async () => {
  await createUser(fx.server, "taken");
  const { page } = await fx.person();
  await page.goto("/register-page");
  await page.locator("#username").fill("taken");
  await page.locator("#password").fill("another pass 1");
  await page.locator("#confirm").fill("another pass 1");
  await submit(page);
  await page.locator("#form-error").waitFor({ state: "visible" });
  await waitForText(page, "#form-error", /User exists/);
  assert.equal(await page.locator("#form-error").getAttribute("role"), "alert");
  assert.equal(new URL(page.url()).pathname, "/register-page");
  assert.deepEqual(page.dialogs, [], "no alert() or other dialog");
});

test("log in through the login page", async () => {
  const bob = await createUser(fx.server, "bob");
  const { page } = await fx.person();
  await page.goto("/");

  // A wrong password: the server's message, inline, and we stay put.
  await page.getByLabel("Username").fill("bob");
  await page.getByLabel("Password").fill("wrong password");
  await submit(page);
  await page.locator("#form-error").waitFor({ state: "visible" });
  await waitForText(page, "#form-error", /Invalid credentials/);
  assert.equal(new URL(page.url()).pathname, "/");

  await page.getByLabel("Password").fill(bob.password);
  await submit(page);
  await page.waitForURL((url) => url.pathname === "/chat-page");
  await waitForText(page, "#me-name", "bob");

  // The page keeps the token where the contract says, and it is a live one.
  const token = await page.evaluate(() => localStorage.getItem("token"));
  assert.ok(token, "token kept in localStorage");
  const users = await api(fx.server, "GET", "/users", { token });
  assert.equal(users.status, 200);
  assert.deepEqual(page.dialogs, [], "no alert() or other dialog");
});

test("log out: back at the login page, and the old token is refused", async () => {
  const carol = await createUser(fx.server, "carol");
  const { page } = await fx.person({ user: carol });
  await gotoChat(page, carol);
  const token = await page.evaluate(() => localStorage.getItem("token"));
  assert.equal(token, carol.token);

  await page.locator("#logout-button").click();
  await page.waitForURL((url) => url.pathname === "/");
  await page.locator("#auth-form").waitFor({ state: "visible" });
  assert.equal(await page.evaluate(() => localStorage.getItem("token")), null, "token forgotten");

  const users = await api(fx.server, "GET", "/users", { token });
  assert.equal(users.status, 401, "the server refuses the logged-out token");

  // And the chat page no longer lets us in.
  await page.goto("/chat-page");
  await page.waitForURL((url) => url.pathname === "/");
});

test("a revoked session goes back to the login page with a notice, at once", async () => {
  const dave = await createUser(fx.server, "dave");
  const { page } = await fx.person({ user: dave });
  await gotoChat(page, dave);

  // The session ends elsewhere (e.g. logged out on another device): the
  // server closes its socket, and the page finds the session gone.
  const out = await api(fx.server, "POST", "/logout", { token: dave.token });
  assert.equal(out.status, 200);

  await page.waitForURL((url) => url.pathname === "/");
  await page.locator("#form-notice").waitFor({ state: "visible" });
  await waitForText(page, "#form-notice", /session/i);
  assert.deepEqual(page.dialogs, [], "no alert() or other dialog");
});
