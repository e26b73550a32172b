// Notification settings in the pages: the permission asked from the
// settings only, a muted or mentions-only conversation staying quiet while
// others notify, do not disturb, and all of it following the person to a
// second device at once.
//
// Each person's page gets stand-ins before its scripts run: a recording
// window.Notification (its permission kept per tab, its prompt answered as
// the test says), a page that is not on screen (the person is in another
// tab: pages notify only then), and an AudioContext that counts the notes
// of the chime.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  api, createRoom, eventually, gotoChat, openRoom, roomRow, sendMessages, useFixture, waitForText,
} from "./harness.js";

let bob; // bob's page
let rooms; // { design, lunch }: rooms of alice's with bob in them

const fx = useFixture({ before, after }, {
  users: ["alice", "bob", "carol"],
  setup: async (fx) => {
    const { alice, bob: bobUser } = fx.users;
    rooms = {
      design: (await createRoom(fx.server, alice, "Design", [bobUser])).conversation_id,
      lunch: (await createRoom(fx.server, alice, "Lunch", [bobUser])).conversation_id,
    };
    bob = await personWithStandIns(bobUser);
    await gotoChat(bob, bobUser);
  },
});

/** A page of `user` with the stand-ins; `permission` is the browser's to start with. */
async function personWithStandIns(user, { permission = "default" } = {}) {
  const { page } = await fx.person({ user });
  await page.addInitScript(installStandIns, { permission });
  return page;
}

/** Runs in the page before its scripts. */
function installStandIns({ permission }) {
  const KEY = "standin.notification-permission";
  if (sessionStorage.getItem(KEY) === null) sessionStorage.setItem(KEY, permission);
  const record = { shown: [], asked: 0, answer: "granted", notes: 0 };
  class RecordedNotification extends EventTarget {
    static get permission() {
      return sessionStorage.getItem(KEY);
    }

    static async requestPermission() {
      record.asked += 1;
      sessionStorage.setItem(KEY, record.answer);
      return record.answer;
    }

    constructor(title, options = {}) {
      super();
      record.shown.push({ title, body: options.body, tag: options.tag });
    }

    close() {}
  }
  window.Notification = RecordedNotification;
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => true });
  Object.defineProperty(Document.prototype, "visibilityState", { configurable: true, get: () => "hidden" });
  const Audio = window.AudioContext;
  window.AudioContext = class extends Audio {
    createOscillator() {
      record.notes += 1;
      return super.createOscillator();
    }
  };
  window.__record = record;
}

const record = (page) => page.evaluate(() => window.__record);

/** Waits until `page` has shown a notification with this body; returns it. */
function notified(page, body) {
  return eventually(async () => (await record(page)).shown.find((n) => n.body === body), {
    what: `a notification "${body}"`,
  });
}

async function shownBodies(page) {
  return (await record(page)).shown.map((n) => n.body);
}

/** Alice says `text` in a room; resolves once it is stored. */
function aliceSays(room, text) {
  return sendMessages(fx.server, fx.users.alice, { conversationId: room }, [text]);
}

/** Waits until `page`'s sidebar shows `text` as the room's last message (the frame is handled). */
async function arrived(page, title, text) {
  await eventually(async () => (await roomRow(page, title).locator(".conv-preview").textContent()).includes(text), {
    what: `"${text}" in ${title}'s row`,
  });
}

async function chooseLevel(page, title, label, toast) {
  await openRoom(page, title);
  await page.getByLabel("Notifications for this conversation").selectOption({ label });
  await waitForText(page, "#toast", toast);
}

async function openSettings(page) {
  await page.locator("#settings-button").click();
  await page.locator("#settings-dialog").waitFor({ state: "visible" });
  await page.waitForFunction(() => !document.querySelector("#notify-sound").disabled);
}

async function closeSettings(page) {
  await page.keyboard.press("Escape");
  await page.locator("#settings-dialog").waitFor({ state: "hidden" });
}

test("the permission is asked from the settings control only, never on sending", async () => {
  await openRoom(bob, "Design");
  const input = bob.locator("#message-input");
  await input.fill("first message from bob");
  await input.press("Enter");
  await bob.locator("#message-list .msg-text").getByText("first message from bob").waitFor();
  assert.equal((await record(bob)).asked, 0, "sending asks nothing");

  await openSettings(bob);
  await waitForText(bob, "#notify-permission", "Desktop notifications are off in this browser.");
  const enable = bob.getByRole("button", { name: "Enable desktop notifications" });
  await enable.click();
  await waitForText(bob, "#notify-permission", "Desktop notifications are on in this browser.");
  await enable.waitFor({ state: "hidden" });
  assert.equal((await record(bob)).asked, 1);
  await closeSettings(bob);
});

