// Searching messages: the Search button, Ctrl+Shift+F and "/" open a dialog
// whose results follow the typing (one request once the typing pauses; a
// late answer to older words dropped; a failure said in words), with the
// words found marked, where and when, and who said it by name; the filters
// (conversation, person, dates, files only); "Load more"; a result far back
// in a long room opening it there, marked, with its neighbours around it;
// nothing from a private group one is not in, nor from a room after one
// left it; the keyboard alone; and markup in a message shown as text.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, chatPages, createRoom, eventually, focusedMessageText, openConversation, openRoom, roomRow, sendMessages,
  useFixture, waitForText,
} from "./harness.js";

const FILLER = 150; // the archive: messages around the needle, far more than a page
const NEEDLE_AT = 10; // the needle's place in it: far back from the newest
const XSS = '<img src=x onerror="window.__xss=1"> budget <script>window.__xss=2</script>';
let alice, carol; // { user, context, page }
let lunch, secret, archive, club;
let needle;
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    const { alice: a, bob: b, carol: c } = fx.users;
    const send = (user, to, texts) => sendMessages(fx.server, user, to, texts);
    lunch = await createRoom(fx.server, a, "Lunch", [b, c]);
    secret = await createRoom(fx.server, b, "Secret", [c], "group");
    archive = await createRoom(fx.server, a, "Archive", [b]);
    club = await createRoom(fx.server, b, "Old club", [a]);
    await send(b, { conversationId: lunch.conversation_id }, ["the budget is ready", XSS]);
    await send(c, { conversationId: lunch.conversation_id }, ["budget meeting moved to Friday"]);
    await send(a, { conversationId: lunch.conversation_id }, ["my own budget notes"]);
    await send(b, { receiverId: a.id }, ["budget for the trip"]);
    await send(b, { conversationId: secret.conversation_id }, ["secret budget plans"]);
    const form = new FormData();
    form.append("file", new Blob(["1. rent\n"], { type: "text/plain" }), "budget-plan.txt");
    const upload = await fetch(`${fx.server.url}/upload-file?conversation_id=${lunch.conversation_id}`, {
      method: "POST", headers: { Authorization: `Bearer ${b.token}` }, body: form,
    });
    assert.ok(upload.ok, `upload: ${upload.status}`);
    const texts = Array.from({ length: FILLER },
      (_, i) => (i === NEEDLE_AT ? "the needle in the haystack" : `filler ${i + 1}`));
    needle = (await send(b, { conversationId: archive.conversation_id }, texts))[NEEDLE_AT];
    // Alice reads the club, leaves it, and it goes on without her.
    await send(b, { conversationId: club.conversation_id }, ["club dues are due"]);
    const left = await api(fx.server, "POST", `/conversations/${club.conversation_id}/leave`, { token: a.token });
    assert.equal(left.status, 200);
    await send(b, { conversationId: club.conversation_id }, ["club news after alice left"]);
    ({ alice, carol } = await chatPages(fx, ["alice", "carol"]));
    await roomRow(alice.page, "Archive").waitFor();
  },
});

const dialog = (page) => page.getByRole("dialog", { name: "Search messages" });
const field = (page) => page.locator("#search-input");
const results = (page) => page.locator("#search-results > li[role=option]");
const status = (page) => page.locator("#search-status");

/** The results listed, as { where, line } with the text of each. */
function listed(page) {
  return results(page).evaluateAll((lis) => lis.map((li) => ({
    where: li.querySelector(".search-where").textContent,
    line: li.querySelector(".search-line").textContent,
  })));
}

/** Opens the search with the button, empties it and the filters. */
async function openSearch(page) {
  if (!(await dialog(page).isVisible())) await page.getByRole("button", { name: "Search messages" }).click();
  await dialog(page).waitFor();
  await field(page).fill("");
  await page.locator("#search-conversation").selectOption("");
  await page.locator("#search-sender").selectOption("");
  await page.locator("#search-since").fill("");
  await page.locator("#search-until").fill("");
  await page.locator("#search-files").setChecked(false);
  await page.locator("#search-results").waitFor({ state: "hidden" });
}

/** Types a search and waits for the summary of its answer. */
async function searchFor(page, words, summary) {
  await field(page).fill(words);
  await waitForText(page, "#search-status", summary);
}

