// The chat page: wires the sidebar, the open conversation, the composer,
// the dialogs and the WebSocket together. Each feature lives in its own
// module; this file only routes events between them. Everything is keyed by
// conversation id; a direct conversation whose first message is not sent
// yet is keyed by the other person ("u<id>") until the server names it.

import { api, endSession, session } from "./api.js";
import { byId, copyText, flash, setAvatar } from "./dom.js";
import { ChatSocket } from "./socket.js";
import { ConnectionStatus } from "./connection.js";
import { People, nameOf } from "./people.js";
import { Conversations } from "./conversations.js";
import { Sidebar, conversationName } from "./sidebar.js";
import { Conversation } from "./messages.js";
import { Receipts } from "./receipts.js";
import { Loader } from "./loader.js";
import { ReadMarks } from "./readmarks.js";
import { ChatHeader } from "./header.js";
import { Outbox } from "./outbox.js";
import { Composer } from "./composer.js";
import { AttachmentTray, acceptDrops } from "./uploads.js";
import { ImageViewer } from "./viewer.js";
import { TypingNotifier, TypingTracker } from "./typing.js";
import { ProfileDialog } from "./profile.js";
import { PasswordDialog } from "./password.js";
import { UserDialog } from "./userdialog.js";
import { SettingsDialog } from "./settings.js";
import { NewMessagePicker } from "./picker.js";
import { QuickSwitcher } from "./switcher.js";
import { SearchDialog } from "./search.js";
import { installShortcuts } from "./shortcuts.js";
import { ReplyPreview, quoteOf } from "./replies.js";
import { ReactionPicker, hasReacted } from "./reactions.js";
import { MentionAutocomplete } from "./mentions.js";
import { CreateDialog, RoomBrowser } from "./rooms.js";
import { MembersDialog } from "./members.js";
import { confirmAction } from "./confirm.js";
import { noticeSubject } from "./notices.js";
import { MessageAlerts } from "./alerts.js";
import { NotifyLevelControl } from "./notifylevel.js";
import { initThemeToggle } from "./theme.js";
import { isDesktop, onOpenConversation, saveFile, setSession, setViewing } from "./desktop.js";

const MAX_MESSAGE_CHARS = 10_000;
// The server's rule: in a conversation larger than this only admins may
// notify everyone, so only they are offered @room there.
const ROOM_MENTION_MAX_MEMBERS = 50;
const LAST_OPEN_KEY = "chatterbox.conversation"; // per tab, so a reload reopens the same conversation

const token = session.token;
const meId = session.userId;
if (!token || meId === null) endSession();
else main();

/** The key of a conversation (summary) for drafts and typing. */
function keyOf(c) {
  return c.conversation_id !== null && c.conversation_id !== undefined ? String(c.conversation_id) : `u${c.user_id}`;
}

