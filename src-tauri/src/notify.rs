//! Desktop notifications for incoming messages.
//!
//! The app learns of messages itself: it keeps its own WebSocket to the
//! server with the logged-in user's token (handed over by the chat page with
//! `set_session`), so notifications arrive while the page is busy, minimised
//! or closed to the tray. The page says which conversation is open
//! (`set_viewing`); a message from that person while the window has focus is
//! already on screen and gets no notification. Clicking a notification
//! brings the window forward and tells the page to open that conversation
//! (event `open-conversation`). The menu's "Desktop notifications" turns them
//! off, and the choice is kept in `settings.json`.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager};
use tokio_tungstenite::tungstenite::{self, Message, http::StatusCode};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::{
    lock, remote,
    settings::{self, Settings},
};

/// Event sent to the page when a notification is clicked.
pub const OPEN_CONVERSATION: &str = "open-conversation";

/// Longest preview of a message's text in a notification.
const PREVIEW_CHARS: usize = 200;
/// Reconnect delays after the server goes away: doubled up to the cap.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// The app's icon, shown for people without a profile picture.
const APP_ICON: &[u8] = include_bytes!("../../icons/128x128.png");

pub type UserId = i64;

/// The part of a `private_message` event a notification needs.
#[derive(Debug, Clone, Deserialize)]
pub struct Incoming {
    pub sender_id: UserId,
    pub receiver_id: UserId,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub file_path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    PrivateMessage(Incoming),
    UserUpdated {
        user_id: UserId,
    },
    #[serde(other)]
    Other,
}

/// What decides whether a message is worth a notification.
#[derive(Debug, Clone, Copy)]
pub struct Situation {
    pub me: UserId,
    pub enabled: bool,
    pub focused: bool,
    pub viewing: Option<UserId>,
}

/// Someone else's message to me, notifications on, and not already on
/// screen (its conversation open in the focused window).
pub fn should_notify(message: &Incoming, now: Situation) -> bool {
    now.enabled
        && message.receiver_id == now.me
        && message.sender_id != now.me
        && !(now.focused && now.viewing == Some(message.sender_id))
}

