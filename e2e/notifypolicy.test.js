// The pages' rule of who is notified (ui/js/notifypolicy.js), as
// docs/protocol.md "Who is notified" states it. A pure module: run here in
// Node, with no browser.

import { test } from "node:test";
import assert from "node:assert/strict";
import { dndActive, mentionsMe, shouldNotify } from "../ui/js/notifypolicy.js";

const ME = 1;
const ANA = 2;
const NOW = new Date("2026-12-01T10:00:00Z");

const message = (fields = {}) => ({ id: 7, sender_id: ANA, conversation_id: 4, content: "hi", ...fields });
const away = (fields = {}) => ({ meId: ME, level: "all", dndUntil: null, now: NOW, onScreen: false, ...fields });

test("at all, every message from someone else notifies, and a missing level counts as all", () => {
  assert.equal(shouldNotify(message(), away()), true);
  assert.equal(shouldNotify(message(), away({ level: undefined })), true);
  assert.equal(shouldNotify(message({ file_path: "static/files/x", content: null }), away()), true);
});

test("my own messages, notices, deleted messages and what is on screen never notify", () => {
  assert.equal(shouldNotify(message({ sender_id: ME }), away()), false);
  assert.equal(shouldNotify(message({ sender_id: ME, mentions: [ME] }), away()), false, "not even mentioning myself");
  assert.equal(shouldNotify(message({ notice: { action: "added", user_id: ME } }), away()), false);
  assert.equal(shouldNotify(message({ content: null, deleted_at: "2026-12-01T09:00:00Z" }), away()), false);
  assert.equal(shouldNotify(message(), away({ onScreen: true })), false);
  assert.equal(shouldNotify(null, away()), false);
});

test("at mentions and muted only messages mentioning me or the room notify", () => {
  for (const level of ["mentions", "muted"]) {
    assert.equal(shouldNotify(message(), away({ level })), false, level);
    assert.equal(shouldNotify(message({ mentions: [3, 5] }), away({ level })), false, `${level}: someone else`);
    assert.equal(shouldNotify(message({ mentions: [ME] }), away({ level })), true, `${level}: me`);
    assert.equal(shouldNotify(message({ mentions: [], mentions_room: true }), away({ level })), true, `${level}: @room`);
    assert.equal(shouldNotify(message({ mentions_room: false }), away({ level })), false, level);
  }
});

test("nothing notifies while do not disturb lasts, not even a mention", () => {
  const until = "2026-12-01T10:30:00.000000Z";
  assert.equal(dndActive(until, NOW), true);
  assert.equal(shouldNotify(message(), away({ dndUntil: until })), false);
  assert.equal(shouldNotify(message({ mentions: [ME], mentions_room: true }), away({ dndUntil: until })), false);
  const over = "2026-12-01T09:59:59.000000Z";
  assert.equal(dndActive(over, NOW), false);
  assert.equal(shouldNotify(message(), away({ dndUntil: over })), true, "a time past is as good as off");
  assert.equal(dndActive("not a time", NOW), false);
  assert.equal(dndActive(null, NOW), false);
});

test("a mention is my id in mentions, or mentions_room", () => {
  assert.equal(mentionsMe(message({ mentions: [ME] }), ME), true);
  assert.equal(mentionsMe(message({ mentions: [String(ME)] }), ME), false, "ids are numbers");
  assert.equal(mentionsMe(message({ mentions_room: true }), ME), true);
  assert.equal(mentionsMe(message(), ME), false);
});
