// Accessibility: axe-core (from npm, run against the local pages) on the
// chat page in light and dark mode, with what a day of chat puts on it:
// messages both ways with formatting and a link, file cards (a picture and
// a document) on both sides, a room with several voices and a notice, a
// reply's quote, reactions and a message mentioning the reader, the quick
// switcher, the message search with results, a message's menu, the
// reaction picker, the list of names "@" opens (one with a display name)
// and the tray of files to send (one ready, one refused). Any serious or critical
// violation fails, with axe's own words for what and where. Text contrast
// is also measured directly where it was too low before: timestamps and
// file sizes on one's own bubbles.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import {
  api, createRoom, gotoChat, makePng, messageWithText, openConversation, openRoom, sendFiles, sendMessage, sendMessages,
  storedId, useFixture,
} from "./harness.js";

const axeSource = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  serverArgs: ["--max-upload-mb", "1"], // a file the server refuses, in the tray
  setup: async (fx) => {
    const { alice, bob, carol } = fx.users;
    const a = await fx.person({ user: alice });
    const b = await fx.person({ user: bob });
    await gotoChat(a.page, alice);
    await gotoChat(b.page, bob);
    await openConversation(a.page, bob);
    await openConversation(b.page, alice);
    await sendMessage(a.page, "Plans for **Friday**: see https://example.org/plan and `notes.txt`",
      "Plans for Friday: see https://example.org/plan and notes.txt");
    await sendMessage(b.page, "> Plans for Friday\n- slides\n- *snacks*", "Plans for Fridayslidessnacks");
    await sendFiles(a.page, {
      name: "map.png", mimeType: "image/png", buffer: makePng(120, 80, [200, 120, 40]),
    });
    await b.page.locator("#message-list a.file-card.image").waitFor();
    await sendFiles(a.page, {
      name: "agenda.txt", mimeType: "text/plain", buffer: Buffer.from("1. coffee\n2. talk\n"),
    });
    await sendFiles(b.page, {
      name: "minutes.txt", mimeType: "text/plain", buffer: Buffer.from("nothing decided\n"),
    });
    await a.page.locator("#message-list a.file-card[download='minutes.txt']").waitFor();
    await sendMessage(a.page, "Thanks!");
    await storedId(a.page, "Thanks!");
    assert.equal((await api(fx.server, "POST", "/update-display-name", {
      token: carol.token, json: { display_name: "Carol Díaz" },
    })).status, 200);
    const room = await createRoom(fx.server, alice, "Planning", [bob, carol]);
    const [morning, question] = await sendMessages(fx.server, carol, { conversationId: room.conversation_id },
      ["Morning all", "Who books the room?", "@alice can you bring the slides?"]);
    await sendMessages(fx.server, bob, { conversationId: room.conversation_id },
      [{ content: "I will", reply_to: question.id }]);
    for (const [user, emoji] of [[bob, "👍"], [alice, "🎉"]]) {
      const route = `/conversations/${room.conversation_id}/messages/${morning.id}/reactions/${encodeURIComponent(emoji)}`;
      assert.equal((await api(fx.server, "PUT", route, { token: user.token })).status, 200);
    }
    await a.context.close();
    await b.context.close();
  },
});

/** Runs axe on the page; returns the serious and critical violations, described. */
async function seriousViolations(page) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`),
    }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

function describe(violations) {
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 5).join("\n  ")}`).join("\n");
}

async function expectClean(page, where) {
  const found = await seriousViolations(page);
  assert.equal(found.length, 0, `${where}:\n${describe(found)}`);
}

/** WCAG contrast of an element's text against the first opaque background behind it. */
function contrastOf(locator) {
  return locator.evaluate((node) => {
    const rgba = (css) => css.match(/[\d.]+/g).map(Number);
    const over = (top, bottom) => {
      const a = top[3] ?? 1;
      return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a));
    };
    let opacity = 1;
    for (let n = node; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const bg = rgba(getComputedStyle(n).backgroundColor);
      if ((bg[3] ?? 1) > 0) layers.push(bg);
      if ((bg[3] ?? 1) === 1) break;
    }
    let background = [255, 255, 255];
    for (const layer of layers.reverse()) background = over(layer, background);
    const colour = rgba(getComputedStyle(node).color);
    const text = over([colour[0], colour[1], colour[2], (colour[3] ?? 1) * opacity], background);
    const lum = (c) => {
      const [r, g, b] = c.map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [hi, lo] = [lum(text), lum(background)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  });
}

