//! Desktop notifications for incoming messages.
//!
//! The app learns of messages itself: it keeps its own WebSocket to the
//! server with the logged-in user's token (handed over by the chat page with
//! `set_session`), so notifications arrive while the page is busy, minimised
//! or closed to the tray. The page says which conversation is open
//! (`set_viewing`); a message in it while the window has focus is already on
//! screen and gets no notification. Clicking a notification brings the
//! window forward and tells the page to open that conversation (event
//! `open-conversation`). The menu's "Desktop notifications" turns them off,
//! and the choice is kept in `settings.json`.
//!
//! This module holds the [`Notifier`] (the app's state: on or off, what is
//! on screen, the session) and the pure decisions: whether a message
//! notifies, and what its notification says. The rest, by concern:
//!
//! - [`policy`]: how the person wants to be notified, as the server keeps
//!   it (a level per conversation, do not disturb, sound), and its rule.
//! - [`listener`]: the socket, its reconnects, and what each frame does.
//! - [`directory`]: people, pictures and conversation titles, asked of the
//!   server with the session's token and cached for the session.
//! - [`popup`]: one notification on D-Bus, replaced per conversation, and
//!   its click.

mod directory;
mod listener;
mod policy;
mod popup;
#[cfg(test)]
mod server_tests;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use chrono::{DateTime, Utc};
use server_core::{
    store::{ConversationId, UserId},
    ws::protocol::MessageView,
};
use tauri::{AppHandle, Manager};
use tokio_util::sync::CancellationToken;

use crate::{
    lock, remote,
    settings::{self, Settings},
};

use policy::Preferences;
pub use popup::{OPEN_CONVERSATION, OpenConversation};

/// Longest preview of a message's text in a notification.
const PREVIEW_CHARS: usize = 200;

/// Per conversation, the notification on screen whose click is awaited; a
/// new message there replaces it instead of stacking another.
type Shown = Arc<Mutex<HashMap<ConversationId, u32>>>;

/// What is on screen, as the page said with `set_viewing`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewing {
    /// The open conversation, from pages that know conversations.
    pub conversation: Option<ConversationId>,
    /// The other person of the open direct conversation: all that older
    /// pages say, and what newer ones say of a direct conversation that has
    /// no message (so no id) yet.
    pub peer: Option<UserId>,
}

impl Viewing {
    /// Whether `message` belongs to the conversation on screen: compared by
    /// conversation when the page named one, else by the direct peer.
    pub fn shows(&self, message: &MessageView, me: UserId) -> bool {
        match self.conversation {
            Some(id) => message.conversation_id == id,
            None => self.peer.is_some() && self.peer == peer_of(message, me),
        }
    }
}

/// The other person of the direct conversation `message` is in (`me` for a
/// note to self); `None` in rooms and groups, whose messages have no
/// receiver.
pub fn peer_of(message: &MessageView, me: UserId) -> Option<UserId> {
    let receiver = message.receiver_id?;
    Some(if message.sender_id == me {
        receiver
    } else {
        message.sender_id
    })
}

/// What decides whether a message is worth a notification.
#[derive(Debug, Clone, Copy)]
pub struct Situation {
    pub me: UserId,
    pub enabled: bool,
    pub focused: bool,
    pub viewing: Viewing,
}

/// Notifications on, and a message someone else wrote (not a notice that
/// someone joined, left or renamed the room, not one already deleted) that
/// is not already on screen (its conversation open in the focused window).
pub fn should_notify(message: &MessageView, now: &Situation) -> bool {
    now.enabled
        && message.sender_id != now.me
        && message.notice.is_none()
        && !is_deleted(message)
        && !(now.focused && now.viewing.shows(message, now.me))
}

/// The whole decision, the pages' too (docs/protocol.md, "Who is
/// notified"): what the app knows ([`should_notify`]: on or off, not one's
/// own, not on screen) and what the person asked the server for
/// ([`Preferences`]: do not disturb, the conversation's level, and whom
/// the message mentions) at `at`.
pub fn notifies(
    message: &MessageView,
    now: &Situation,
    wanted: &Preferences,
    at: DateTime<Utc>,
) -> bool {
    should_notify(message, now) && wanted.allow(message, now.me, at)
}

/// A deleted message keeps its place but loses its text and file; frames
/// from the event log also carry `deleted_at`.
fn is_deleted(message: &MessageView) -> bool {
    message.deleted_at.is_some()
        || (message.content.is_none() && message.file_path.is_none() && message.notice.is_none())
}

/// Where a message was said, as its notification names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    Direct,
    /// A room or group, by its title when the server told us.
    Shared(Option<&'a str>),
}

