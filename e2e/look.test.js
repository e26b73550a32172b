// The look: the chat page in light and dark mode at desktop and phone width,
// saved as screenshots in e2e/artifacts/ (not committed), plus the checks
// that make those views real: the theme follows the system until toggled,
// the toggle is remembered, and a phone-width page does not scroll sideways.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  artifactPath, createRoom, gotoChat, makePng, messageWithText, openConversation, openRoom, sendFiles, sendMessage,
  sendMessages, useFixture,
} from "./harness.js";

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  // A conversation worth looking at, made through the pages.
  setup: async (fx) => {
    const { alice, bob } = fx.users;
    const a = await fx.person({ user: alice });
    const b = await fx.person({ user: bob });
    await gotoChat(a.page, alice);
    await gotoChat(b.page, bob);
    await openConversation(a.page, bob);
    await openConversation(b.page, alice);
    await sendMessage(a.page, "Hi Bob! Are we still on for the meeting at 3?");
    await sendMessage(b.page, "Yes — I'll bring the slides.");
    await sendMessage(a.page, "Great, see you there 🙂");
    await sendFiles(a.page, {
      name: "agenda.png", mimeType: "image/png", buffer: makePng(160, 100, [46, 139, 87]),
    });
    await b.page.locator("#message-list a.file-card.image").waitFor();
    // A room with a few voices, a notice and unread messages for alice.
    const room = await createRoom(fx.server, alice, "Design review", [bob, fx.users.carol]);
    await openRoom(a.page, "Design review");
    await sendMessage(a.page, "Mock-ups are in the shared folder.");
    await openConversation(a.page, bob);
    await sendMessages(fx.server, fx.users.carol, { conversationId: room.conversation_id },
      ["Looks great!", "Can we try a darker header?"]);
    await sendMessages(fx.server, bob, { conversationId: room.conversation_id }, ["+1 on the header"]);
    await b.context.close();
    await a.context.close();
  },
});

/** Relative luminance (0 dark .. 1 light) of an element's background colour. */
async function backgroundLuminance(page, selector) {
  return page.locator(selector).evaluate((node) => {
    // Walk up to the first element with a non-transparent background.
    let el = node;
    let colour = "rgba(0, 0, 0, 0)";
    while (el) {
      colour = getComputedStyle(el).backgroundColor;
      if (!/rgba\(.*, 0\)$/.test(colour) && colour !== "transparent") break;
      el = el.parentElement;
    }
    const [r, g, b] = colour.match(/[\d.]+/g).slice(0, 3).map((v) => Number(v) / 255);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  });
}

/** Waits for <html data-theme> to be `scheme`. */
async function expectTheme(page, scheme, why) {
  try {
    await page.waitForFunction((s) => document.documentElement.dataset.theme === s, scheme);
  } catch {
    assert.equal(await page.locator("html").getAttribute("data-theme"), scheme, why);
  }
}

/** Opens the conversation with bob, as alice, in the given scheme and size. */
async function chatView(colorScheme, viewport) {
  const { alice, bob } = fx.users;
  const { context, page } = await fx.person({ user: alice, colorScheme, viewport });
  await gotoChat(page, alice);
  await openConversation(page, bob);
  await messageWithText(page, "Great, see you there 🙂").waitFor({ state: "visible" });
  await page.waitForFunction(() => [...document.querySelectorAll("#message-list img.file-thumb")]
    .every((img) => img.complete && img.naturalWidth > 0));
  return { context, page };
}

for (const [sizeName, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
  test(`chat page screenshots, light and dark, ${sizeName} (${viewport.width}x${viewport.height})`, async () => {
    const luminance = {};
    for (const scheme of ["light", "dark"]) {
      const { context, page } = await chatView(scheme, viewport);
      await expectTheme(page, scheme, "the theme follows the system");
      luminance[scheme] = await backgroundLuminance(page, "#message-list");
      if (sizeName === "phone") {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no sideways scrolling at phone width (${overflow}px too wide)`);
        // The conversation replaces the list on a phone.
        assert.equal(await page.locator("#conversation-list").isVisible(), false, "the conversation list makes way");
        assert.ok(await page.locator("#message-input").isVisible(), "the composer is on screen");
      }
      await page.mouse.move(0, 0); // no hover effects in the picture
      await page.screenshot({ path: await artifactPath(`chat-${sizeName}-${scheme}.png`) });
      if (sizeName === "phone") {
        await page.getByRole("button", { name: "Back to conversations" }).click();
        await page.locator("#conversation-list").waitFor({ state: "visible" });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `the conversation list fits the phone's width (${overflow}px too wide)`);
        await page.screenshot({ path: await artifactPath(`sidebar-phone-${scheme}.png`) });
      }
      await openRoom(page, "Design review");
      await messageWithText(page, "+1 on the header").waitFor({ state: "visible" });
      await page.mouse.move(0, 0);
      await page.screenshot({ path: await artifactPath(`room-${sizeName}-${scheme}.png`) });
      await context.close();
    }
    assert.ok(luminance.dark < luminance.light,
      `dark mode is darker (light ${luminance.light.toFixed(2)}, dark ${luminance.dark.toFixed(2)})`);
  });
}

test("the theme toggle overrides the system setting and is remembered", async () => {
  const { alice } = fx.users;
  const { context, page } = await fx.person({ user: alice, colorScheme: "light" });
  await gotoChat(page, alice);
  await expectTheme(page, "light", "the theme follows the system");
  await page.locator("#theme-toggle").click();
  await expectTheme(page, "dark", "the toggle switches to dark");
  await gotoChat(page, alice); // a fresh load of the page
  await expectTheme(page, "dark", "the choice survives a reload");
  await page.locator("#theme-toggle").click();
  await expectTheme(page, "light", "the toggle switches back");
  await context.close();
});
