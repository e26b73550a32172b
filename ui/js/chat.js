// The chat page: wires the sidebar, the conversation, the composer, the
// dialogs and the WebSocket together. Each feature lives in its own module;
// this file only routes events between them.

import { api, endSession, session } from "./api.js";
import { byId, flash, setAvatar } from "./dom.js";
import { formatPresence } from "./format.js";
import { ChatSocket } from "./socket.js";
import { ConnectionStatus } from "./connection.js";
import { UserList } from "./users.js";
import { UnreadCounter } from "./unread.js";
import { Conversation } from "./messages.js";
import { Outbox } from "./outbox.js";
import { Composer } from "./composer.js";
import { Uploader, acceptDrops } from "./uploads.js";
import { ImageViewer } from "./viewer.js";
import { TypingNotifier, TypingTracker } from "./typing.js";
import { ProfileDialog } from "./profile.js";
import { PasswordDialog } from "./password.js";
import { UserDialog } from "./userdialog.js";
import { MessageAlerts } from "./alerts.js";
import { initThemeToggle } from "./theme.js";
import { isDesktop, onOpenConversation, saveFile, setSession, setViewing } from "./desktop.js";

const MAX_MESSAGE_CHARS = 10_000;
const LAST_PEER_KEY = "chatterbox.peer"; // per tab, so a reload reopens the same conversation

const token = session.token;
const meId = session.userId;
if (!token || meId === null) endSession();
else main();