function localDate(daysFromToday) {
  const d = new Date();
  d.setDate(d.getDate() + daysFromToday);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

test("typing finds messages once the typing pauses, with the words found marked, where, when and who", async () => {
  const { page } = alice;
  const searches = [];
  const record = (req) => {
    const url = new URL(req.url());
    if (url.pathname === "/search") searches.push(url.searchParams.get("q"));
  };
  page.on("request", record);
  await openSearch(page);
  await field(page).pressSequentially("budg");
  await waitForText(page, "#search-status", "6 messages found.");
  page.off("request", record);
  assert.equal(searches.at(-1), "budg");
  assert.ok(searches.length < 4, `one request per pause in the typing, not per key (${searches})`);

  const found = await listed(page);
  assert.deepEqual(found.map((r) => r.line).sort(), [
    `bob: ${XSS}`,
    "bob: File budget-plan.txt",
    "bob: budget for the trip",
    "bob: the budget is ready",
    "carol: budget meeting moved to Friday",
    "You: my own budget notes",
  ].sort(), "every one she may read, and nothing from the group she is not in");
  const ready = results(page).filter({ hasText: "the budget is ready" });
  assert.equal(await ready.locator(".search-where").textContent(), "Lunch");
  assert.equal(await results(page).filter({ hasText: "the trip" }).locator(".search-where").textContent(), "bob");
  assert.deepEqual(await ready.locator("mark").allTextContents(), ["budget"], "the word found, marked");
  assert.match(await ready.locator("time").textContent(), /^(Today|Yesterday), \d/);
  assert.equal(await status(page).getAttribute("role"), "status", "the count is announced");
  assert.equal(await page.locator("#search-input").getAttribute("aria-expanded"), "true");
  assert.equal(await results(page).first().getAttribute("aria-selected"), "true", "the best is chosen for Enter");

  await searchFor(page, "budget zebra", "No messages match “budget zebra”.");
  assert.equal(await page.locator("#search-results").isHidden(), true);
  assert.equal(await page.locator("#search-input").getAttribute("aria-expanded"), "false");
  await page.keyboard.press("Escape");
  await dialog(page).waitFor({ state: "hidden" });
});

test("an answer to older words that comes late is dropped", async () => {
  const { page } = alice;
  const held = [];
  const seen = [];
  await page.exposeFunction("__searchStatus", (text) => seen.push(text));
  await openSearch(page);
  await page.evaluate(() => {
    const region = document.querySelector("#search-status");
    new MutationObserver(() => window.__searchStatus(region.textContent))
      .observe(region, { childList: true, characterData: true, subtree: true });
  });
  // Each answer is held until the test lets it go.
  await page.route("**/search?*", (route) => new Promise((release) => held.push({ route, release })));
  try {
    await field(page).fill("budget");
    await eventually(() => held.length === 1, { what: "the first search" });
    await field(page).fill("budget ready");
    await eventually(() => held.length === 2, { what: "the second search" });
    // The older answer first: it is for words no longer typed.
    const [older, newer] = held;
    const olderDone = page.waitForEvent("requestfinished", (req) => new URL(req.url()).searchParams.get("q") === "budget");
    older.route.continue().then(older.release);
    await olderDone;
    newer.route.continue().then(newer.release);
    await waitForText(page, "#search-status", "1 message found.");
    assert.deepEqual((await listed(page)).map((r) => r.line), ["bob: the budget is ready"]);
    assert.deepEqual(seen.filter(Boolean), ["1 message found."], "the older answer was never shown");
  } finally {
    await page.unroute("**/search?*");
  }
  await page.keyboard.press("Escape");
});

test("a search that cannot reach the server says so, and the next one works", async () => {
  const { page } = alice;
  await openSearch(page);
  await page.route("**/search?*", (route) => route.abort("internetdisconnected"));
  try {
    await searchFor(page, "budget", "Could not search: Cannot reach the server. Check your connection.");
    assert.equal(await page.locator("#search-results").isHidden(), true);
  } finally {
    await page.unroute("**/search?*");
  }
  await searchFor(page, "budget ready", "1 message found.");
  await page.keyboard.press("Escape");
});

test("the filters narrow by conversation, person, date and files", async () => {
  const { page } = alice;
  const sent = [];
  const record = (req) => {
    const url = new URL(req.url());
    if (url.pathname === "/search") sent.push(Object.fromEntries(url.searchParams));
  };
  page.on("request", record);
  await openSearch(page);
  await searchFor(page, "budget", "6 messages found.");

  await page.locator("#search-sender").selectOption({ label: "carol" });
  await waitForText(page, "#search-status", "1 message found.");
  assert.deepEqual(await listed(page), [{ where: "Lunch", line: "carol: budget meeting moved to Friday" }]);
  assert.equal(sent.at(-1).sender_id, String(fx.users.carol.id));
  await page.locator("#search-sender").selectOption("");

  await page.locator("#search-conversation").selectOption({ label: "bob" });
  await waitForText(page, "#search-status", "1 message found.");
  assert.deepEqual((await listed(page)).map((r) => r.line), ["bob: budget for the trip"]);
  await page.locator("#search-conversation").selectOption({ label: "Lunch" });
  await waitForText(page, "#search-status", "5 messages found.");
  assert.ok((await listed(page)).every((r) => r.where === "Lunch"));

  await page.locator("#search-files").check();
  await waitForText(page, "#search-status", "1 message found.");
  assert.deepEqual(await listed(page), [{ where: "Lunch", line: "bob: File budget-plan.txt" }]);
  assert.equal(sent.at(-1).has_file, "true");
  await page.locator("#search-files").uncheck();
  await waitForText(page, "#search-status", "5 messages found.");

  // Either end of a range sends both (docs/protocol.md: a closed range is narrowed in the index).
  await page.locator("#search-since").fill(localDate(0));
  await page.locator("#search-since").dispatchEvent("change");
  await waitForText(page, "#search-status", "5 messages found.");
  const since = sent.at(-1);
  assert.equal(new Date(since.after).getTime(), new Date(`${localDate(0)}T00:00`).getTime(), "from local midnight");
  assert.ok(new Date(since.before) > new Date(), `closed in the future: ${since.before}`);
  await page.locator("#search-since").fill("");
  await page.locator("#search-until").fill(localDate(-1));
  await page.locator("#search-until").dispatchEvent("change");
  await waitForText(page, "#search-status", "No messages match “budget” with these filters.");
  const until = sent.at(-1);
  assert.ok(until.after, "an earliest time is sent with `before`");
  assert.equal(new Date(until.before).getTime(), new Date(`${localDate(0)}T00:00`).getTime(), "until the end of yesterday");
  page.off("request", record);

  // "This conversation": the one open.
  await page.keyboard.press("Escape");
  await openConversation(page, fx.users.bob);
  await openSearch(page);
  await page.locator("#search-conversation").selectOption({ label: "This conversation" });
  await searchFor(page, "budget", "1 message found.");
  assert.deepEqual((await listed(page)).map((r) => r.line), ["bob: budget for the trip"]);
  await page.locator("#search-conversation").selectOption("");
  await page.keyboard.press("Escape");
});

test("Load more brings the next page of results", async () => {
  const { page } = alice;
  await openSearch(page);
  await searchFor(page, "filler", "20 messages found, and more with Load more.");
  await page.getByRole("button", { name: "Load more" }).click();
  await waitForText(page, "#search-status", "40 messages found, and more with Load more.");
  const ids = await results(page).evaluateAll((lis) => lis.map((li) => li.dataset.messageId));
  assert.equal(new Set(ids).size, 40, "each once");
  // From the keyboard: down past the last result (the first new one was chosen).
  assert.equal(await results(page).nth(20).getAttribute("aria-selected"), "true");
  await field(page).focus();
  for (let i = 20; i < 39; i += 1) await page.keyboard.press("ArrowDown");
  assert.equal(await results(page).nth(39).getAttribute("aria-selected"), "true");
  await page.keyboard.press("ArrowDown");
  await waitForText(page, "#search-status", "60 messages found, and more with Load more.");
  assert.equal(await results(page).nth(40).getAttribute("aria-selected"), "true", "on the first of the new page");
  await page.keyboard.press("Escape");
});

test("a result far back in a long room opens the room there, marked, with its neighbours", { timeout: 60_000 }, async () => {
  const { page } = alice;
  await openSearch(page);
  await searchFor(page, "needle haystack", "1 message found.");
  assert.deepEqual(await listed(page), [{ where: "Archive", line: "bob: the needle in the haystack" }]);
  await results(page).first().click();
  await dialog(page).waitFor({ state: "hidden" });
  await waitForText(page, "#peer-name", "Archive");
  const shown = page.locator(`#message-list > li[data-id="${needle.id}"]`);
  await shown.and(page.locator(".highlight")).waitFor();
  assert.equal(await focusedMessageText(page),
    "the needle in the haystack", "focus is on it");
  for (const neighbour of [`filler ${NEEDLE_AT}`, `filler ${NEEDLE_AT + 2}`]) {
    await page.locator("#message-list .msg-text").getByText(neighbour, { exact: true }).waitFor();
  }
  assert.equal(await page.locator("#message-list .msg-text").getByText(`filler ${FILLER}`, { exact: true }).count(), 0,
    "the newest are not drawn under it");
  await page.getByRole("button", { name: "Jump to latest" }).waitFor();
  assert.notEqual(await page.locator("#message-list").getAttribute("aria-busy"), "true");
  await shown.evaluate((li) => li.scrollIntoView({ block: "center" }));
  assert.ok(await shown.isVisible());
});

test("nothing is found in a private group one is not in, nor in a room after one left it", async () => {
  // Carol is in the group: the words are there to be found.
  await openSearch(carol.page);
  await searchFor(carol.page, "secret", "1 message found.");
  assert.deepEqual(await listed(carol.page), [{ where: "Secret", line: "bob: secret budget plans" }]);
  await carol.page.keyboard.press("Escape");

  const { page } = alice;
  await openSearch(page);
  await searchFor(page, "secret", "No messages match “secret”.");
  await searchFor(page, "club", "1 message found.");
  assert.deepEqual(await listed(page), [{ where: "A conversation you left", line: "bob: club dues are due" }]);
  await results(page).first().click();
  await waitForText(page, "#toast", "You are no longer in that conversation, so its messages cannot be shown.");
});

test("the search works from the keyboard alone", async () => {
  const { page } = alice;
  await openRoom(page, "Lunch");
  assert.match(await page.locator("#switcher-hint").textContent(), /Ctrl\+Shift\+F or \/ searches messages/);
  assert.match(await page.getByRole("button", { name: "Search messages" }).getAttribute("title"), /Ctrl\+Shift\+F or \//);

  // "/" in the composer is typed; Ctrl+Shift+F opens the search from there, Escape comes back.
  await page.locator("#message-input").focus();
  await page.keyboard.type("/");
  assert.equal(await page.locator("#message-input").inputValue(), "/");
  assert.equal(await dialog(page).isVisible(), false);
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Control+Shift+F");
  await dialog(page).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), "search-input");
  await page.keyboard.press("Escape");
  await dialog(page).waitFor({ state: "hidden" });
  assert.equal(await page.evaluate(() => document.activeElement.id), "message-input", "focus is back where it was");

  // "/" outside a text field opens it.
  await page.locator("#message-list > li.msg").last().focus();
  await page.keyboard.press("/");
  await dialog(page).waitFor();
  await page.keyboard.press("Control+a");
  await page.keyboard.type("budget");
  await waitForText(page, "#search-status", "6 messages found.");
  const selected = () => page.locator("#search-results > [aria-selected=true] .search-line").textContent();
  const order = await results(page).locator(".search-line").allTextContents();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowUp");
  assert.equal(await selected(), order[1]);
  assert.equal(await field(page).getAttribute("aria-activedescendant"), "search-result-1");
  // To the meeting message, and open it.
  const meeting = order.indexOf("carol: budget meeting moved to Friday");
  for (let i = 1; i < meeting; i += 1) await page.keyboard.press("ArrowDown");
  for (let i = 1; i > meeting; i -= 1) await page.keyboard.press("ArrowUp");
  assert.equal(await selected(), "carol: budget meeting moved to Friday");
  await page.keyboard.press("Enter");
  await dialog(page).waitFor({ state: "hidden" });
  await page.waitForFunction(() => document.activeElement.matches("#message-list > li.msg.highlight")
    && document.activeElement.querySelector(".msg-text").textContent === "budget meeting moved to Friday");
});

test("markup in a message shows in a result as text, and nothing in it runs", async () => {
  const { page } = alice;
  await openSearch(page);
  await searchFor(page, "onerror", "1 message found.");
  const result = results(page).first();
  assert.equal(await result.locator(".search-line").textContent(), `bob: ${XSS}`);
  assert.deepEqual(await result.locator("mark").allTextContents(), ["onerror"]);
  assert.equal(await page.locator("#search-results img, #search-results script").count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await page.keyboard.press("Escape");
  assert.deepEqual(alice.page.errors, []);
});
