//! One notification on the session's D-Bus (notify-rust), and its click.
//!
//! A conversation has at most one notification on screen: a new message
//! there replaces it, so a busy room does not stack a popup per message.
//! Clicking it brings the window forward and sends the page
//! `open-conversation` with both ids, so pages that open conversations by
//! id and older ones that open a direct conversation by peer both work.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Mutex,
};

use serde::Serialize;
use server_core::{
    store::{ConversationId, UserId},
    ws::protocol::MessageView,
};
use tauri::{AppHandle, Emitter};

use super::{directory::write_atomically, peer_of};
use crate::{lock, remote};

/// Event sent to the page when a notification is clicked.
pub const OPEN_CONVERSATION: &str = "open-conversation";

/// The app's icon, shown for people without a profile picture.
const APP_ICON: &[u8] = include_bytes!("../../../icons/128x128.png");

/// The payload of `open-conversation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OpenConversation {
    pub conversation_id: ConversationId,
    /// The other person of a direct conversation, `null` for rooms and
    /// groups: what older pages open.
    pub peer_id: Option<UserId>,
}

impl OpenConversation {
    /// What a click on `message`'s notification opens, for `me`.
    pub fn of(message: &MessageView, me: UserId) -> Self {
        Self {
            conversation_id: message.conversation_id,
            peer_id: peer_of(message, me),
        }
    }
}

/// The app's icon as a file (notification daemons take a path), written on
/// first use.
pub async fn app_icon(path: &Path) -> Option<PathBuf> {
    if tokio::fs::metadata(path).await.is_err() {
        write_atomically(path, APP_ICON).await.ok()?;
    }
    Some(path.to_owned())
}

/// One notification, shown from a blocking thread: the D-Bus calls and the
/// wait for a click block.
pub struct Popup {
    pub open: OpenConversation,
    pub sender: UserId,
    pub title: String,
    pub body: String,
    pub picture: Option<PathBuf>,
    /// The person asked for a sound (`settings`): the desktop's own
    /// message sound, by its freedesktop name; otherwise none, as in the
    /// pages.
    pub sound: bool,
}

impl Popup {
    pub fn show(self, app: &AppHandle, shown: &Mutex<HashMap<ConversationId, u32>>) {
        let conversation = self.open.conversation_id;
        let replaces = lock(shown).get(&conversation).copied();
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("ChatterBox")
            .summary(&self.title)
            .body(&self.body)
            .action("default", "Open");
        if let Some(picture) = &self.picture {
            notification.icon(&picture.to_string_lossy());
        }
        if self.sound {
            notification.sound_name("message-new-instant");
        } else {
            notification.hint(notify_rust::Hint::SuppressSound(true));
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
        tracing::info!(sender = self.sender, conversation, "notified");
        if replaces.is_some() {
            // The thread that showed the first one still waits for its click,
            // and opens the same conversation.
            return;
        }
        let id = handle.id();
        lock(shown).insert(conversation, id);
        let open = self.open;
        handle.wait_for_action(|action| {
            if action == "default" {
                open_conversation(app, open);
            }
        });
        let mut shown = lock(shown);
        if shown.get(&conversation) == Some(&id) {
            shown.remove(&conversation);
        }
    }
}

/// Brings the window forward on the conversation.
fn open_conversation(app: &AppHandle, open: OpenConversation) {
    crate::lifecycle::show_window(app);
    if let Err(e) = app.emit_to(remote::WINDOW, OPEN_CONVERSATION, open) {
        tracing::warn!("cannot open the conversation: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_names_the_conversation_and_for_old_pages_the_peer() {
        let direct = OpenConversation {
            conversation_id: 9,
            peer_id: Some(7),
        };
        let room = OpenConversation {
            conversation_id: 4,
            peer_id: None,
        };
        assert_eq!(
            serde_json::to_value(direct).unwrap(),
            serde_json::json!({"conversation_id": 9, "peer_id": 7})
        );
        assert_eq!(
            serde_json::to_value(room).unwrap(),
            serde_json::json!({"conversation_id": 4, "peer_id": null}),
            "peer_id is present and null, as old pages expect a field"
        );
    }

    #[tokio::test]
    async fn the_app_icon_is_written_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache").join("chatterbox.png");
        assert_eq!(app_icon(&path).await.as_deref(), Some(path.as_path()));
        assert_eq!(std::fs::read(&path).unwrap(), APP_ICON);
        std::fs::write(&path, b"kept").unwrap();
        app_icon(&path).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    }
}
