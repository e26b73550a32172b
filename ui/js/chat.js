// The chat page: wires the sidebar, the conversation, the composer, the
// dialogs and the WebSocket together. Each feature lives in its own module;
// this file only routes events between them.

import { api, endSession, session } from "./api.js";
import { byId, flash, setAvatar } from "./dom.js";
import { formatPresence } from "./format.js";
import { ChatSocket } from "./socket.js";
import { UserList } from "./users.js";
import { Conversation } from "./messages.js";
import { Composer } from "./composer.js";
import { TypingNotifier, TypingTracker } from "./typing.js";
import { ProfileDialog } from "./profile.js";
import { PasswordDialog } from "./password.js";

const LAST_PEER_KEY = "chatterbox.peer"; // per tab, so a reload reopens the same conversation
const TITLE = "ChatterBox";

const token = session.token;
const meId = session.userId;
if (!token || meId === null) endSession();
else main();

function main() {
  const els = {
    meAvatar: byId("me-avatar"),
    meName: byId("me-name"),
    connection: byId("connection"),
    placeholder: byId("placeholder"),
    chat: byId("chat"),
    peerAvatar: byId("peer-avatar"),
    peerName: byId("peer-name"),
    peerStatus: byId("peer-status"),
    peerAbout: byId("peer-about"),
    typing: byId("typing"),
    toast: byId("toast"),
  };
  const notify = (text, ms) => flash(els.toast, text, ms);

  // The caller's own user object; the profile dialog updates it in place.
  const me = { id: meId, username: "", profile_pic: null, about: null };
  const drafts = new Map(); // peer id -> unsent text
  const socket = new ChatSocket(token);
  let usersLoaded = false;
  let everOpen = false;
  let missed = 0; // messages received while the tab was hidden, for the title

  const users = new UserList(byId("user-list"), byId("user-empty"), (user) => selectPeer(user));
  const conversation = new Conversation({
    listEl: byId("message-list"),
    scrollEl: byId("message-scroll"),
    meId,
    sendEdit: (id, content) => socket.send({ type: "edit_message", message_id: id, new_content: content }),
    onError: notify,
  });
  const typingOut = new TypingNotifier((peerId, isTyping) =>
    socket.send({ type: "typing", receiver_id: peerId, is_typing: isTyping }));
  const typingIn = new TypingTracker((senderId) => {
    if (senderId === conversation.peerId) renderTyping();
  });
  const composer = new Composer({
    form: byId("composer"),
    input: byId("message-input"),
    attachButton: byId("attach-button"),
    fileInput: byId("file-input"),
    onSend: sendText,
    onFile: uploadFile,
    onTyping: () => {
      if (conversation.peerId !== null) typingOut.typed(conversation.peerId);
    },
  });
  composer.setEnabled(false);

  const profile = new ProfileDialog(me, renderMe);
  const password = new PasswordDialog((text) => notify(text));

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
    els.peerAbout.textContent = peer.about ?? "";
    els.peerAbout.hidden = !peer.about;
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
    usersLoaded = true;
    if (conversation.peerId !== null) renderPeer();
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
    }
    renderPeer();
    renderTyping();
    els.placeholder.hidden = true;
    els.chat.hidden = false;
    document.body.classList.add("show-chat"); // narrow screens: the chat replaces the list
    composer.setEnabled(true);
    composer.focus();
  }

  function sendText(text) {
    const peerId = conversation.peerId;
    if (peerId === null) return false;
    if (!socket.send({ type: "private_message", receiver_id: peerId, content: text })) {
      notify("Not connected. Your message was not sent.");
      return false;
    }
    typingOut.stop();
    drafts.delete(peerId);
    return true;
  }

  async function uploadFile(file) {
    const peerId = conversation.peerId;
    if (peerId === null) return;
    notify(`Uploading ${file.name}…`, 120000);
    try {
      // The WebSocket pushes the same message; the conversation keeps one copy.
      const msg = await api.uploadFile(peerId, file);
      if (msg && msg.id !== undefined) conversation.add(msg);
      notify(`Sent ${file.name}.`, 1500);
    } catch (err) {
      notify(err.status === 413 ? `${file.name} is too large to send.` : `Could not send ${file.name}: ${err.message}`);
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
    endSession();
  }

  // --- server events -------------------------------------------------------

  socket.on("private_message", (msg) => {
    const fromPeer = msg.sender_id !== meId;
    if (fromPeer) typingIn.update(msg.sender_id, false);
    if (conversation.peerOf(msg) === conversation.peerId) {
      conversation.add(msg);
    } else if (fromPeer) {
      if (users.get(msg.sender_id)) users.markUnseen(msg.sender_id);
      else refreshUsers().then(() => users.markUnseen(msg.sender_id), () => {});
    }
    if (fromPeer && document.hidden) {
      missed += 1;
      document.title = `(${missed}) ${TITLE}`;
    }
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
  });

  socket.on("error", (frame) => notify(frame.detail || "The server refused that."));

  socket.onStatus((state) => {
    els.connection.dataset.state = state;
    els.connection.textContent = { connecting: "Connecting…", open: "Connected", closed: "Reconnecting…" }[state];
    if (state === "open") {
      // After a drop, catch up: presence and messages may have changed.
      if (everOpen || !usersLoaded) refreshUsers().catch(() => {});
      if (everOpen) conversation.reload();
      everOpen = true;
    } else if (state === "closed") {
      // A refused handshake looks like a network error; asking over HTTP
      // tells a revoked or expired token apart (401 ends the session).
      refreshUsers().catch(() => {});
    }
  });

  // --- page events ---------------------------------------------------------

  byId("profile-button").addEventListener("click", () => profile.open());
  byId("password-button").addEventListener("click", () => password.open());
  byId("logout-button").addEventListener("click", logOut);
  byId("back-button").addEventListener("click", () => {
    document.body.classList.remove("show-chat");
  });

  window.addEventListener("online", () => socket.reconnectNow());
  window.addEventListener("pagehide", () => typingOut.stop());
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    socket.reconnectNow(); // mobile browsers drop sockets in background tabs
    missed = 0;
    document.title = TITLE;
  });

  // --- start ---------------------------------------------------------------

  refreshUsers()
    .then(() => {
      const last = Number(sessionStorage.getItem(LAST_PEER_KEY));
      if (users.get(last)) selectPeer(users.get(last));
    })
    .catch((err) => {
      if (err.status !== 401) notify(`Could not load users: ${err.message}`);
    });
  socket.connect();
}
