// Links and formatting: the parser (ui/js/markup.js) imported into a page
// and its DOM checked case by case (mentions too), then two people: formatting sent by one
// shows rendered for the other, a link opens in a new tab that cannot reach
// back, and attempts at script through Markdown and links stay text with
// nothing run.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  gotoChat, messageWithText, openConversation, sendMessage, storedId, useFixture, waitForText,
} from "./harness.js";

let alice, bob; // { user, context, page }
const fx = useFixture({ before, after }, {
  users: ["alice", "bob"],
  setup: async () => {
    alice = { user: fx.users.alice, ...(await fx.person({ user: fx.users.alice })) };
    bob = { user: fx.users.bob, ...(await fx.person({ user: fx.users.bob })) };
    await gotoChat(alice.page, alice.user);
    await gotoChat(bob.page, bob.user);
    await openConversation(alice.page, bob.user);
    await openConversation(bob.page, alice.user);
  },
});

const LINK = 'target="_blank" rel="noopener noreferrer"';

// [message text, the DOM it becomes, written as HTML for reading]
const CASES = [
  ["plain text", "<p>plain text</p>"],
  ["two lines\n\n\nwith blank lines kept", "<p>two lines\n\n\nwith blank lines kept</p>"],
  ["**bold** __bold__ *it* _it_ ~~gone~~ `co*de*`",
    "<p><strong>bold</strong> <strong>bold</strong> <em>it</em> <em>it</em> <s>gone</s> <code>co*de*</code></p>"],
  ["***both*** and **bold with _italics_ inside**",
    "<p><strong><em>both</em></strong> and <strong>bold with <em>italics</em> inside</strong></p>"],
  ["snake_case_name, 2*3*4, a * b * c, foo*bar*", "<p>snake_case_name, 2*3*4, a * b * c, foo*bar*</p>"],
  ["**not closed, `not code, ~not strike~", "<p>**not closed, `not code, ~not strike~</p>"],
  ["`` a ` inside ``", "<p><code>a ` inside</code></p>"],
  ["see https://zulip.com.", `<p>see <a href="https://zulip.com/" ${LINK}>https://zulip.com</a>.</p>`],
  ["(https://en.wikipedia.org/wiki/Mercury_(planet)), www.example.org!",
    `<p>(<a href="https://en.wikipedia.org/wiki/Mercury_(planet)" ${LINK}>https://en.wikipedia.org/wiki/Mercury_(planet)</a>), `
    + `<a href="https://www.example.org/" ${LINK}>www.example.org</a>!</p>`],
  ["HTTP://Example.COM/a_b_c?q=1&x=2#top",
    `<p><a href="http://example.com/a_b_c?q=1&amp;x=2#top" ${LINK}>HTTP://Example.COM/a_b_c?q=1&amp;x=2#top</a></p>`],
  ["**https://example.com/docs**", `<p><strong><a href="https://example.com/docs" ${LINK}>https://example.com/docs</a></strong></p>`],
  ["`https://example.com` is code", "<p><code>https://example.com</code> is code</p>"],
  ["javascript:alert(1) data:text/html,x ftp://host file:///etc/passwd mailto:a@b.c http:// www.",
    "<p>javascript:alert(1) data:text/html,x ftp://host file:///etc/passwd mailto:a@b.c http:// www.</p>"],
  ["nothttps://example.com", "<p>nothttps://example.com</p>"],
  ["[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"],
  ["[x](https://example.com)", `<p>[x](<a href="https://example.com/" ${LINK}>https://example.com</a>)</p>`],
  ["<img src=x onerror=alert(1)> **<script>alert(1)</script>**",
    "<p>&lt;img src=x onerror=alert(1)&gt; <strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong></p>"],
  ["```js\nif (a < b && *c*) {}\n  indented\n```\nafter",
    "<pre><code>if (a &lt; b &amp;&amp; *c*) {}\n  indented</code></pre><p>after</p>"],
  ["```\nnever closed", "<p>```\nnever closed</p>"],
  ["> quoted *text*\n> second line\nnot quoted",
    "<blockquote><p>quoted <em>text</em>\nsecond line</p></blockquote><p>not quoted</p>"],
  ["> > > > four deep", "<blockquote><blockquote><blockquote><p>&gt; four deep</p></blockquote></blockquote></blockquote>"],
  ["- one\n* **two**\n\n1. first\n2. second\n\n7) seventh",
    "<ul><li>one</li><li><strong>two</strong></li></ul><ol><li>first</li><li>second</li></ol><ol start=\"7\"><li>seventh</li></ol>"],
  ["-not a list\n*not a list*", "<p>-not a list\n<em>not a list</em></p>"],
];

