// Files in a conversation: a file card that downloads the same bytes, and an
// image shown inline as a thumbnail that opens full size.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  api, chatPages, createRoom, createUser, makePng, openConversation, openRoom, roomRow, sendFiles, useFixture,
} from "./harness.js";

let alice, bob; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob"],
  setup: async (fx) => {
    ({ alice, bob } = await chatPages(fx, ["alice", "bob"]));
    await openConversation(alice.page, bob.user);
    await openConversation(bob.page, alice.user);
  },
});

/** The file card named `name` in a page's message list. */
function card(page, name) {
  return page.locator("#message-list a.file-card").filter({
    has: page.locator(".file-name").getByText(name, { exact: true }),
  });
}

test("a file sent is downloaded by the other with the same bytes", async () => {
  // Binary content, including bytes that are not valid UTF-8.
  const bytes = Buffer.concat([Buffer.from([0, 0xff, 0xfe, 0x80, 0x0d, 0x0a]), randomBytes(150 * 1024)]);
  await sendFiles(alice.page, {
    name: "report 2024 (final).bin",
    mimeType: "application/octet-stream",
    buffer: bytes,
  });

  const received = card(bob.page, "report 2024 (final).bin");
  await received.waitFor();
  await card(alice.page, "report 2024 (final).bin").waitFor();
  assert.ok((await received.getAttribute("download")) !== null, "the card is a download link");
  assert.match(await received.locator(".file-size").textContent(), /\d/, "the size is shown");

  const [download] = await Promise.all([bob.page.waitForEvent("download"), received.click()]);
  assert.equal(download.suggestedFilename(), "report 2024 (final).bin");
  const saved = await readFile(await download.path());
  assert.equal(saved.length, bytes.length, "same size");
  assert.ok(saved.equals(bytes), "same bytes");
});

test("an image sent shows as a thumbnail on both sides", async () => {
  const png = makePng(64, 48, [30, 144, 255]);
  await sendFiles(alice.page, { name: "sky.png", mimeType: "image/png", buffer: png });

  for (const { page } of [bob, alice]) {
    const thumb = page.locator("#message-list a.file-card.image img.file-thumb").last();
    await thumb.waitFor({ state: "visible" });
    await thumb.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => {
      const imgs = document.querySelectorAll("#message-list a.file-card.image img.file-thumb");
      const img = imgs[imgs.length - 1];
      return img && img.complete && img.naturalWidth > 0;
    });
    assert.equal(await thumb.evaluate((img) => img.naturalWidth), 64, "the image itself, decoded");
  }
});

test("clicking a thumbnail opens the full-size image", async () => {
  const thumb = bob.page.locator("#message-list a.file-card.image img.file-thumb").last();
  await thumb.click();
  const viewer = bob.page.locator("#image-viewer");
  await viewer.waitFor({ state: "visible" });
  await bob.page.waitForFunction(() => {
    const img = document.querySelector("#image-viewer img");
    return img && img.complete && img.naturalWidth === 64;
  });
  await bob.page.keyboard.press("Escape");
  await viewer.waitFor({ state: "hidden" });
});

test("a picture sent into a room reaches its members, and only them", async () => {
  const room = await createRoom(fx.server, alice.user, "Photos", [bob.user]);
  for (const { page } of [alice, bob]) {
    await roomRow(page, "Photos").waitFor();
    await openRoom(page, "Photos");
  }
  const png = makePng(30, 20, [200, 120, 0]);
  await sendFiles(alice.page, { name: "sunset.png", mimeType: "image/png", buffer: png });
  // Bob's browser fetches it with the download cookie the page asked for at start.
  await bob.page.waitForFunction(() => {
    const img = document.querySelector("#message-list a.file-card.image img.file-thumb");
    return img && img.complete && img.naturalWidth === 30;
  });
  const history = await api(fx.server, "GET", `/conversations/${room.conversation_id}/messages`, { token: bob.user.token });
  const stored = history.data.find((m) => m.file_name === "sunset.png");
  assert.ok(stored, "stored in the room");
  // Someone outside the room cannot download it, even logged in.
  const carol = await createUser(fx.server, "carol");
  const res = await fetch(`${fx.server.url}/${stored.file_path}`, { headers: { Authorization: `Bearer ${carol.token}` } });
  assert.equal(res.status, 404);
});