/// The notification's title: the sender of a direct message ("alice"), the
/// sender and the room for others ("alice in Design", as Slack and
/// Mattermost name both); the sender by the name the pages show for them
/// (their display name, else their username). The body is the [`preview`]
/// either way.
pub fn title(sender: Option<&str>, place: Place<'_>) -> String {
    match (sender, place) {
        (Some(sender), Place::Direct) => sender.to_owned(),
        (Some(sender), Place::Shared(Some(room))) => format!("{sender} in {room}"),
        (Some(sender), Place::Shared(None)) => format!("{sender} in a group chat"),
        (None, Place::Shared(Some(room))) => format!("New message in {room}"),
        (None, Place::Direct | Place::Shared(None)) => "New message".to_owned(),
    }
}

/// The notification's body: the text, trimmed, or what file arrived.
pub fn preview(message: &MessageView) -> String {
    if message.file_path.is_some() {
        let name = message.file_name.as_deref().unwrap_or("a file");
        return format!("Sent a file: {name}");
    }
    let text = message.content.as_deref().unwrap_or("").trim();
    if text.chars().count() <= PREVIEW_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(PREVIEW_CHARS - 1).collect();
    cut.push('…');
    cut
}

pub struct Notifier {
    settings_file: PathBuf,
    cache_dir: PathBuf,
    enabled: AtomicBool,
    // std Mutexes: held for an assignment or a lookup, never across an await.
    viewing: Mutex<Viewing>,
    session: Mutex<Option<Session>>,
    shown: Shown,
}

struct Session {
    base: String,
    token: String,
    stop: CancellationToken,
}