test("the parser turns text into the expected DOM, and nothing else", async () => {
  const page = alice.page;
  const results = await page.evaluate(async (cases) => {
    const { renderMarkup } = await import("/static/js/markup.js");
    const escape = (s, quotes) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, quotes ? "&quot;" : '"');
    const html = (node) => {
      if (node.nodeType === Node.TEXT_NODE) return escape(node.data, false);
      const attrs = [...node.attributes].map((a) => ` ${a.name}="${escape(a.value, true)}"`).join("");
      return `<${node.localName}${attrs}>${[...node.childNodes].map(html).join("")}</${node.localName}>`;
    };
    return cases.map(([text]) => [...renderMarkup(text).childNodes].map(html).join(""));
  }, CASES);
  CASES.forEach(([text, expected], i) => assert.equal(results[i], expected, `for ${JSON.stringify(text)}`));
});

// Mentions: marked only where the caller says the name is one (the server
// decides who a message mentions), found as the server finds them.
const MENTION_CASES = [
  ["hi @Bob and @alice.", '<p>hi <span class="mention">@Bob</span> and <span class="mention self">@alice</span>.</p>'],
  ["mail bob@example.com, x_@bob, é@bob, @bobby, @carol", "<p>mail bob@example.com, x_@bob, é@bob, @bobby, @carol</p>"],
  ["`@bob` https://example.com/@bob **@bob**, (@bob-)",
    `<p><code>@bob</code> <a href="https://example.com/@bob" ${LINK}>https://example.com/@bob</a> `
    + '<strong><span class="mention">@bob</span></strong>, (<span class="mention">@bob</span>-)</p>'],
  ["@room <img src=x onerror=alert(1)>", '<p><span class="mention self">@room</span> &lt;img src=x onerror=alert(1)&gt;</p>'],
];

test("mentions are marked for the names a message mentions, and only those, as text", async () => {
  const { results, plain, slowest } = await alice.page.evaluate(async (cases) => {
    const { renderMarkup } = await import("/static/js/markup.js");
    const mentioned = { bob: "other", alice: "self", room: "self" };
    const mention = (name) => mentioned[name.toLowerCase()] ?? null;
    const html = (node) => {
      if (node.nodeType === Node.TEXT_NODE) return node.data.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
      const attrs = [...node.attributes].map((a) => ` ${a.name}="${a.value.replace(/&/g, "&amp;")}"`).join("");
      return `<${node.localName}${attrs}>${[...node.childNodes].map(html).join("")}</${node.localName}>`;
    };
    const render = (text, options) => [...renderMarkup(text, options).childNodes].map(html).join("");
    let slowest = 0;
    for (const text of ["@".repeat(10_000), "@bob".repeat(2_500), `@${"a".repeat(10_000)}`]) {
      const start = performance.now();
      renderMarkup(text, { mention });
      slowest = Math.max(slowest, performance.now() - start);
    }
    return { results: cases.map(([text]) => render(text, { mention })), plain: render("hi @bob"), slowest };
  }, MENTION_CASES);
  MENTION_CASES.forEach(([text, expected], i) => assert.equal(results[i], expected, `for ${JSON.stringify(text)}`));
  assert.equal(plain, "<p>hi @bob</p>", "without mentions, no marks");
  assert.ok(slowest < 500, `10,000 characters of mentions took ${slowest.toFixed(0)} ms`);
});

test("the parser stays fast and shallow on hostile input", async () => {
  const worst = await alice.page.evaluate(async () => {
    const { renderMarkup } = await import("/static/js/markup.js");
    const inputs = ["*a ", "`a ", "**a ", "_", "> ", "(https://x.co ", "*a `b ", "~~a "].map((s) => s.repeat(10_000).slice(0, 10_000));
    inputs.push("*".repeat(5000) + "a" + "*".repeat(5000), "**a ".repeat(1000) + "b**".repeat(1000));
    let slowest = 0;
    let deepest = 0;
    for (const text of inputs) {
      const start = performance.now();
      const fragment = renderMarkup(text);
      slowest = Math.max(slowest, performance.now() - start);
      const depth = (node) => 1 + Math.max(0, ...[...node.children].map(depth));
      deepest = Math.max(deepest, ...[...fragment.children].map(depth));
    }
    return { slowest, deepest };
  });
  assert.ok(worst.slowest < 500, `10,000 characters took ${worst.slowest.toFixed(0)} ms`);
  assert.ok(worst.deepest <= 10, `nesting went ${worst.deepest} elements deep`);
});