function main() {
  initThemeToggle(byId("theme-toggle"));
  const els = {
    meAvatar: byId("me-avatar"),
    meName: byId("me-name"),
    placeholder: byId("placeholder"),
    chat: byId("chat"),
    peerAvatar: byId("peer-avatar"),
    peerName: byId("peer-name"),
    peerStatus: byId("peer-status"),
    typing: byId("typing"),
    toast: byId("toast"),
  };
  const notify = (text, ms) => flash(els.toast, text, ms);
  // A browser downloads through the file links themselves; the app saves
  // through its own dialog.
  const save = isDesktop ? saveDownload : null;

  // The caller's own user object; the profile dialog updates it in place.
  const me = { id: meId, username: "", profile_pic: null, about: null };
  const drafts = new Map(); // peer id -> unsent text
  const socket = new ChatSocket(token);
  const connection = new ConnectionStatus(byId("connection"), byId("reconnect-banner"));
  let everOpen = false;

  const users = new UserList(byId("user-list"), byId("user-empty"), (user) => selectPeer(user));
  const unread = new UnreadCounter(meId, (peerId, count) => users.setUnread(peerId, count));
  const viewer = new ImageViewer(save);
  const userDialog = new UserDialog();
  const conversation = new Conversation({
    listEl: byId("message-list"),
    scrollEl: byId("message-scroll"),
    meId,
    sendEdit: (id, content) => socket.send({ type: "edit_message", message_id: id, new_content: content }),
    onError: notify,
    onLoaded: (peerId, history) => {
      outbox.reconcile(peerId, history, meId);
      for (const item of outbox.forPeer(peerId)) conversation.showOutgoing(item);
      markRead();
    },
    onRetry: (item) => outbox.retry(item),
    onDiscard: (item) => {
      outbox.discard(item);
      composer.focus();
    },
    onView: (url, name) => viewer.open(url, name),
    onSave: save,
  });
  const outbox = new Outbox((frame) => socket.send(frame), (item) => {
    conversation.showOutgoing(item);
    if (item.state === "sent") users.touch(item.peerId, item.message.id);
  });
  const typingOut = new TypingNotifier((peerId, isTyping) =>
    socket.send({ type: "typing", receiver_id: peerId, is_typing: isTyping }));
  const typingIn = new TypingTracker((senderId) => {
    if (senderId === conversation.peerId) renderTyping();
  });
  const uploader = new Uploader((msg) => {
    conversation.add(msg);
    users.touch(conversation.peerOf(msg), msg.id);
  }, (text) => notify(text, 8000));
  const composer = new Composer({
    form: byId("composer"),
    input: byId("message-input"),
    attachButton: byId("attach-button"),
    fileInput: byId("file-input"),
    onSend: sendText,
    onFiles: sendFiles,
    onError: (text) => notify(text, 8000),
    onTyping: () => {
      if (conversation.peerId !== null) typingOut.typed(conversation.peerId);
    },
  });
  composer.setEnabled(false);
  acceptDrops(els.chat, () => conversation.peerId !== null, sendFiles);

  const profile = new ProfileDialog(me, renderMe);
  const password = new PasswordDialog((text) => notify(text));
  const alerts = new MessageAlerts(meId, byId("notify-button"), openPeer);

  // --- rendering -----------------------------------------------------------

  function renderMe() {
    els.meName.textContent = me.username;
    setAvatar(els.meAvatar, me.profile_pic);
  }

  function renderPeer() {
    const peer = users.get(conversation.peerId);
    if (!peer) return;
    els.peerName.textContent = peer.username;
    setAvatar(els.peerAvatar, peer.profile_pic);
    els.peerStatus.textContent = formatPresence(peer.is_online, peer.last_seen);
    els.peerStatus.classList.toggle("online", Boolean(peer.is_online));
  }

  function renderTyping() {
    const peer = users.get(conversation.peerId);
    els.typing.textContent = peer && typingIn.isTyping(peer.id) ? `${peer.username} is typing…` : "";
  }

  // --- actions -------------------------------------------------------------

  async function refreshUsers() {
    const list = await api.users();
    const mine = list.find((u) => u.id === meId);
    if (mine) Object.assign(me, mine);
    renderMe();
    users.setUsers(list.filter((u) => u.id !== meId));
    if (conversation.peerId !== null) renderPeer();
  }

  /** Users, conversation order and unread counts, all from the server. */
  async function refreshAll() {
    const [, conversations] = await Promise.all([refreshUsers(), api.conversations()]);
    users.setConversations(conversations);
    await unread.recount(conversations, (peerId, limit) => api.messages(peerId, limit),
      document.hidden ? null : conversation.peerId);
  }

  /** The open conversation counts as read while the tab is visible. */
  function markRead() {
    if (conversation.peerId === null || document.hidden) return;
    unread.markRead(conversation.peerId, conversation.newestId);
  }

  function selectPeer(user) {
    if (!user) return;
    if (conversation.peerId !== user.id) {
      if (conversation.peerId !== null) drafts.set(conversation.peerId, composer.value);
      typingOut.stop();
      users.select(user.id);
      conversation.open(user);
      composer.value = drafts.get(user.id) ?? "";
      sessionStorage.setItem(LAST_PEER_KEY, String(user.id));
      setViewing(user.id);
    }
    renderPeer();
    renderTyping();
    els.placeholder.hidden = true;
    els.chat.hidden = false;
    document.body.classList.add("show-chat"); // phone width: the chat replaces the list
    composer.setEnabled(true);
    composer.focus();
  }

  /** Phone width "back": leave the conversation, so new messages count as unread. */
  function closePeer() {
    const peerId = conversation.peerId;
    if (peerId !== null) drafts.set(peerId, composer.value);
    typingOut.stop();
    conversation.close();
    users.select(null);
    sessionStorage.removeItem(LAST_PEER_KEY);
    setViewing(null);
    els.chat.hidden = true;
    els.placeholder.hidden = false;
    composer.setEnabled(false);
    document.body.classList.remove("show-chat");
    // Keyboard users land back on the person they were talking to.
    document.querySelector(`#user-list > li[data-user-id="${peerId}"] button`)?.focus();
  }

  function sendText(text) {
    const peerId = conversation.peerId;
    if (peerId === null) return false;
    // The server's limit (chat.rs MAX_MESSAGE_CHARS), checked here so the
    // text stays in the box to be shortened instead of failing.
    if ([...text].length > MAX_MESSAGE_CHARS) {
      notify(`Messages are at most ${MAX_MESSAGE_CHARS} characters; this one has ${[...text].length}.`);
      return false;
    }
    alerts.askOnce(); // a send is a user action, which browsers require for the prompt
    // Shown at once as pending; a failure stays visible with a retry, so
    // the box can be cleared either way.
    outbox.send(peerId, text, conversation.newestId);
    typingOut.stop();
    drafts.delete(peerId);
    return true;
  }

  /** Open a conversation by id (a clicked notification). Someone who joined
   *  after the list was loaded is fetched first. */
  function openPeer(peerId) {
    if (users.get(peerId)) {
      selectPeer(users.get(peerId));
      return;
    }
    refreshUsers()
      .then(() => selectPeer(users.get(peerId)))
      .catch((err) => {
        if (err.status !== 401) notify(`Could not open that conversation: ${err.message}`);
      });
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

  function sendFiles(files) {
    if (conversation.peerId === null) return;
    uploader.add(conversation.peerId, files);
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

  socket.on("private_message", (msg) => {
    const peerId = conversation.peerOf(msg);
    const fromPeer = msg.sender_id !== meId;
    outbox.echoed(msg); // our own send coming back: pending -> sent
    if (fromPeer) typingIn.update(msg.sender_id, false);
    if (peerId !== meId && !users.get(peerId)) {
      refreshAll().catch(() => {}); // someone who joined after the list was loaded
    }
    users.touch(peerId, msg.id);
    if (peerId === conversation.peerId) {
      conversation.add(msg);
      if (fromPeer && document.hidden) unread.arrived(peerId, msg.id);
      else markRead();
    } else if (fromPeer) {
      unread.arrived(peerId, msg.id);
    }
    alerts.message(msg, users.get(msg.sender_id));
  });

  socket.on("edit_message", (frame) => conversation.applyEdit(frame.message_id, frame.new_content));

  socket.on("typing", (frame) => {
    if (frame.sender_id !== meId) typingIn.update(frame.sender_id, Boolean(frame.is_typing));
  });

  socket.on("presence", (frame) => {
    if (frame.user_id === meId) return;
    // Unknown id: someone registered after the list was loaded.
    if (!users.setPresence(frame.user_id, frame.is_online, frame.last_seen)) refreshUsers().catch(() => {});
    if (!frame.is_online) typingIn.update(frame.user_id, false);
    if (frame.user_id === conversation.peerId) renderPeer();
    userDialog.refresh(users.get(frame.user_id));
  });

  socket.on("user_updated", (frame) => {
    const fields = { profile_pic: frame.profile_pic ?? null, about: frame.about ?? null };
    if (frame.user_id === meId) {
      Object.assign(me, fields); // e.g. changed in another tab
      renderMe();
      profile.render();
      return;
    }
    if (!users.updateProfile(frame.user_id, fields)) refreshUsers().catch(() => {});
    if (frame.user_id === conversation.peerId) renderPeer();
    userDialog.refresh(users.get(frame.user_id));
  });

  socket.on("error", (frame) => {
    if (!outbox.errored(frame)) notify(frame.detail || "The server refused that.");
  });

  socket.onStatus((state) => {
    connection.update(state);
    if (state === "open") {
      // After a drop, catch up: presence, order, unread and messages may all
      // have changed while we were away.
      if (everOpen) {
        refreshAll().catch(() => {});
        conversation.reload();
      }
      everOpen = true;
    } else if (state === "closed") {
      outbox.socketDown();
      typingOut.stop();
      // A refused handshake looks like a network error; asking over HTTP
      // tells a revoked or expired token apart (401 ends the session).
      refreshUsers().catch(() => {});
    }
  });

  // --- page events ---------------------------------------------------------

  byId("profile-button").addEventListener("click", () => profile.open());
  byId("password-button").addEventListener("click", () => password.open());
  byId("logout-button").addEventListener("click", logOut);
  byId("back-button").addEventListener("click", closePeer);
  byId("reconnect-now").addEventListener("click", () => socket.reconnectNow());
  byId("user-filter").addEventListener("input", (e) => users.filter(e.target.value));
  byId("peer-info-button").addEventListener("click", () => {
    const peer = users.get(conversation.peerId);
    if (peer) userDialog.open(peer);
  });

  // A file dropped outside the conversation would make the browser leave
  // the page to show it.
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (e) => {
      if ([...(e.dataTransfer?.types ?? [])].includes("Files")) e.preventDefault();
    });
  }

  onOpenConversation(openPeer);
  window.addEventListener("online", () => socket.reconnectNow());
  window.addEventListener("pagehide", () => typingOut.stop());
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    socket.reconnectNow(); // mobile browsers drop sockets in background tabs
    markRead();
  });

  // --- start ---------------------------------------------------------------

  // The app notifies from its own socket with this session; a reload starts
  // with no conversation on screen until the last one is reopened.
  setSession(token, meId);
  setViewing(null);

  // Pictures and files are for logged-in people: the cookie lets <img> and
  // links prove it (a login from before it existed has none yet).
  api
    .sessionCookie()
    .catch(() => {})
    .then(refreshAll)
    .then(() => {
      const last = Number(sessionStorage.getItem(LAST_PEER_KEY));
      if (users.get(last)) selectPeer(users.get(last));
    })
    .catch((err) => {
      if (err.status !== 401) notify(`Could not load users: ${err.message}`);
    });
  socket.connect();
}
