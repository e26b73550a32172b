//! The app's own WebSocket to the server, one per session: it reconnects
//! with a growing delay while the server is away and gives up when the
//! token is refused (the page logs in again and hands over a new one).
//!
//! Frames are read as server-core's own `ServerEvent`, the type the server
//! writes them with, so the two cannot drift apart. A frame of a type this
//! build does not know (a newer server) fails to parse and is skipped.
//!
//! Each time the socket opens, the person's levels and settings are asked
//! for anew (their frames are not replayed after a drop); frames keep them
//! current while it stays open.

use std::{path::PathBuf, time::Duration};

use futures_util::StreamExt;
use server_core::{
    store::UserId,
    ws::protocol::{MessageView, ServerEvent},
};
use tauri::{AppHandle, Manager};
use tokio_tungstenite::tungstenite::{self, Message, http::StatusCode};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::{
    Notifier, Place, Preferences, Shown,
    directory::{Directory, Person},
    notifies, popup, preview, title,
};

/// Reconnect delays after the server goes away: doubled up to the cap.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(30);

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

/// A frame as the listener reads it; `None` for one it does not know.
pub fn read_frame(text: &str) -> Option<ServerEvent> {
    serde_json::from_str(text).ok()
}

/// One session's socket and what it needs to describe messages.
pub(super) struct Listener {
    pub app: AppHandle,
    pub me: UserId,
    pub directory: Directory,
    pub shown: Shown,
    /// Where the app's icon is written, for people without a picture.
    pub app_icon: PathBuf,
    /// How the person wants to be notified, as last heard.
    pub preferences: Preferences,
}