for (const scheme of ["light", "dark"]) {
  test(`the chat page has no serious accessibility violations in ${scheme} mode`, async () => {
    const { alice, bob } = fx.users;
    const { page } = await fx.person({ user: alice, colorScheme: scheme });
    await gotoChat(page, alice);
    await expectClean(page, "the page with no conversation open");

    await openConversation(page, bob);
    await messageWithText(page, "Thanks!").waitFor();
    await page.locator("#message-list a.file-card[download='minutes.txt']").waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll("#message-list img.file-thumb")]
      .every((img) => img.complete && img.naturalWidth > 0));
    await page.mouse.move(0, 0);
    await expectClean(page, "a direct conversation with formatting and files");

    await openRoom(page, "Planning");
    await messageWithText(page, "I will").locator(".msg-quote").waitFor();
    await messageWithText(page, "Morning all").locator(".reaction").first().waitFor();
    await page.locator("#message-list > li.mentioned").waitFor();
    await expectClean(page, "a room with a reply, reactions and a mention");

    // A message's menu, from the keyboard.
    await messageWithText(page, "I will").focus();
    await page.keyboard.press("Enter");
    await page.getByRole("menu", { name: "Message actions" }).waitFor();
    await expectClean(page, "a message's menu");
    await page.keyboard.press("Escape");

    await page.keyboard.press("+");
    await page.getByRole("dialog", { name: "Add a reaction" }).waitFor();
    await expectClean(page, "the reaction picker");
    await page.keyboard.press("Escape");

    await page.locator("#message-input").focus();
    await page.keyboard.type("@");
    await page.getByRole("listbox", { name: "People to mention" }).waitFor();
    await expectClean(page, "the list of names to mention");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Backspace");

    await page.locator("#file-input").setInputFiles([
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("notes\n") },
      { name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(1536 * 1024) },
    ]);
    await page.locator("#composer button[type=submit]").click();
    await page.locator("#attachment-list > li[data-state=failed]").waitFor();
    await page.locator("#file-input").setInputFiles([{ name: "draft.txt", mimeType: "text/plain", buffer: Buffer.from("draft\n") }]);
    await page.locator("#attachment-list > li[data-state=ready]").waitFor();
    await expectClean(page, "the tray of files to send");

    await page.keyboard.press("Control+k");
    await page.getByRole("dialog", { name: "Go to a conversation" }).waitFor();
    await page.keyboard.type("b");
    await expectClean(page, "the quick switcher");
    await page.keyboard.press("Escape");

    await page.keyboard.press("Control+Shift+F");
    await page.getByRole("dialog", { name: "Search messages" }).waitFor();
    await page.keyboard.type("plans");
    await page.locator("#search-results > li[role=option] mark").first().waitFor();
    await expectClean(page, "the message search with results");
    await page.keyboard.press("Escape");
  });

  test(`times and file sizes on one's own bubbles read at 4.5:1 or better in ${scheme} mode`, async () => {
    const { alice, bob } = fx.users;
    const { page } = await fx.person({ user: alice, colorScheme: scheme });
    await gotoChat(page, alice);
    await openConversation(page, bob);
    await page.locator("#message-list a.file-card[download='agenda.txt']").waitFor();
    await page.mouse.move(0, 0);
    const checks = {
      "a time on one's own bubble": messageWithText(page, "Thanks!").locator(".msg-time"),
      "a file size on one's own bubble": page.locator("#message-list li.mine a.file-card[download='agenda.txt'] .file-size"),
      "a time on the other's bubble": page.locator("#message-list li.theirs .msg-time").first(),
      "a file size on the other's bubble": page.locator("#message-list a.file-card[download='minutes.txt'] .file-size"),
      "a link in a message": page.locator("#message-list .msg-text a").first(),
    };
    for (const [what, locator] of Object.entries(checks)) {
      const ratio = await contrastOf(locator);
      assert.ok(ratio >= 4.5, `${what}: contrast ${ratio.toFixed(2)}:1 in ${scheme} mode`);
    }
  });
}
