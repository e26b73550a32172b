// Display names: set in the profile, seen live by the others wherever a
// person is named (the sidebar, the conversation header, a message's
// sender, the typing line, the list of names to mention, the quick
// switcher, the message search, the user dialog, which shows the username too), while
// mentions stay by username; a name the server refuses is shown with its
// words; clearing it brings the username back.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, chatPages, createRoom, eventually, gotoChat, messageWithText, openConversation, openRoom, roomRow, sendMessages,
  useFixture, userRow, waitForText,
} from "./harness.js";

let alice, bob; // { user, context, page }
let bobInRoom; // bob's second tab, on the room
let team;
const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    const { alice: a, bob: b, carol: c } = fx.users;
    team = await createRoom(fx.server, a, "Team", [b, c]);
    await sendMessages(fx.server, a, { conversationId: team.conversation_id }, ["morning all"]);
    await sendMessages(fx.server, a, { receiverId: b.id }, ["hello bob"]);
    ({ alice, bob } = await chatPages(fx, ["alice", "bob"]));
    await userRow(bob.page, a.id).waitFor();
    await openConversation(bob.page, a);
    bobInRoom = await fx.person({ user: b });
    await gotoChat(bobInRoom.page, b);
    await roomRow(bobInRoom.page, "Team").waitFor();
    await openRoom(bobInRoom.page, "Team");
  },
});

/** The room's row in the sidebar. */
const teamRow = () => `#room-list li[data-conversation-id="${team.conversation_id}"]`;

/** Alice's display name as the server lists it. */
async function aliceOnServer() {
  const users = await api(fx.server, "GET", "/users", { token: bob.user.token });
  return users.data.find((u) => u.id === alice.user.id).display_name;
}

/** Saves a display name in alice's profile dialog. */
async function saveName(name) {
  const { page } = alice;
  if (!(await page.locator("#profile-dialog").isVisible())) {
    await page.locator("#profile-button").click();
    await page.locator("#profile-dialog").waitFor({ state: "visible" });
  }
  await page.locator("#display-name-input").fill(name);
  await page.getByRole("button", { name: "Save name" }).click();
}

/** The options of the list "@" opens: "Label @name" or "@name". */
function mentionOptions(page) {
  return page.getByRole("listbox", { name: "People to mention" }).getByRole("option").evaluateAll((nodes) =>
    nodes.map((n) => [n.querySelector(".mention-label")?.textContent, n.querySelector(".mention-name").textContent]
      .filter(Boolean).join(" ")));
}

async function expectMentionOptions(page, expected) {
  let last;
  await eventually(async () => JSON.stringify(last = await mentionOptions(page)) === JSON.stringify(expected),
    { what: `the options ${JSON.stringify(expected)}` }).catch(() => assert.deepEqual(last, expected));
}

test("a display name set in the profile is seen live in the sidebar, the header, senders and typing", async () => {
  await saveName("Alice Okafor");
  await waitForText(alice.page, "#profile-status", "Display name saved.");
  assert.equal(await aliceOnServer(), "Alice Okafor");
  await waitForText(alice.page, "#me-name", "Alice Okafor");

  // Bob's direct conversation with her, open in one tab.
  await waitForText(bob.page, "#peer-name", "Alice Okafor");
  await waitForText(bob.page, `#direct-list > li[data-user-id="${alice.user.id}"] .conv-name`, "Alice Okafor");
  // The room, open in his other tab: her message's sender and the room's last message.
  const page = bobInRoom.page;
  await waitForText(page, "#message-list > li.msg .msg-sender", "Alice Okafor");
  await waitForText(page, `${teamRow()} .conv-preview`, "Alice Okafor: morning all");
  assert.match(await messageWithText(page, "morning all").locator(".visually-hidden").first().textContent(),
    /^Alice Okafor: $/, "screen readers hear the new name too");

  // Typing in the room shows her new name.
  await alice.page.keyboard.press("Escape");
  await alice.page.locator("#profile-dialog").waitFor({ state: "hidden" });
  await openRoom(alice.page, "Team");
  await alice.page.locator("#message-input").pressSequentially("hel");
  await waitForText(page, "#typing", "Alice Okafor is typing…");
  await alice.page.locator("#message-input").fill("");
});