/// The notification's body: the text, trimmed, or what file arrived.
pub fn preview(message: &Incoming) -> String {
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

/// `ws://host:port/ws?token=…` for a server's base URL.
pub fn socket_url(base: &str, token: &str) -> Result<Url, String> {
    let mut url = Url::parse(base)
        .and_then(|b| b.join("ws"))
        .map_err(|e| format!("{base}: {e}"))?;
    url.set_scheme("ws")
        .map_err(|()| format!("{base} is not an http:// address"))?;
    url.query_pairs_mut().append_pair("token", token);
    Ok(url)
}

pub struct Notifier {
    settings_file: PathBuf,
    cache_dir: PathBuf,
    enabled: AtomicBool,
    // std Mutexes: held for an assignment or a lookup, never across an await.
    viewing: Mutex<Option<UserId>>,
    session: Mutex<Option<Session>>,
    /// Per sender, the notification on screen whose click is awaited; a new
    /// message from them replaces it instead of stacking another.
    shown: Arc<Mutex<HashMap<UserId, u32>>>,
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

    pub fn set_viewing(&self, peer: Option<UserId>) {
        *lock(&self.viewing) = peer;
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
        let url = socket_url(base, token)?;
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
        let listener = Listener {
            app: app.clone(),
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token: token.to_owned(),
            me,
            people: HashMap::new(),
            shown: self.shown.clone(),
            avatars: self
                .cache_dir
                .join("avatars")
                .join(remote::origin_dir(base)),
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
        self.set_viewing(None);
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

    /// The icon for people without a picture, written once to the cache.
    async fn app_icon(&self) -> Option<PathBuf> {
        let path = self.cache_dir.join("chatterbox.png");
        if tokio::fs::metadata(&path).await.is_err() {
            write_atomically(&path, APP_ICON).await.ok()?;
        }
        Some(path)
    }
}

/// Someone who may send us messages, as `GET /users` lists them.
#[derive(Debug, Clone, Deserialize)]
struct Person {
    id: UserId,
    username: String,
    #[serde(default)]
    profile_pic: Option<String>,
}

/// One session's socket and what it needs to describe senders.
struct Listener {
    app: AppHandle,
    http: reqwest::Client,
    base: String,
    token: String,
    me: UserId,
    people: HashMap<UserId, Person>,
    shown: Arc<Mutex<HashMap<UserId, u32>>>,
    avatars: PathBuf,
}

impl Listener {
    async fn run(mut self, url: Url, stop: CancellationToken) {
        let mut retry = FIRST_RETRY;
        loop {
            let connected = tokio::select! {
                () = stop.cancelled() => return,
                connected = tokio_tungstenite::connect_async(url.as_str()) => connected,
            };
            match connected {
                Ok((mut socket, _)) => {
                    tracing::info!(server = %self.base, "listening for messages to notify");
                    retry = FIRST_RETRY;
                    loop {
                        let frame = tokio::select! {
                            () = stop.cancelled() => {
                                let _ = socket.close(None).await;
                                return;
                            }
                            frame = socket.next() => frame,
                        };
                        match frame {
                            Some(Ok(Message::Text(text))) => self.on_event(&text).await,
                            Some(Ok(_)) => {}
                            Some(Err(e)) => {
                                tracing::warn!("notification socket: {e}");
                                break;
                            }
                            None => break,
                        }
                    }
                }
                Err(tungstenite::Error::Http(response))
                    if response.status() == StatusCode::UNAUTHORIZED =>
                {
                    // Logged out or expired elsewhere; the page logs in again
                    // and hands over a new token.
                    tracing::info!("the session ended; no more notifications until the next login");
                    return;
                }
                Err(e) => {
                    tracing::warn!(server = %self.base, "cannot open the notification socket: {e}")
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(retry) => {}
            }
            retry = (retry * 2).min(MAX_RETRY);
        }
    }

    async fn on_event(&mut self, text: &str) {
        match serde_json::from_str::<Event>(text) {
            Ok(Event::PrivateMessage(message)) => {
                let notifier = self.app.state::<Notifier>();
                if should_notify(&message, notifier.situation(&self.app, self.me)) {
                    self.notify(&message).await;
                }
            }
            // A new name or picture: look them up again next time.
            Ok(Event::UserUpdated { user_id }) => {
                self.people.remove(&user_id);
            }
            Ok(Event::Other) | Err(_) => {}
        }
    }

    async fn notify(&mut self, message: &Incoming) {
        let sender = message.sender_id;
        let person = self.person(sender).await;
        let title = person
            .as_ref()
            .map_or_else(|| "New message".to_owned(), |p| p.username.clone());
        let picture = match person.and_then(|p| p.profile_pic) {
            Some(path) => self.picture(&path).await,
            None => None,
        };
        let picture = match picture {
            Some(picture) => Some(picture),
            None => self.app.state::<Notifier>().app_icon().await,
        };
        let popup = Popup {
            sender,
            title,
            body: preview(message),
            picture,
        };
        let app = self.app.clone();
        let shown = self.shown.clone();
        tauri::async_runtime::spawn_blocking(move || popup.show(&app, &shown));
    }

    /// The sender's name and picture, from `GET /users` (cached).
    async fn person(&mut self, id: UserId) -> Option<Person> {
        if !self.people.contains_key(&id) {
            match self.fetch_people().await {
                Ok(people) => self.people = people.into_iter().map(|p| (p.id, p)).collect(),
                Err(e) => tracing::warn!("cannot look up who sent a message: {e}"),
            }
        }
        self.people.get(&id).cloned()
    }

    async fn fetch_people(&self) -> Result<Vec<Person>, reqwest::Error> {
        self.http
            .get(format!("{}users", self.base))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(10))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    /// A profile picture as a local file, downloaded once: notification
    /// daemons take a path, not a URL.
    async fn picture(&self, server_path: &str) -> Option<PathBuf> {
        let name = server_path.rsplit('/').next().filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })?;
        let path = self.avatars.join(name);
        if tokio::fs::metadata(&path).await.is_ok() {
            return Some(path);
        }
        let url = Url::parse(&self.base)
            .ok()?
            .join(server_path.trim_start_matches('/'))
            .ok()?;
        let bytes = async {
            // Pictures are served to logged-in users only.
            self.http
                .get(url)
                .bearer_auth(&self.token)
                .timeout(Duration::from_secs(10))
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await
        }
        .await
        .inspect_err(|e| tracing::warn!("cannot fetch a profile picture: {e}"))
        .ok()?;
        write_atomically(&path, &bytes).await.ok()?;
        Some(path)
    }
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let temp = path.with_extension("part");
    tokio::fs::write(&temp, bytes).await?;
    tokio::fs::rename(&temp, path).await
}

/// One notification, shown from a blocking thread: the D-Bus calls and the
/// wait for a click block.
struct Popup {
    sender: UserId,
    title: String,
    body: String,
    picture: Option<PathBuf>,
}

impl Popup {
    fn show(self, app: &AppHandle, shown: &Mutex<HashMap<UserId, u32>>) {
        let replaces = lock(shown).get(&self.sender).copied();
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("ChatterBox")
            .summary(&self.title)
            .body(&self.body)
            .action("default", "Open");
        if let Some(picture) = &self.picture {
            notification.icon(&picture.to_string_lossy());
        }
        if let Some(id) = replaces {
            notification.id(id);
        }
        let handle = match notification.show() {
            Ok(handle) => handle,
            Err(e) => {
                tracing::warn!("cannot show a notification: {e}");
                return;
            }
        };
        tracing::info!(sender = self.sender, "notified");
        if replaces.is_some() {
            // The thread that showed the first one still waits for its click.
            return;
        }
        let id = handle.id();
        lock(shown).insert(self.sender, id);
        let sender = self.sender;
        handle.wait_for_action(|action| {
            if action == "default" {
                open_conversation(app, sender);
            }
        });
        let mut shown = lock(shown);
        if shown.get(&sender) == Some(&id) {
            shown.remove(&sender);
        }
    }
}

#[derive(Clone, Serialize)]
struct OpenConversation {
    peer_id: UserId,
}

/// Brings the window forward on `peer`'s conversation.
fn open_conversation(app: &AppHandle, peer: UserId) {
    crate::lifecycle::show_window(app);
    if let Err(e) = app.emit_to(
        remote::WINDOW,
        OPEN_CONVERSATION,
        OpenConversation { peer_id: peer },
    ) {
        tracing::warn!("cannot open the conversation: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(from: UserId, to: UserId, content: &str) -> Incoming {
        Incoming {
            sender_id: from,
            receiver_id: to,
            content: Some(content.into()),
            file_name: None,
            file_path: None,
        }
    }

    const ME: UserId = 1;
    const ANA: UserId = 2;

    fn now(focused: bool, viewing: Option<UserId>) -> Situation {
        Situation {
            me: ME,
            enabled: true,
            focused,
            viewing,
        }
    }

    #[test]
    fn a_message_to_me_notifies_unless_its_conversation_is_on_screen() {
        let hi = text(ANA, ME, "hi");
        assert!(should_notify(&hi, now(false, None)));
        assert!(
            should_notify(&hi, now(false, Some(ANA))),
            "window not focused"
        );
        assert!(
            should_notify(&hi, now(true, Some(3))),
            "another conversation open"
        );
        assert!(should_notify(&hi, now(true, None)));
        assert!(
            !should_notify(&hi, now(true, Some(ANA))),
            "already on screen"
        );
    }

    #[test]
    fn my_own_messages_and_disabled_notifications_stay_quiet() {
        assert!(!should_notify(
            &text(ME, ANA, "sent from my phone"),
            now(false, None)
        ));
        assert!(!should_notify(
            &text(ME, ME, "note to self"),
            now(false, None)
        ));
        let off = Situation {
            enabled: false,
            ..now(false, None)
        };
        assert!(!should_notify(&text(ANA, ME, "hi"), off));
    }

    #[test]
    fn previews_trim_long_text_and_name_files() {
        assert_eq!(preview(&text(ANA, ME, "  lunch?  ")), "lunch?");
        let exactly = "é".repeat(PREVIEW_CHARS);
        assert_eq!(preview(&text(ANA, ME, &exactly)), exactly);
        let long = preview(&text(ANA, ME, &"é".repeat(PREVIEW_CHARS + 1)));
        assert_eq!(long.chars().count(), PREVIEW_CHARS);
        assert!(long.ends_with('…'));
        let file = Incoming {
            content: None,
            file_name: Some("plan.pdf".into()),
            file_path: Some("static/files/1_ab_plan.pdf".into()),
            ..text(ANA, ME, "")
        };
        assert_eq!(preview(&file), "Sent a file: plan.pdf");
    }

    #[test]
    fn server_events_are_read_by_type_and_others_ignored() {
        let message: Event = serde_json::from_str(
            r#"{"type":"private_message","id":7,"sender_id":2,"receiver_id":1,"content":"hi",
                "timestamp":"2025-03-01T10:20:30.123456Z","is_edited":0,"file_path":null}"#,
        )
        .unwrap();
        assert!(
            matches!(message, Event::PrivateMessage(m) if m.sender_id == 2 && m.content.as_deref() == Some("hi"))
        );
        let updated: Event = serde_json::from_str(
            r#"{"type":"user_updated","user_id":2,"profile_pic":null,"about":"x"}"#,
        )
        .unwrap();
        assert!(matches!(updated, Event::UserUpdated { user_id: 2 }));
        let typing: Event = serde_json::from_str(r#"{"type":"typing","user_id":2}"#).unwrap();
        assert!(matches!(typing, Event::Other));
    }

    #[test]
    fn the_socket_url_is_the_servers_ws_route_with_the_token() {
        let url = socket_url("http://192.168.1.20:8000/", "a-b_c").unwrap();
        assert_eq!(url.as_str(), "ws://192.168.1.20:8000/ws?token=a-b_c");
        assert!(socket_url("not a url", "t").is_err());
    }
}