function main() {
  initThemeToggle(byId("theme-toggle"));
  const els = {
    meAvatar: byId("me-avatar"),
    meName: byId("me-name"),
    placeholder: byId("placeholder"),
    chat: byId("chat"),
    peerAvatar: byId("peer-avatar"),
    roomAvatar: byId("room-avatar"),
    peerName: byId("peer-name"),
    peerStatus: byId("peer-status"),
    membersButton: byId("members-button"),
    typing: byId("typing"),
    announcer: byId("announcer"),
    leftNote: byId("left-note"),
    toast: byId("toast"),
  };
  const notify = (text, ms) => flash(els.toast, text, ms);
  // A browser downloads through the file links themselves; the app saves
  // through its own dialog.
  const save = isDesktop ? saveDownload : null;

  // The caller's own user object; the profile dialog updates it in place.
  const me = { id: meId, username: "", display_name: null, profile_pic: null, about: null };
  const drafts = new Map(); // conversation key -> unsent text
  const people = new People(meId);
  const store = new Conversations(meId);
  const socket = new ChatSocket(token);
  const connection = new ConnectionStatus(byId("connection"), byId("reconnect-banner"));
  const receipts = new Receipts(meId, people);
  const readMarks = new ReadMarks(store, (frame) => socket.send(frame));
  let removedFrom = null; // the open conversation's id, if we were removed from it
  let openMembers = null; // user ids of the open conversation's members, once fetched

  const loader = new Loader(people, store, () => receipts.version, (detail, since) => {
    if (conversation.current?.conversation_id !== detail.conversation_id) return;
    sidebar.select(detail.conversation_id);
    applyDetail(detail, since);
  });
  const sidebar = new Sidebar({
    roomList: byId("room-list"),
    directList: byId("direct-list"),
    emptyEl: byId("conversation-empty"),
    store,
    people,
    meId,
    onSelect: (id) => openConversation(store.get(id)),
  });
  const header = new ChatHeader(els, people, meId);
  const viewer = new ImageViewer(save);
  const userDialog = new UserDialog();
  const conversation = new Conversation({
    listEl: byId("message-list"),
    scrollEl: byId("message-scroll"),
    statusEl: byId("history-status"),
    jumpEl: byId("jump-latest"),
    meId,
    people,
    receipts,
    callbacks: {
      sendEdit: (id, content) => socket.send({ type: "edit_message", message_id: id, new_content: content }),
      onDelete: deleteMessage,
      onCopy: (text) => copyText(text).then(() => notify("Copied", 2000), (err) => notify(`Could not copy: ${err.message}`)),
      onError: notify,
      onLoaded: (c) => {
        for (const item of outbox.forConversation(c)) conversation.showOutgoing(item);
      },
      onRetry: (item) => outbox.retry(item),
      onDiscard: (item) => {
        outbox.discard(item);
        composer.focus();
      },
      onView: (url, name) => viewer.open(url, name),
      onSave: save,
      onSeen: (c, messageId) => readMarks.seen(c.conversation_id, messageId),
      onReact: (c, msg, emoji, add) => toggleReaction(c, msg, emoji, add).catch((err) => {
        if (err.status !== 401) notify(`Could not react: ${err.detail ?? err.message}`, 8000);
      }),
      onAdopt: (c) => {
        // The first message named the direct conversation: key it by id now.
        const draftKey = `u${c.user_id}`;
        if (drafts.has(draftKey)) drafts.set(keyOf(c), drafts.get(draftKey));
        drafts.delete(draftKey);
        replyPreview.rekey(draftKey, keyOf(c));
        tray.rekey(draftKey, keyOf(c));
        sessionStorage.setItem(LAST_OPEN_KEY, keyOf(c));
        setViewing({ conversationId: c.conversation_id, peerId: c.user_id });
        if (store.has(c.conversation_id)) sidebar.select(c.conversation_id);
        renderTyping();
        refreshOpenDetail(); // its members' read positions, for receipts
      },
      focusComposer: () => composer.focus(),
    },
  });
  const outbox = new Outbox((frame) => socket.send(frame), (item) => {
    conversation.showOutgoing(item);
    if (item.state === "sent") applyMessage(item.message, true);
  }, `chatterbox.outbox.${meId}`);
  const typingOut = new TypingNotifier((target, isTyping) => socket.send({ type: "typing", ...target, is_typing: isTyping }));
  const typingIn = new TypingTracker((key) => {
    if (conversation.current && keyOf(conversation.current) === key) renderTyping();
  });
  const tray = new AttachmentTray({
    root: byId("attachments"),
    list: byId("attachment-list"),
    status: byId("attachments-status"),
    onSent: (msg) => {
      conversation.add(msg);
      applyMessage(msg, true);
    },
    onChange: () => composer.captioning(tray.ready > 0),
    onError: (text) => notify(text, 8000),
    focusComposer: () => composer.focus(),
  });
  const replyPreview = new ReplyPreview(byId("reply-preview"), byId("message-input"),
    (userId) => (userId === meId ? "yourself" : people.displayName(userId)), () => composer.focus());
  const reactionPicker = new ReactionPicker(byId("message-scroll"));
  const mentionList = new MentionAutocomplete(byId("message-input"), byId("mention-list"), mentionCandidates);
  const composer = new Composer({
    form: byId("composer"),
    input: byId("message-input"),
    attachButton: byId("attach-button"),
    fileInput: byId("file-input"),
    onSend: send,
    onFiles: addFiles,
    onError: (text) => notify(text, 8000),
    onTyping: () => {
      const c = conversation.current;
      if (c) typingOut.typed(keyOf(c), target(c, "conversation_id", "receiver_id"));
    },
    onEditLast: () => conversation.editLast(),
    interceptKey: (event) => mentionList.handleKey(event),
  });
  composer.setEnabled(false);
  acceptDrops(els.chat, () => conversation.current !== null && removedFrom === null, addFiles);

  const profile = new ProfileDialog(me, renderMe);
  const password = new PasswordDialog((text) => notify(text));
  const alerts = new MessageAlerts(meId, store, (id) => openById(id));
  const settings = new SettingsDialog(applySettings);
  const notifyLevel = new NotifyLevelControl(byId("notify-level-box"), byId("notify-level"), store, notify);
  let readReceipts = null; // as last heard, to redraw receipts when it changes
  const picker = new NewMessagePicker(people, meId, (userId) => openDirect(userId));
  const switcher = new QuickSwitcher({
    store, people, meId, onConversation: (id) => openById(id), onPerson: (userId) => openDirect(userId),
  });
  const search = new SearchDialog({
    store, people, meId,
    openId: () => conversation.current?.conversation_id ?? null,
    onChoose: (result) => openById(result.conversation_id, result.message.id),
  });
  const creator = new CreateDialog(people, (created) => {
    store.upsert(created);
    openConversation(store.get(created.conversation_id));
  });
  const browser = new RoomBrowser((id) => openById(id), async (id) => {
    await loader.conversation(id);
    openById(id);
  });
  const members = new MembersDialog(people, meId, {
    // Title, role and member count reach the header through the store;
    // read positions stay with the frames (and notices refresh them).
    onChanged: (detail) => store.upsert(detail),
    onLeft: (id) => forget(id),
  });

  people.onChange((userId, renamed) => {
    const c = conversation.current;
    if (userId === null || (c && c.kind === "direct" && c.user_id === userId)) renderHeader();
    if (renamed) {
      conversation.renamed(userId);
      renderTyping();
      mentionList.refresh();
      if (c) replyPreview.show(keyOf(c)); // "Replying to …" says the new name
    }
    if (userId === meId || userId === null) {
      const mine = people.me;
      if (mine) Object.assign(me, mine);
      renderMe();
    }
    if (userId !== null) userDialog.refresh(people.get(userId));
  });
  store.onChange((id) => {
    const c = conversation.current;
    if (!c || (id !== null && id !== c.conversation_id)) return;
    const fresh = store.get(c.conversation_id);
    if (fresh) {
      conversation.update(fresh);
      renderHeader();
    }
  });

  // Replying and reacting, offered on every message with the other actions.
  conversation.actions.add({
    key: "reply",
    text: "Reply",
    label: () => "Reply",
    hint: "R",
    keys: ["r"],
    order: 10,
    shown: () => removedFrom === null,
    run: (t) => startReply(t.msg),
  });
  conversation.actions.add({
    key: "react",
    text: "React",
    label: () => "Add reaction",
    hint: "+",
    keys: ["+"],
    order: 20,
    shown: () => removedFrom === null,
    // Choosing one the reader has already given takes it back.
    run: (t) => reactionPicker.open(t.li,
      (emoji) => toggleReaction(t.conversation, t.msg, emoji, !hasReacted(t.msg.reactions, meId, emoji))),
  });

  // --- rendering -----------------------------------------------------------

  function renderMe() {
    els.meName.textContent = nameOf(me);
    setAvatar(els.meAvatar, me.profile_pic);
  }

  function renderHeader() {
    header.render(conversation.current, removedFrom === null);
    notifyLevel.show(conversation.current, removedFrom === null);
  }

  /** The caller's settings as the server has them: saved here, or on another device. */
  function applySettings(saved) {
    alerts.settings(saved);
    settings.show(saved);
    if (saved.read_receipts === readReceipts) return;
    readReceipts = saved.read_receipts;
    refreshOpenDetail(); // the server now shows or hides receipts
  }

  /**
   * Settings, levels and profiles (names, pictures) changed while the
   * socket was down: their frames are not in the event log, so a reconnect
   * asks for them again.
   */
  function reloadUnlogged() {
    api.settings().then(applySettings).catch(() => {});
    loader.people().catch(() => {});
    api.conversations().then((list) => {
      for (const c of list ?? []) store.setNotify(c.conversation_id, c.notify);
    }).catch(() => {});
  }

  function renderTyping() {
    const c = conversation.current;
    header.typing(c ? typingIn.typists(keyOf(c)) : []);
  }

  // --- loading -------------------------------------------------------------

  /**
   * Members, their read positions and our role, for the open conversation.
   * `since`: the receipts' version when the request went out; what frames
   * moved after it is newer than the snapshot and stays.
   */
  function applyDetail(detail, since) {
    const c = conversation.current;
    if (!c || c.conversation_id !== detail.conversation_id) return;
    receipts.reset(detail.kind, detail.members ?? [], since);
    openMembers = (detail.members ?? []).map((m) => m.user_id);
    mentionList.refresh();
    conversation.update(detail);
    conversation.refreshReceipts();
    renderHeader();
    els.chat.dataset.members = "loaded"; // receipts now say what the server knows
  }

  function refreshOpenDetail() {
    const id = conversation.current?.conversation_id;
    if (id === null || id === undefined) return;
    const since = receipts.version;
    api.conversation(id).then((detail) => {
      store.upsert(detail);
      applyDetail(detail, since);
    }).catch(() => {});
  }

  // --- actions -------------------------------------------------------------

  /** Where a frame about this conversation goes: its id, or the other person. */
  function target(c, idField, peerField) {
    return c.conversation_id !== null && c.conversation_id !== undefined
      ? { [idField]: c.conversation_id } : { [peerField]: c.user_id };
  }

  /** `at`: a message to show, with the history around it (a search result). */
  function openConversation(c, at = null) {
    if (!c) return;
    const current = conversation.current;
    const same = current && conversation.shows(c);
    if (!same) {
      if (current) drafts.set(keyOf(current), composer.value);
      typingOut.stop();
      mentionList.close();
      removedFrom = null;
      openMembers = null;
      sidebar.select(c.conversation_id ?? null);
      receipts.reset(c.kind, []);
      delete els.chat.dataset.members;
      conversation.open(c, { at });
      composer.value = drafts.get(keyOf(c)) ?? "";
      replyPreview.show(keyOf(c));
      tray.show(keyOf(c));
      sessionStorage.setItem(LAST_OPEN_KEY, keyOf(c));
      setViewing({ conversationId: c.conversation_id ?? null, peerId: c.kind === "direct" ? c.user_id : null });
      if (c.conversation_id !== null && c.conversation_id !== undefined) refreshOpenDetail();
    }
    renderHeader();
    renderTyping();
    els.leftNote.hidden = removedFrom === null;
    els.placeholder.hidden = true;
    els.chat.hidden = false;
    document.body.classList.add("show-chat"); // phone width: the chat replaces the list
    composer.setEnabled(removedFrom === null);
    composer.focus();
    if (same && at !== null) conversation.jumpTo(at); // focus on the message, not the composer
  }

  function openById(id, at = null) {
    if (store.has(id)) {
      openConversation(store.get(id), at);
      return;
    }
    loader.conversation(id).then((detail) => {
      if (detail) openConversation(store.get(id), at);
      else if (at !== null) notify("You are no longer in that conversation, so its messages cannot be shown.", 8000);
    });
  }

  /** The direct conversation with a person, started or not. */
  function openDirect(userId) {
    const existing = store.directWith(userId);
    if (existing) {
      openConversation(existing);
      return;
    }
    openConversation({
      conversation_id: null, kind: "direct", title: null, user_id: userId, role: "member",
      member_count: userId === meId ? 1 : 2, unread: 0, last_read_message_id: null, last_message: null,
    });
  }

  /** Phone width "back", or the conversation is gone: nothing open. */
  function closeConversation() {
    const c = conversation.current;
    if (c) drafts.set(keyOf(c), composer.value);
    typingOut.stop();
    mentionList.close();
    replyPreview.show(null);
    tray.show(null);
    conversation.close();
    removedFrom = null;
    sidebar.select(null);
    sessionStorage.removeItem(LAST_OPEN_KEY);
    setViewing(null);
    els.chat.hidden = true;
    els.placeholder.hidden = false;
    composer.setEnabled(false);
    document.body.classList.remove("show-chat");
    // Keyboard users land back on the conversation they were in.
    if (c?.conversation_id) sidebar.button(c.conversation_id)?.focus();
  }

  /** We left or were removed: the conversation leaves the sidebar. */
  function forget(id) {
    store.remove(id);
    if (conversation.current?.conversation_id === id) closeConversation();
  }

  /**
   * Send: the files in the tray, if any, each a message, then the text as
   * their caption (uploads.js); otherwise the text. False leaves the box as it is.
   */
  function send(text) {
    const c = conversation.current;
    if (!c || removedFrom !== null) return false;
    const withFiles = tray.ready > 0;
    if (!text && !withFiles) return false;
    // The server's limit (MAX_MESSAGE_CHARS), checked here so the text stays
    // in the box to be shortened instead of failing.
    if ([...text].length > MAX_MESSAGE_CHARS) {
      notify(`Messages are at most ${MAX_MESSAGE_CHARS} characters; this one has ${[...text].length}.`);
      return false;
    }
    // What is sent goes at the end: back there if the view is far up the history.
    conversation.toLatest();
    // Shown at once; without a connection it waits and goes by itself. A
    // file cannot reply: the caption carries the reply, and without one
    // the reply stays for the next message.
    const quote = replyPreview.quote;
    const post = text ? () => outbox.send({
      conversationId: c.conversation_id ?? null,
      receiverId: c.kind === "direct" ? c.user_id : null,
      kind: c.kind,
    }, text, quote) : null;
    if (withFiles) tray.send(uploadTarget(c), post);
    else post();
    if (text) replyPreview.cancel();
    typingOut.stop();
    drafts.delete(keyOf(c));
    return true;
  }

  /** Where a file for this conversation is uploaded to. */
  function uploadTarget(c) {
    return c.conversation_id !== null && c.conversation_id !== undefined
      ? { conversationId: c.conversation_id } : { receiverId: c.user_id };
  }

  function startReply(msg) {
    if (!conversation.current || removedFrom !== null) return;
    replyPreview.start(quoteOf(msg));
    composer.focus();
  }

  /** Add (or take back) the caller's reaction. What shows follows the `reaction` frames. */
  function toggleReaction(c, msg, emoji, add) {
    return add ? api.react(c.conversation_id, msg.id, emoji) : api.unreact(c.conversation_id, msg.id, emoji);
  }

  /** Who "@" offers in the open conversation: its other members by name, then @room where allowed. */
  function mentionCandidates() {
    const c = conversation.current;
    if (!c || removedFrom !== null) return [];
    const ids = openMembers ?? (c.kind === "direct" ? [c.user_id] : []);
    const candidates = ids.filter((id) => id !== meId).map((id) => people.get(id)).filter(Boolean)
      .sort((a, b) => nameOf(a).localeCompare(nameOf(b), undefined, { sensitivity: "base" }))
      .map((user) => ({ name: user.username, label: user.display_name || null, detail: "" }));
    if (c.kind !== "direct" && (c.role === "admin" || (c.member_count ?? 0) <= ROOM_MENTION_MAX_MEMBERS)) {
      candidates.push({ name: "room", label: null, detail: "everyone here" });
    }
    return candidates;
  }

  /** A message is gone: quotes of it say so, and a reply to it being written is dropped. */
  function messageGone(conversationId, messageId) {
    if (conversation.current?.conversation_id === conversationId) conversation.applyDelete(messageId);
    store.deleted(conversationId, messageId);
    if (replyPreview.dropTarget(messageId)) notify("The message you were replying to was deleted.");
  }

  /** Files attached, dropped or pasted: into the tray, to go with the next Send. */
  function addFiles(files) {
    if (!conversation.current || removedFrom !== null) return;
    tray.add(files);
    composer.focus();
  }

  async function deleteMessage(c, msg) {
    const mine = msg.sender_id === meId;
    const sure = await confirmAction(mine ? "Delete this message for everyone?"
      : `Delete this message from ${people.name(msg.sender_id)} for everyone?`, "Delete");
    if (!sure) return;
    try {
      await api.deleteMessage(c.conversation_id, msg.id);
      messageGone(c.conversation_id, msg.id);
    } catch (err) {
      if (err.status !== 401) notify(`Could not delete: ${err.message}`, 8000);
    }
  }

  /** The app's "Save as…" for a received file, with a word on how it went. */
  async function saveDownload(url, name) {
    try {
      const path = await saveFile(url, name);
      if (path) notify(`Saved to ${path}`);
    } catch (err) {
      notify(`Could not save ${name}: ${err.message}`, 8000);
    }
  }

  async function logOut() {
    typingOut.stop();
    socket.close();
    try {
      await api.logout();
    } catch {
      // The token is forgotten locally either way.
    }
    endSession("logged-out");
  }

  // --- server events -------------------------------------------------------

  /** A stored message or notice into the sidebar's summary (fetching an unknown conversation). */
  function applyMessage(msg, seen) {
    if (!msg || msg.conversation_id === undefined || msg.conversation_id === null) return;
    if (store.messageArrived(msg, seen)) return;
    // A conversation new to us: once it is in (from a snapshot that may or
    // may not hold this message), the message is applied again; what the
    // snapshot counted already is not counted twice.
    loader.conversation(msg.conversation_id).then((detail) => {
      if (detail) store.messageArrived(msg, seen);
    });
  }

  function onMessage(msg) {
    outbox.echoed(msg); // our own send coming back: pending -> sent
    const fromOther = msg.sender_id !== meId;
    const key = msg.conversation_id ? String(msg.conversation_id) : `u${fromOther ? msg.sender_id : msg.receiver_id}`;
    if (fromOther && !msg.notice) {
      typingIn.update(key, msg.sender_id, false);
      // Typing before a direct conversation existed was keyed by the person.
      if (msg.receiver_id !== null && msg.receiver_id !== undefined) typingIn.update(`u${msg.sender_id}`, msg.sender_id, false);
    }
    const open = conversation.holds(msg);
    // On screen at once (open, visible, scrolled to the end): not unread.
    const seen = !fromOther || (open && !document.hidden && conversation.atEnd);
    if (open) {
      conversation.add(msg);
      if (fromOther && !msg.notice) header.announce(msg);
    }
    applyMessage(msg, seen);
    if (msg.notice) onNotice(msg);
    else if (fromOther) {
      const c = store.get(msg.conversation_id);
      alerts.message(msg, people.displayName(msg.sender_id),
        c && c.kind !== "direct" ? conversationName(c, people, meId) : null);
    }
  }

  function onNotice(msg) {
    const id = msg.conversation_id;
    const { action } = msg.notice;
    const aboutMe = noticeSubject(msg) === meId;
    if (aboutMe && (action === "removed" || action === "left")) {
      store.remove(id);
      if (conversation.current?.conversation_id === id) {
        if (action === "left") closeConversation();
        else {
          // Keep what was said on screen, but nothing more can be sent.
          removedFrom = id;
          typingOut.stop();
          composer.setEnabled(false);
          els.leftNote.hidden = false;
          renderHeader();
        }
      }
      return;
    }
    if (aboutMe && (action === "added" || action === "joined") && removedFrom === id) {
      // Back in the conversation still on screen: writing works again.
      removedFrom = null;
      els.leftNote.hidden = true;
      composer.setEnabled(true);
      renderHeader();
    }
    if (conversation.current?.conversation_id === id) refreshOpenDetail();
    if (members.openId === id) members.refresh(id);
    if (action === "added" && aboutMe) loader.conversation(id);
  }

  socket.on("private_message", onMessage);
  socket.on("message", onMessage);

  const onEdit = (frame) => {
    conversation.applyEdit(frame);
    if (frame.conversation_id) store.edited(frame.conversation_id, frame.message_id, frame.new_content);
  };
  socket.on("edit_message", onEdit);
  socket.on("message_edited", onEdit);

  socket.on("message_deleted", (frame) => messageGone(frame.conversation_id, frame.message_id));

  // Live, and replayed in the backfill after a reconnect like every logged event.
  socket.on("reaction", (frame) => {
    if (conversation.current?.conversation_id === frame.conversation_id) conversation.applyReaction(frame);
  });

  socket.on("read", (frame) => {
    if (frame.user_id === meId) {
      readMarks.moved(frame.conversation_id, frame.message_id);
      return;
    }
    if (conversation.current?.conversation_id !== frame.conversation_id) return;
    const moved = receipts.read(frame.user_id, frame.message_id);
    if (moved) conversation.refreshReceipts(moved);
  });

  socket.on("delivered", (frame) => {
    if (conversation.current?.conversation_id !== frame.conversation_id) return;
    const moved = receipts.delivered(frame.user_id, frame.message_id);
    if (moved) conversation.refreshReceipts(moved);
  });

  socket.on("typing", (frame) => {
    if (frame.sender_id === meId) return;
    const direct = store.directWith(frame.sender_id);
    const key = frame.conversation_id ? String(frame.conversation_id)
      : direct ? String(direct.conversation_id) : `u${frame.sender_id}`;
    typingIn.update(key, frame.sender_id, Boolean(frame.is_typing));
  });

  /** One person's presence changed; true if they are someone we know. */
  function presenceChanged(change) {
    if (change.user_id === meId) return true;
    if (!change.is_online) typingIn.clearSender(change.user_id);
    return people.setPresence(change.user_id, change.is_online, change.last_seen);
  }
  // Unknown ids: people who registered after the list was loaded.
  socket.on("presence", (frame) => {
    if (!presenceChanged(frame)) loader.people().catch(() => {});
  });
  socket.on("presence_batch", (frame) => {
    const changes = [
      ...frame.online.map((id) => ({ user_id: id, is_online: true, last_seen: null })),
      ...frame.offline.map((gone) => ({ ...gone, is_online: false })),
    ];
    const unknown = changes.filter((change) => !presenceChanged(change));
    if (unknown.length) loader.people().catch(() => {});
  });

  socket.on("user_updated", (frame) => {
    const fields = { profile_pic: frame.profile_pic ?? null, about: frame.about ?? null, display_name: frame.display_name ?? null };
    if (frame.user_id === meId) {
      Object.assign(me, fields); // e.g. changed in another tab
      people.update(meId, fields);
      renderMe();
      profile.render();
      return;
    }
    if (!people.update(frame.user_id, fields)) loader.people().catch(() => {});
  });

  socket.on("settings", applySettings);
  socket.on("notify_changed", (frame) => store.setNotify(frame.conversation_id, frame.notify));

  socket.on("error", (frame) => {
    if (!outbox.errored(frame)) notify(frame.detail || "The server refused that.");
  });

  // Too much was missed to replay: start over from the server's state.
  socket.on("reset", () => {
    loader.all().catch(() => {});
    conversation.reload();
    if (conversation.current) refreshOpenDetail();
  });

  let wasOpen = false; // a later "open" is a reconnect
  socket.onStatus((state) => {
    connection.update(state);
    if (state === "open") {
      if (wasOpen) reloadUnlogged();
      wasOpen = true;
      outbox.socketUp(); // same client_id: a message stored before the drop is not stored again
    } else if (state === "closed") {
      outbox.socketDown();
      typingOut.stop();
      // A refused handshake looks like a network error; asking over HTTP
      // tells a revoked or expired token apart (401 ends the session).
      loader.people().catch(() => {});
    }
  });

  // --- page events ---------------------------------------------------------

  byId("profile-button").addEventListener("click", () => profile.open());
  byId("settings-button").addEventListener("click", () => settings.open());
  byId("password-button").addEventListener("click", () => password.open());
  byId("logout-button").addEventListener("click", logOut);
  byId("new-message-button").addEventListener("click", () => picker.open());
  byId("new-room-button").addEventListener("click", () => creator.open());
  byId("browse-rooms-button").addEventListener("click", () => browser.open());
  byId("search-button").addEventListener("click", () => search.open());
  byId("back-button").addEventListener("click", closeConversation);
  byId("reconnect-now").addEventListener("click", () => socket.reconnectNow());
  const filterBox = byId("conversation-filter");
  filterBox.addEventListener("input", () => sidebar.filter(filterBox.value));
  filterBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && sidebar.openFirst()) e.preventDefault(); // open the first match
  });
  const showDetails = () => {
    const c = conversation.current;
    if (!c || removedFrom !== null) return;
    if (c.kind === "direct") {
      const peer = people.get(c.user_id);
      if (peer) userDialog.open(peer);
    } else {
      members.open(c.conversation_id);
    }
  };
  byId("peer-info-button").addEventListener("click", showDetails);
  els.membersButton.addEventListener("click", showDetails);

  installShortcuts({
    switcher,
    search,
    step: (step) => {
      const id = sidebar.neighbour(conversation.current?.conversation_id ?? null, step);
      if (id !== null) openConversation(store.get(id));
    },
    escape: () => {
      if (conversation.escape()) return true;
      if (!conversation.current || removedFrom !== null) return false;
      replyPreview.cancel(); // Escape cancels a reply first, then lands in the composer
      composer.focus();
      return true;
    },
  });

  // A file dropped outside the conversation would make the browser leave
  // the page to show it.
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (e) => {
      if ([...(e.dataTransfer?.types ?? [])].includes("Files")) e.preventDefault();
    });
  }

  onOpenConversation(({ conversationId, peerId }) => {
    if (conversationId !== null) openById(conversationId);
    else openDirect(peerId);
  });
  window.addEventListener("online", () => socket.reconnectNow());
  window.addEventListener("pagehide", () => typingOut.stop());
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    socket.reconnectNow(); // mobile browsers drop sockets in background tabs
    conversation.reportSeen();
  });

  // --- start ---------------------------------------------------------------

  // The app notifies from its own socket with this session; a reload starts
  // with no conversation on screen until the last one is reopened.
  setSession(token, meId);
  setViewing(null);

  // Pictures and files are fetched by <img> and links, which cannot send the
  // token: the session cookie authorises them. Before anything is drawn.
  const cookie = api.sessionCookie().catch(() => {});
  api.settings().then(applySettings).catch(() => {});
  socket.on("synced", loader.start(cookie, reopenLast, (err) => {
    if (err.status !== 401) notify(`Could not load your conversations: ${err.message}`);
  }));
  socket.connect();

  /** A reload reopens the conversation this tab had open. */
  function reopenLast() {
    const last = sessionStorage.getItem(LAST_OPEN_KEY);
    if (!last || conversation.current) return;
    if (last.startsWith("u")) openDirect(Number(last.slice(1)));
    else if (store.has(Number(last))) openConversation(store.get(Number(last)));
  }
}