impl Notifier {
    pub fn new(settings_file: PathBuf, cache_dir: PathBuf) -> Self {
        let settings = settings::load(&settings_file).unwrap_or_else(|e| {
            tracing::warn!("{e}; using the default settings");
            Settings::default()
        });
        Self {
            settings_file,
            cache_dir,
            enabled: AtomicBool::new(settings.notifications),
            viewing: Mutex::default(),
            session: Mutex::default(),
            shown: Arc::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Turns notifications on or off and remembers the choice.
    pub fn set_enabled(&self, on: bool) -> Result<(), String> {
        self.enabled.store(on, Ordering::Relaxed);
        settings::save(&self.settings_file, &Settings { notifications: on })
            .map_err(|e| e.to_string())
    }

    pub fn set_viewing(&self, viewing: Viewing) {
        *lock(&self.viewing) = viewing;
    }

    /// The token the page handed over for `base`, if it is logged in there:
    /// the app's own requests to that server (downloads) carry it.
    pub fn token_for(&self, base: &str) -> Option<String> {
        lock(&self.session)
            .as_ref()
            .filter(|s| s.base == base)
            .map(|s| s.token.clone())
    }

    /// Listens for `me`'s messages on `base` with `token`, replacing any
    /// earlier session; the same session again changes nothing.
    pub fn start(
        &self,
        app: &AppHandle,
        base: &str,
        token: &str,
        me: UserId,
    ) -> Result<(), String> {
        let url = listener::socket_url(base, token)?;
        let mut session = lock(&self.session);
        if session
            .as_ref()
            .is_some_and(|s| s.base == base && s.token == token)
        {
            return Ok(());
        }
        if let Some(old) = session.take() {
            old.stop.cancel();
        }
        let stop = CancellationToken::new();
        let directory = directory::Directory::new(
            base,
            token,
            self.cache_dir
                .join("avatars")
                .join(remote::origin_dir(base)),
        );
        let listener = listener::Listener {
            app: app.clone(),
            me,
            directory,
            shown: self.shown.clone(),
            app_icon: self.cache_dir.join("chatterbox.png"),
            preferences: Preferences::default(),
        };
        tauri::async_runtime::spawn(listener.run(url, stop.clone()));
        *session = Some(Session {
            base: base.to_owned(),
            token: token.to_owned(),
            stop,
        });
        Ok(())
    }

    /// Closes the app's socket (logout, mode switch, quit).
    pub fn stop(&self) {
        if let Some(session) = lock(&self.session).take() {
            session.stop.cancel();
        }
        self.set_viewing(Viewing::default());
    }

    fn situation(&self, app: &AppHandle, me: UserId) -> Situation {
        let focused = app
            .get_webview_window(remote::WINDOW)
            .and_then(|w| w.is_focused().ok())
            .unwrap_or(false);
        Situation {
            me,
            enabled: self.enabled(),
            focused,
            viewing: *lock(&self.viewing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use server_core::{
        store::{
            Body, Conversation, ConversationKind, FileMeta, Message, Notice, NoticeAction, now,
        },
        ws::protocol::ServerEvent,
    };

    const ME: UserId = 1;
    const ANA: UserId = 2;
    const BEN: UserId = 3;
    /// Ana's and my direct conversation, and a room we are both in.
    const WITH_ANA: ConversationId = 10;
    const DESIGN: ConversationId = 20;

    fn conversation(id: ConversationId) -> Conversation {
        let (kind, title) = if id == WITH_ANA {
            (ConversationKind::Direct, None)
        } else {
            (ConversationKind::Room, Some("Design".to_owned()))
        };
        Conversation {
            id,
            kind,
            title,
            members: vec![ME, ANA],
        }
    }

    /// A message as the server would send it, in its frame, read back as
    /// the listener reads it.
    fn frame(from: UserId, to: ConversationId, body: Body) -> MessageView {
        let message = Message {
            id: 7,
            conversation_id: to,
            sender_id: from,
            body,
            created_at: now(),
            edited_at: None,
            deleted_at: None,
            client_id: None,
            reply_to: None,
            mentions: Vec::new(),
            mentions_room: false,
            reactions: Vec::new(),
        };
        let event = ServerEvent::message(message, &conversation(to), Some(42));
        let text = serde_json::to_string(&event).unwrap();
        match serde_json::from_str(&text).unwrap() {
            ServerEvent::PrivateMessage { message, .. } | ServerEvent::Message { message, .. } => {
                message
            }
            other => panic!("not a message frame: {other:?}"),
        }
    }

    fn text(from: UserId, to: ConversationId, content: &str) -> MessageView {
        frame(from, to, Body::Text(content.into()))
    }

    fn situation(focused: bool, viewing: Viewing) -> Situation {
        Situation {
            me: ME,
            enabled: true,
            focused,
            viewing,
        }
    }

    fn peer(id: UserId) -> Viewing {
        Viewing {
            conversation: None,
            peer: Some(id),
        }
    }

    fn open(id: ConversationId) -> Viewing {
        Viewing {
            conversation: Some(id),
            peer: None,
        }
    }

    #[test]
    fn a_direct_message_notifies_unless_its_conversation_is_on_screen() {
        let hi = text(ANA, WITH_ANA, "hi");
        let nothing = Viewing::default();
        assert!(should_notify(&hi, &situation(false, nothing)));
        assert!(
            should_notify(&hi, &situation(false, peer(ANA))),
            "window not focused"
        );
        assert!(should_notify(&hi, &situation(true, nothing)));
        assert!(
            should_notify(&hi, &situation(true, peer(BEN))),
            "another conversation open (an old page names the peer)"
        );
        assert!(
            should_notify(&hi, &situation(true, open(DESIGN))),
            "a room open"
        );
        assert!(
            !should_notify(&hi, &situation(true, peer(ANA))),
            "on screen, as an old page says it"
        );
        assert!(
            !should_notify(&hi, &situation(true, open(WITH_ANA))),
            "on screen, as a new page says it"
        );
        let both = Viewing {
            conversation: Some(WITH_ANA),
            peer: Some(ANA),
        };
        assert!(!should_notify(&hi, &situation(true, both)));
    }

    #[test]
    fn a_room_message_is_compared_by_conversation_never_by_peer() {
        let lunch = text(ANA, DESIGN, "lunch?");
        assert!(should_notify(&lunch, &situation(true, open(WITH_ANA))));
        assert!(
            should_notify(&lunch, &situation(true, peer(ANA))),
            "ana's direct conversation is not the room she wrote in"
        );
        assert!(should_notify(&lunch, &situation(false, open(DESIGN))));
        assert!(!should_notify(&lunch, &situation(true, open(DESIGN))));
        // A page naming a conversation is believed over the peer it names.
        let stale = Viewing {
            conversation: Some(DESIGN),
            peer: Some(BEN),
        };
        assert!(!should_notify(&lunch, &situation(true, stale)));
    }

    #[test]
    fn my_own_messages_notices_deleted_ones_and_disabled_notifications_stay_quiet() {
        let nothing = Viewing::default();
        assert!(!should_notify(
            &text(ME, WITH_ANA, "sent from my phone"),
            &situation(false, nothing)
        ));
        assert!(!should_notify(
            &text(ME, DESIGN, "sent from my phone"),
            &situation(false, nothing)
        ));
        let added = frame(
            ANA,
            DESIGN,
            Body::Notice(Notice {
                action: NoticeAction::Added,
                user_id: Some(BEN),
                title: None,
            }),
        );
        assert!(!should_notify(&added, &situation(false, nothing)));
        let deleted = frame(ANA, DESIGN, Body::Deleted);
        assert!(!should_notify(&deleted, &situation(false, nothing)));
        let backfilled = MessageView {
            content: None,
            deleted_at: Some("2026-12-01T10:20:30.123456Z".into()),
            ..text(ANA, DESIGN, "")
        };
        assert!(!should_notify(&backfilled, &situation(false, nothing)));
        let off = Situation {
            enabled: false,
            ..situation(false, nothing)
        };
        assert!(!should_notify(&text(ANA, WITH_ANA, "hi"), &off));
        assert!(!should_notify(&text(ANA, DESIGN, "hi"), &off));
    }

    #[test]
    fn the_whole_decision_asks_the_app_and_then_the_persons_own_preferences() {
        use server_core::{store::NotifyLevel, ws::protocol::Settings};

        let at = now();
        let mut wanted = Preferences::default();
        wanted.set_level(DESIGN, NotifyLevel::Muted);
        let away = situation(false, Viewing::default());
        let hi = text(ANA, WITH_ANA, "hi");
        let lunch = text(ANA, DESIGN, "lunch?");
        let mention = MessageView {
            mentions: vec![ME],
            ..text(ANA, DESIGN, "@me lunch?")
        };
        let my_own = MessageView {
            mentions: vec![ME],
            ..text(ME, DESIGN, "@me")
        };

        assert!(notifies(&hi, &away, &wanted, at));
        assert!(!notifies(&lunch, &away, &wanted, at), "muted");
        assert!(notifies(&mention, &away, &wanted, at), "a mention");
        assert!(
            !notifies(&my_own, &away, &wanted, at),
            "my own, mentioning me or not"
        );
        assert!(
            !notifies(&mention, &situation(true, open(DESIGN)), &wanted, at),
            "on screen"
        );
        let off = Situation {
            enabled: false,
            ..away
        };
        assert!(
            !notifies(&mention, &off, &wanted, at),
            "turned off in the app"
        );

        wanted.settings(&Settings {
            read_receipts: true,
            dnd_until: Some(server_core::store::timestamp(
                at + chrono::Duration::hours(1),
            )),
            sound: false,
        });
        assert!(!notifies(&mention, &away, &wanted, at), "do not disturb");
        assert!(!notifies(&hi, &away, &wanted, at));
    }

    #[test]
    fn a_direct_message_is_titled_by_its_sender_and_a_room_message_by_both() {
        let direct = text(ANA, WITH_ANA, "hi");
        let room = text(ANA, DESIGN, "hi");
        assert_eq!(peer_of(&direct, ME), Some(ANA));
        assert_eq!(peer_of(&text(ME, WITH_ANA, "hi"), ME), Some(ANA));
        assert_eq!(peer_of(&room, ME), None);

        assert_eq!(title(Some("ana"), Place::Direct), "ana");
        assert_eq!(
            title(Some("ana"), Place::Shared(Some("Design"))),
            "ana in Design"
        );
        assert_eq!(
            title(Some("ana"), Place::Shared(None)),
            "ana in a group chat"
        );
        assert_eq!(
            title(None, Place::Shared(Some("Design"))),
            "New message in Design"
        );
        assert_eq!(title(None, Place::Direct), "New message");
        assert_eq!(preview(&direct), preview(&room), "the body is the text");
    }

    #[test]
    fn a_click_opens_the_messages_conversation_and_names_the_peer_of_a_direct_one() {
        assert_eq!(
            OpenConversation::of(&text(ANA, WITH_ANA, "hi"), ME),
            OpenConversation {
                conversation_id: WITH_ANA,
                peer_id: Some(ANA)
            }
        );
        assert_eq!(
            OpenConversation::of(&text(ANA, DESIGN, "hi"), ME),
            OpenConversation {
                conversation_id: DESIGN,
                peer_id: None
            }
        );
    }

    #[test]
    fn previews_trim_long_text_and_name_files() {
        assert_eq!(preview(&text(ANA, WITH_ANA, "  lunch?  ")), "lunch?");
        let exactly = "é".repeat(PREVIEW_CHARS);
        assert_eq!(preview(&text(ANA, WITH_ANA, &exactly)), exactly);
        let long = preview(&text(ANA, DESIGN, &"é".repeat(PREVIEW_CHARS + 1)));
        assert_eq!(long.chars().count(), PREVIEW_CHARS);
        assert!(long.ends_with('…'));
        let file = frame(
            ANA,
            DESIGN,
            Body::File(FileMeta {
                path: "static/files/1_ab_plan.pdf".into(),
                name: "plan.pdf".into(),
                size: 3,
                mime_type: "application/pdf".into(),
            }),
        );
        assert_eq!(preview(&file), "Sent a file: plan.pdf");
        assert!(should_notify(&file, &situation(false, Viewing::default())));
    }
}