test("the user dialog shows the display name and the username; the switcher finds her by either", async () => {
  const { page } = bob;
  await page.locator("#peer-info-button").click();
  await page.locator("#user-dialog").waitFor({ state: "visible" });
  await waitForText(page, "#user-dialog-name", "Alice Okafor");
  await waitForText(page, "#user-dialog-username", "@alice");
  await page.keyboard.press("Escape");
  await page.locator("#user-dialog").waitFor({ state: "hidden" });

  for (const typed of ["okafor", "alice"]) {
    await page.keyboard.press("Control+k");
    await page.locator("#switcher-dialog").waitFor({ state: "visible" });
    await page.locator("#switcher-input").fill(typed);
    await waitForText(page, "#switcher-list > li:first-child .switcher-name", "Alice Okafor");
    await waitForText(page, "#switcher-list > li:first-child .switcher-what", /^@alice · Direct message/);
    await page.keyboard.press("Escape");
    await page.locator("#switcher-dialog").waitFor({ state: "hidden" });
  }
});

test("the message search shows her display name as the sender and offers it as a person to narrow by", async () => {
  const { page } = bob;
  await page.locator("#search-button").click();
  await page.locator("#search-dialog").waitFor({ state: "visible" });
  await page.locator("#search-sender").selectOption({ label: "Alice Okafor (@alice)" });
  await page.locator("#search-input").fill("morning");
  await waitForText(page, "#search-results > li[role=option]:first-child .search-who", "Alice Okafor");
  await page.locator("#search-sender").selectOption("");
  await page.keyboard.press("Escape");
  await page.locator("#search-dialog").waitFor({ state: "hidden" });
});

test("the list of names to mention shows the display name and inserts the username, which still mentions", async () => {
  const { page } = bobInRoom;
  const box = page.locator("#message-input");
  await box.focus();
  await page.keyboard.type("@");
  await expectMentionOptions(page, ["Alice Okafor @alice", "@carol", "@room"]);
  await page.keyboard.type("oka"); // her display name, not her username
  await expectMentionOptions(page, ["Alice Okafor @alice"]);
  await page.keyboard.press("Enter");
  assert.equal(await box.inputValue(), "@alice ");
  await page.keyboard.type("the notes are up");
  await page.keyboard.press("Enter");
  await messageWithText(page, "@alice the notes are up").waitFor();

  const onAlice = messageWithText(alice.page, "@alice the notes are up");
  await onAlice.waitFor();
  assert.ok(await onAlice.evaluate((li) => li.classList.contains("mentioned")), "a mention of alice");
  assert.match(await onAlice.locator(".visually-hidden").first().textContent(), /^bob, mentioning you: $/);
});

test("a name the server refuses is shown with its words, and nothing changes", async () => {
  await saveName("x".repeat(65));
  await waitForText(alice.page, "#profile-error",
    "A display name must be at most 64 characters, without control characters");
  assert.equal(await alice.page.locator("#display-name-input").getAttribute("aria-invalid"), "true");
  assert.equal(await aliceOnServer(), "Alice Okafor");
  await waitForText(bobInRoom.page, "#message-list > li.msg .msg-sender", "Alice Okafor");
});

test("clearing the display name brings the username back everywhere", async () => {
  await saveName("");
  await waitForText(alice.page, "#profile-status", "Display name removed: your username shows.");
  assert.equal(await aliceOnServer(), null);
  await waitForText(alice.page, "#me-name", "alice");

  await waitForText(bob.page, "#peer-name", "alice");
  await waitForText(bob.page, `#direct-list > li[data-user-id="${alice.user.id}"] .conv-name`, "alice");
  const page = bobInRoom.page;
  await waitForText(page, "#message-list > li.msg .msg-sender", "alice");
  await page.locator("#message-input").focus();
  await page.keyboard.type("@al");
  await expectMentionOptions(page, ["@alice"]);
  await page.keyboard.press("Escape");
  await page.locator("#message-input").fill("");
  assert.deepEqual([...alice.page.errors, ...bob.page.errors, ...page.errors], []);
});