impl Listener {
    pub async fn run(mut self, url: Url, stop: CancellationToken) {
        let mut retry = FIRST_RETRY;
        loop {
            let connected = tokio::select! {
                () = stop.cancelled() => return,
                connected = tokio_tungstenite::connect_async(url.as_str()) => connected,
            };
            match connected {
                Ok((mut socket, _)) => {
                    tracing::info!(server = %self.directory.base(), "listening for messages to notify");
                    retry = FIRST_RETRY;
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = self.refresh_preferences() => {}
                    }
                    loop {
                        let frame = tokio::select! {
                            () = stop.cancelled() => {
                                let _ = socket.close(None).await;
                                return;
                            }
                            frame = socket.next() => frame,
                        };
                        match frame {
                            Some(Ok(Message::Text(text))) => self.on_frame(&text).await,
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
                    tracing::warn!(server = %self.directory.base(), "cannot open the notification socket: {e}")
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(retry) => {}
            }
            retry = (retry * 2).min(MAX_RETRY);
        }
    }

    /// The levels and settings from the server; on failure the last ones
    /// heard stay (at first: every message notifies).
    async fn refresh_preferences(&mut self) {
        match self.directory.preferences().await {
            Ok(preferences) => self.preferences = preferences,
            Err(e) => tracing::warn!("cannot load the notification settings: {e}"),
        }
    }

    async fn on_frame(&mut self, text: &str) {
        let Some(event) = read_frame(text) else {
            return;
        };
        // Every kind named, so that a new one is a decision here.
        match event {
            ServerEvent::PrivateMessage { message, .. } | ServerEvent::Message { message, .. } => {
                self.on_message(message).await;
            }
            // A new display name or picture: look them up again next time.
            ServerEvent::UserUpdated { user_id, .. } => self.directory.forget_person(user_id),
            ServerEvent::Settings(settings) => self.preferences.settings(&settings),
            ServerEvent::NotifyChanged {
                conversation_id,
                notify,
            } => self.preferences.set_level(conversation_id, notify),
            ServerEvent::EditMessage(_)
            | ServerEvent::MessageEdited(_)
            | ServerEvent::MessageDeleted { .. }
            | ServerEvent::Read { .. }
            | ServerEvent::Delivered { .. }
            | ServerEvent::Reaction { .. }
            | ServerEvent::Typing { .. }
            | ServerEvent::Presence(_)
            | ServerEvent::PresenceBatch { .. }
            | ServerEvent::Synced { .. }
            | ServerEvent::Reset { .. }
            | ServerEvent::Error { .. } => {}
        }
    }

    async fn on_message(&mut self, message: MessageView) {
        if let Some(notice) = &message.notice {
            self.directory.noticed(message.conversation_id, notice);
        }
        let now = self.app.state::<Notifier>().situation(&self.app, self.me);
        if notifies(&message, &now, &self.preferences, chrono::Utc::now()) {
            self.notify(&message).await;
        }
    }

    async fn notify(&mut self, message: &MessageView) {
        let open = popup::OpenConversation::of(message, self.me);
        let person = self.directory.person(message.sender_id).await;
        let room = match open.peer_id {
            Some(_) => None,
            None => self.directory.title(open.conversation_id).await,
        };
        let place = match open.peer_id {
            Some(_) => Place::Direct,
            None => Place::Shared(room.as_deref()),
        };
        let title = title(person.as_ref().map(Person::name), place);
        let picture = match person.and_then(|p| p.profile_pic) {
            Some(path) => self.directory.picture(&path).await,
            None => None,
        };
        let picture = match picture {
            Some(picture) => Some(picture),
            None => popup::app_icon(&self.app_icon).await,
        };
        let popup = popup::Popup {
            open,
            sender: message.sender_id,
            title,
            body: preview(message),
            picture,
            sound: self.preferences.sound(),
        };
        let app = self.app.clone();
        let shown = self.shown.clone();
        tauri::async_runtime::spawn_blocking(move || popup.show(&app, &shown));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use server_core::store::NoticeAction;

    #[test]
    fn the_socket_url_is_the_servers_ws_route_with_the_token() {
        let url = socket_url("http://192.168.1.20:8000/", "a-b_c").unwrap();
        assert_eq!(url.as_str(), "ws://192.168.1.20:8000/ws?token=a-b_c");
        assert!(socket_url("not a url", "t").is_err());
    }

    #[test]
    fn frames_as_the_server_writes_them_are_read_and_unknown_ones_skipped() {
        // Written out as docs/protocol.md shows them; frames built with
        // server-core's own constructors are read in the module's tests.
        let direct = read_frame(
            r#"{"type": "private_message", "id": 816, "sender_id": 3, "receiver_id": 7, "conversation_id": 9, "content": "Hi", "timestamp": "2026-12-01T10:20:30.123456Z", "is_edited": 0, "file_path": null, "file_name": null, "file_size": null, "mime_type": null, "edited_at": null, "client_id": "c-18", "seq": 1043}"#,
        );
        assert!(matches!(
            direct,
            Some(ServerEvent::PrivateMessage { message, seq: Some(1043) })
                if message.conversation_id == 9 && message.receiver_id == Some(7)
                    && message.content.as_deref() == Some("Hi")
        ));
        let notice = read_frame(
            r#"{"type": "message", "id": 818, "sender_id": 3, "receiver_id": null, "conversation_id": 4, "content": null, "notice": {"action": "renamed", "title": "Design team"}, "timestamp": "2026-12-01T10:20:30.123456Z", "is_edited": 0, "file_path": null, "file_name": null, "file_size": null, "mime_type": null, "edited_at": null, "seq": 1046}"#,
        );
        assert!(matches!(
            notice,
            Some(ServerEvent::Message { message, .. })
                if message.receiver_id.is_none()
                    && message.notice.as_ref().is_some_and(|n| n.action == NoticeAction::Renamed
                        && n.title.as_deref() == Some("Design team"))
        ));
        let updated = read_frame(
            r#"{"type": "user_updated", "user_id": 2, "profile_pic": null, "about": "x"}"#,
        );
        assert!(matches!(
            updated,
            Some(ServerEvent::UserUpdated { user_id: 2, .. })
        ));
        assert!(read_frame(r#"{"type": "poll_created", "id": 1}"#).is_none());
        assert!(read_frame("not json").is_none());
    }
}
