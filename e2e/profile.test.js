// Profile: a new picture and About text, seen live by the other person in
// the sidebar and in the user dialog.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, chatPages, eventually, makePng, openConversation, sendMessages, useFixture, userRow, waitForText,
} from "./harness.js";

let alice, bob; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob"],
  setup: async (fx) => {
    ({ alice, bob } = await chatPages(fx, ["alice", "bob"]));
    // A conversation between them, so alice has a row in bob's sidebar.
    await sendMessages(fx.server, alice.user, { receiverId: bob.user.id }, ["hello bob"]);
    await userRow(bob.page, alice.user.id).waitFor();
    await openConversation(bob.page, alice.user);
  },
});

/** Alice as the server lists her. */
async function aliceOnServer() {
  const users = await api(fx.server, "GET", "/users", { token: bob.user.token });
  assert.equal(users.status, 200);
  return users.data.find((u) => u.id === alice.user.id);
}

/** Waits until an img's resolved src ends with `/path` and the image has decoded. */
async function waitForImage(page, selector, path) {
  try {
    await page.waitForFunction(([sel, p]) => {
      const img = document.querySelector(sel);
      return img && img.src.endsWith(`/${p}`) && img.complete && img.naturalWidth > 0;
    }, [selector, path]);
  } catch (err) {
    const src = await page.locator(selector).first().getAttribute("src", { timeout: 100 }).catch(() => "(no such element)");
    throw new Error(`${selector}: expected src ending in /${path}, got ${src} (${err.message.split("\n")[0]})`);
  }
}

test("a new picture is seen by the other in the sidebar and the conversation header", async () => {
  await alice.page.locator("#profile-button").click();
  await alice.page.locator("#profile-dialog").waitFor({ state: "visible" });
  const png = makePng(40, 40, [220, 20, 60]);
  await alice.page.locator("#profile-file").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: png });

  // The contract previews the picture before saving; save it when the page asks.
  if (await alice.page.locator("#profile-save").count()) {
    await alice.page.waitForFunction(() => {
      const img = document.querySelector("#profile-preview");
      return img && img.complete && img.naturalWidth === 40;
    });
    await alice.page.locator("#profile-save").click();
  }

  const pic = (await eventually(async () => (await aliceOnServer())?.profile_pic, { what: "alice's profile_pic" }));
  assert.match(pic, /^static\/uploads\//);
  await waitForImage(alice.page, "#profile-avatar", pic);

  // Bob's page learns it without a reload.
  const rowImg = `#direct-list > li[data-user-id="${alice.user.id}"] img`;
  await waitForImage(bob.page, rowImg, pic);
  assert.equal(await userRow(bob.page, alice.user.id).locator("img").first().evaluate((i) => i.naturalWidth), 40);
  await waitForImage(bob.page, "#peer-avatar", pic);
});

test("a new About is seen by the other in the user dialog", async () => {
  const about = "Plays the cello 🎻 <b>not bold</b>";
  await alice.page.locator("#profile-dialog").waitFor({ state: "visible" });
  await alice.page.locator("#about-input").fill(about);
  await alice.page.locator('#about-form button[type="submit"]').click();
  await eventually(async () => (await aliceOnServer())?.about === about, { what: "alice's about saved" });
  await alice.page.locator("#profile-status").waitFor({ state: "visible" });
  assert.equal(await alice.page.locator("#profile-error").isVisible(), false, "no error shown");

  // Bob opens Alice's details from the conversation header.
  const pic = (await aliceOnServer()).profile_pic;
  await bob.page.locator("#peer-info-button").click();
  await bob.page.locator("#user-dialog").waitFor({ state: "visible" });
  await waitForText(bob.page, "#user-dialog-name", "alice");
  await waitForText(bob.page, "#user-dialog-about", about);
  assert.equal(await bob.page.locator("#user-dialog-about b").count(), 0, "About is text, not HTML");
  await waitForImage(bob.page, "#user-dialog-avatar", pic);
  assert.deepEqual(bob.page.dialogs, []);
});