test("a muted conversation stays quiet, shown muted, while another still notifies", async () => {
  await chooseLevel(bob, "Design", "Muted", "Muted: only messages that mention you notify you here.");
  const saved = await api(fx.server, "GET", `/conversations/${rooms.design}`, { token: fx.users.bob.token });
  assert.equal(saved.data.notify, "muted", "kept by the server");

  await aliceSays(rooms.design, "design review at 3");
  await aliceSays(rooms.lunch, "pizza today");

  // Frames arrive in order: once Lunch's is shown, Design's was decided on.
  const lunch = await notified(bob, "pizza today");
  assert.equal(lunch.title, "alice in Lunch");
  assert.ok(!(await shownBodies(bob)).includes("design review at 3"), "the muted room stayed quiet");

  const design = roomRow(bob, "Design");
  assert.equal(await design.getAttribute("data-notify"), "muted");
  await design.locator(".muted-icon").waitFor({ state: "visible" });
  assert.equal(await design.getByRole("button", { name: /, muted$/ }).count(), 1, "muted in the row's accessible name");
  await eventually(() => design.locator(".unread-badge.muted").isVisible(), { what: "a dimmed unread badge" });
  assert.equal(await roomRow(bob, "Lunch").locator(".muted-icon").isVisible(), false);
});

test("mentions only: a plain message stays quiet, a mention notifies, and @room reaches a muted room", async () => {
  await chooseLevel(bob, "Lunch", "Mentions only", "Only messages that mention you notify you here.");

  await aliceSays(rooms.lunch, "who is hungry?");
  await aliceSays(rooms.lunch, "@bob are you coming?");
  await notified(bob, "@bob are you coming?");
  assert.ok(!(await shownBodies(bob)).includes("who is hungry?"));

  await aliceSays(rooms.design, "@room stand-up now");
  assert.equal((await notified(bob, "@room stand-up now")).title, "alice in Design");
});

test("do not disturb silences even mentions until it is turned off", async () => {
  await openSettings(bob);
  await waitForText(bob, "#dnd-status", "Off.");
  await bob.getByRole("button", { name: "For 1 hour" }).click();
  await waitForText(bob, "#dnd-status", /^On until (today|tomorrow) at /);
  const saved = await api(fx.server, "GET", "/settings", { token: fx.users.bob.token });
  assert.ok(Date.parse(saved.data.dnd_until) > Date.now() + 50 * 60_000, `kept by the server: ${saved.data.dnd_until}`);

  await aliceSays(rooms.lunch, "@bob quiet hours?");
  await arrived(bob, "Lunch", "@bob quiet hours?");
  assert.ok(!(await shownBodies(bob)).includes("@bob quiet hours?"), "nothing while do not disturb lasts");

  await bob.getByRole("button", { name: "Turn off" }).click();
  await waitForText(bob, "#dnd-status", "Off.");
  await closeSettings(bob);
  await aliceSays(rooms.lunch, "@bob back again");
  await notified(bob, "@bob back again");
});

test("levels and settings follow bob to his second device at once", async () => {
  const phone = await personWithStandIns(fx.users.bob, { permission: "granted" });
  await gotoChat(phone, fx.users.bob);
  await openRoom(phone, "Design");
  const phoneLevel = phone.getByLabel("Notifications for this conversation");
  assert.equal(await phoneLevel.inputValue(), "muted", "the level from the server");

  await chooseLevel(bob, "Design", "All messages", "Every message here notifies you.");
  await eventually(async () => (await phoneLevel.inputValue()) === "all", { what: "the phone's menu at all" });
  await roomRow(phone, "Design").locator(".muted-icon").waitFor({ state: "hidden" });

  await openSettings(phone);
  await waitForText(phone, "#dnd-status", "Off.");
  await openSettings(bob);
  await bob.getByRole("button", { name: /^Until (tomorrow )?/ }).click();
  await waitForText(phone, "#dnd-status", /^On until (today|tomorrow) at /);
  await bob.getByLabel("Play a sound").check();
  await eventually(() => phone.locator("#notify-sound").isChecked(), { what: "the phone's sound switch on" });
  await closeSettings(phone);

  await aliceSays(rooms.design, "while you sleep");
  await arrived(phone, "Design", "while you sleep");
  assert.ok(!(await shownBodies(phone)).includes("while you sleep"), "do not disturb reached the phone");

  const notesBefore = (await record(phone)).notes;
  await bob.getByRole("button", { name: "Turn off" }).click();
  await waitForText(bob, "#dnd-status", "Off.");
  await closeSettings(bob);
  await aliceSays(rooms.design, "good morning");
  await notified(phone, "good morning");
  await eventually(async () => (await record(phone)).notes > notesBefore, { what: "the chime on the phone" });
});

test("when the browser blocks notifications, the settings say how to allow them again", async () => {
  const carol = await personWithStandIns(fx.users.carol);
  await gotoChat(carol, fx.users.carol);
  await carol.evaluate(() => {
    window.__record.answer = "denied";
  });
  await openSettings(carol);
  await carol.getByRole("button", { name: "Enable desktop notifications" }).click();
  await waitForText(carol, "#notify-permission", /blocks notifications.*address bar.*Allow.*reload/);
  await carol.getByRole("button", { name: "Enable desktop notifications" }).waitFor({ state: "hidden" });

  // Refused for good: the page says so again after a reload, and never asks.
  await carol.reload();
  await carol.locator("#me-name").getByText("carol").waitFor();
  await openSettings(carol);
  await waitForText(carol, "#notify-permission", /blocks notifications.*address bar/);
  assert.equal(await carol.locator("#notify-permission").getAttribute("data-permission"), "denied");
  assert.equal((await record(carol)).asked, 0, "the record starts again with the page");
  assert.deepEqual([...bob.errors, ...carol.errors], [], "no script errors");
});