test("formatting and links sent by one show rendered for the other", async () => {
  await sendMessage(alice.page, "**Lunch** at _noon_? Menu: https://example.com/menu.\n- soup\n- `bread`",
    "Lunch at noon? Menu: https://example.com/menu.soupbread");
  const received = messageWithText(bob.page, "Lunch at noon? Menu: https://example.com/menu.soupbread");
  await received.waitFor();
  assert.equal(await received.locator(".msg-text strong").textContent(), "Lunch");
  assert.equal(await received.locator(".msg-text em").textContent(), "noon");
  assert.deepEqual(await received.locator(".msg-text li").allTextContents(), ["soup", "bread"]);
  assert.equal(await received.locator(".msg-text li code").textContent(), "bread");
  const link = received.getByRole("link", { name: "https://example.com/menu" });
  assert.equal(await link.getAttribute("href"), "https://example.com/menu");
  assert.equal(await link.getAttribute("target"), "_blank");
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
});

test("a link opens in a new tab that cannot reach back to the chat", async () => {
  const target = `${fx.server.url}/healthz`;
  await sendMessage(bob.page, `status page: ${target}`);
  const received = messageWithText(alice.page, `status page: ${target}`);
  await received.waitFor();
  const [tab] = await Promise.all([
    alice.context.waitForEvent("page"),
    received.getByRole("link", { name: target }).click(),
  ]);
  await tab.waitForLoadState();
  assert.equal(tab.url(), target);
  assert.equal(await tab.evaluate(() => window.opener), null, "noopener: the new tab has no handle on the chat");
  assert.equal(await tab.evaluate(() => document.referrer), "", "noreferrer: the chat's address is not sent");
  await tab.close();
});

test("an edit is drawn with its formatting, and the editor gets the text as typed", async () => {
  await sendMessage(alice.page, "to be *formatted*", "to be formatted");
  const id = await storedId(alice.page, "to be formatted");
  const mine = alice.page.locator(`#message-list > li.msg[data-id="${id}"]`);
  await mine.hover();
  await mine.locator(".msg-edit").click();
  const editor = mine.locator("textarea.edit-input");
  assert.equal(await editor.inputValue(), "to be *formatted*");
  await editor.fill("now ~~struck~~");
  await editor.press("Enter");
  const theirs = bob.page.locator(`#message-list > li.msg[data-id="${id}"]`);
  await waitForText(bob.page, `#message-list > li.msg[data-id="${id}"] .msg-text s`, "struck");
  assert.equal(await theirs.locator(".msg-text").textContent(), "now struck");
  await mine.locator(".msg-text s").waitFor();
});

test("script hidden in Markdown or links stays text, and nothing runs", async () => {
  const attempts = [
    "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "**<script>alert(1)</script>**",
    "_<svg onload=alert(1)>_",
    "javascript:alert(document.cookie)",
    "`<b>not bold</b>` <a href=\"javascript:alert(1)\">x</a>",
    "https://example.com/\"onmouseover=\"alert(1)\"><img src=x onerror=alert(1)>",
    "```\n</code></pre><img src=x onerror=alert(1)>\n```",
  ];
  const marker = "all attempts sent";
  for (const text of attempts) {
    await alice.page.locator("#message-input").fill(text);
    await alice.page.locator("#message-input").press("Enter");
  }
  await sendMessage(alice.page, marker);
  await messageWithText(bob.page, marker).waitFor();
  for (const { page } of [alice, bob]) {
    const found = await page.locator("#message-list").evaluate((list) => ({
      elements: [...list.querySelectorAll(".msg-text *")].map((n) => n.localName),
      hrefs: [...list.querySelectorAll(".msg-text a")].map((a) => a.getAttribute("href")),
      handlers: [...list.querySelectorAll(".msg-text *")].flatMap((n) => [...n.attributes].map((a) => a.name))
        .filter((name) => name.startsWith("on")),
    }));
    const unexpected = found.elements.filter((tag) => !["p", "strong", "em", "s", "code", "pre", "a", "li", "ul"].includes(tag));
    assert.deepEqual(unexpected, [], "only formatting elements were made");
    assert.deepEqual(found.handlers, [], "no event handler attributes");
    for (const href of found.hrefs) assert.match(href, /^https?:\/\//, "links go to http(s) only");
    // The literal characters of each attempt are on the page.
    const texts = await page.locator("#message-list .msg-text").allTextContents();
    assert.ok(texts.some((t) => t.includes("<img src=x onerror=alert(1)>")), "the img markup shows as text");
    assert.ok(texts.includes("[x](javascript:alert(1))"), "the Markdown link shows as typed");
    assert.ok(texts.includes("javascript:alert(document.cookie)"), "a javascript: address is not a link");
    // Handlers would have fired by now: an image error needs a round trip.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    assert.deepEqual(page.dialogs, [], "no alert() ran");
  }
  assert.deepEqual([...alice.page.errors, ...bob.page.errors], [], "no script errors");
});
