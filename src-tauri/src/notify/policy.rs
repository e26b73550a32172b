//! How the person wants to be notified, as the server keeps it for them
//! (docs/protocol.md, "Notification settings"): a level per conversation,
//! do not disturb, and a sound. The same rule as the pages'
//! (`ui/js/notifypolicy.js`): nothing while do not disturb lasts; in a
//! conversation at `mentions` or `muted`, only messages that mention them
//! or the whole room; at `all`, every message.
//!
//! The levels come from `GET /conversations` whenever the socket opens
//! and from `notify_changed` frames after; do not disturb and the sound
//! from `GET /settings` and `settings` frames. Neither frame is in the
//! event log, so a reconnect asks again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use server_core::{
    store::{ConversationId, NotifyLevel, UserId, parse_timestamp},
    ws::protocol::{MessageView, Settings},
};

/// Whether `message` mentions `me`, by name or as the whole room, as the
/// server found in its text (`mentions`, `mentions_room`).
fn mentions_me(message: &MessageView, me: UserId) -> bool {
    message.mentions_room || message.mentions.contains(&me)
}

/// A conversation's level and the settings, as last heard from the server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preferences {
    levels: HashMap<ConversationId, NotifyLevel>,
    dnd_until: Option<DateTime<Utc>>,
    sound: bool,
}

/// A conversation as `GET /conversations` lists it: the part we need.
#[derive(Debug, Deserialize)]
pub struct Listed {
    pub conversation_id: ConversationId,
    /// Left out by a server older than notification settings: all.
    #[serde(default)]
    pub notify: NotifyLevel,
}

impl Preferences {
    /// From `GET /conversations` and `GET /settings`.
    pub fn new(conversations: &[Listed], settings: &Settings) -> Self {
        let mut preferences = Self {
            levels: conversations
                .iter()
                .map(|c| (c.conversation_id, c.notify))
                .collect(),
            ..Self::default()
        };
        preferences.settings(settings);
        preferences
    }

    /// The settings as a `settings` frame (or `GET /settings`) says them.
    pub fn settings(&mut self, settings: &Settings) {
        self.dnd_until = settings.dnd_until.as_deref().and_then(parse_timestamp);
        self.sound = settings.sound;
    }

    /// A conversation's level, as a `notify_changed` frame says it.
    pub fn set_level(&mut self, conversation: ConversationId, level: NotifyLevel) {
        self.levels.insert(conversation, level);
    }

    /// Whether a notification should play a sound.
    pub fn sound(&self) -> bool {
        self.sound
    }

    /// Whether `message`, which someone else wrote, may notify `me` at
    /// `at`. A conversation not heard of yet (a new one) notifies every
    /// message, as a new one does on the server.
    pub fn allow(&self, message: &MessageView, me: UserId, at: DateTime<Utc>) -> bool {
        if self.dnd_until.is_some_and(|until| until > at) {
            return false;
        }
        let level = self.levels.get(&message.conversation_id).copied();
        match level.unwrap_or_default() {
            NotifyLevel::All => true,
            NotifyLevel::Mentions | NotifyLevel::Muted => mentions_me(message, me),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use server_core::{
        store::{Body, Conversation, ConversationKind, Message},
        ws::protocol::ServerEvent,
    };

    use super::*;
    use crate::notify::listener::read_frame;

    const ME: UserId = 1;
    const ANA: UserId = 2;
    const DESIGN: ConversationId = 20;
    const LUNCH: ConversationId = 21;

    fn settings(dnd_until: Option<&str>, sound: bool) -> Settings {
        Settings {
            read_receipts: true,
            dnd_until: dnd_until.map(str::to_owned),
            sound,
        }
    }

    fn listed(conversation_id: ConversationId, notify: NotifyLevel) -> Listed {
        Listed {
            conversation_id,
            notify,
        }
    }

    fn at() -> DateTime<Utc> {
        parse_timestamp("2026-12-01T10:00:00Z").unwrap()
    }

    /// Ana's message in a room, mentioning whom the server found in it.
    fn mentioning(
        conversation: ConversationId,
        mentions: &[UserId],
        mentions_room: bool,
    ) -> MessageView {
        let message = Message {
            id: 7,
            conversation_id: conversation,
            sender_id: ANA,
            body: Body::Text("hi".into()),
            created_at: at(),
            edited_at: None,
            deleted_at: None,
            client_id: None,
            reply_to: None,
            mentions: mentions.to_vec(),
            mentions_room,
            reactions: Vec::new(),
        };
        let room = Conversation {
            id: conversation,
            kind: ConversationKind::Room,
            title: None,
            members: vec![ME, ANA, 3],
        };
        MessageView::new(message, &room)
    }

    fn plain(conversation: ConversationId) -> MessageView {
        mentioning(conversation, &[], false)
    }

    #[test]
    fn at_all_every_message_notifies_and_at_mentions_or_muted_only_mentions_of_me() {
        let wanted = Preferences::new(
            &[
                listed(DESIGN, NotifyLevel::Muted),
                listed(LUNCH, NotifyLevel::Mentions),
            ],
            &settings(None, false),
        );
        assert!(wanted.allow(&plain(40), ME, at()), "a conversation at all");
        for quiet in [DESIGN, LUNCH] {
            assert!(!wanted.allow(&plain(quiet), ME, at()), "{quiet}");
            assert!(!wanted.allow(&mentioning(quiet, &[ANA, 3], false), ME, at()));
            assert!(wanted.allow(&mentioning(quiet, &[ME, ANA], false), ME, at()));
            assert!(
                wanted.allow(&mentioning(quiet, &[], true), ME, at()),
                "@room"
            );
        }
    }

    #[test]
    fn nothing_notifies_while_do_not_disturb_lasts_not_even_a_mention() {
        let until = "2026-12-01T10:30:00.000000Z";
        let wanted = Preferences::new(&[], &settings(Some(until), true));
        let me = mentioning(DESIGN, &[ME], true);
        assert!(!wanted.allow(&me, ME, at()));
        assert!(!wanted.allow(&me, ME, at() + Duration::minutes(29)));
        assert!(
            wanted.allow(&me, ME, at() + Duration::minutes(30)),
            "over at the time"
        );
        assert!(wanted.sound());
    }

    #[test]
    fn later_frames_change_levels_and_settings_and_leave_the_rest() {
        let mut wanted =
            Preferences::new(&[listed(DESIGN, NotifyLevel::All)], &settings(None, false));

        wanted.set_level(DESIGN, NotifyLevel::Muted);
        assert!(!wanted.allow(&plain(DESIGN), ME, at()));
        wanted.set_level(LUNCH, NotifyLevel::Mentions);
        assert!(
            !wanted.allow(&plain(LUNCH), ME, at()),
            "a new conversation's level"
        );

        wanted.settings(&settings(Some("2026-12-01T11:00:00Z"), true));
        assert!(!wanted.allow(&plain(40), ME, at()));
        assert!(wanted.sound());

        wanted.settings(&settings(None, false));
        assert!(wanted.allow(&plain(40), ME, at()), "do not disturb off");
        assert!(!wanted.sound());
        assert!(!wanted.allow(&plain(DESIGN), ME, at()), "levels stay");
    }

    #[test]
    fn mentions_are_read_from_the_frame_and_absent_ones_are_none() {
        let wanted = Preferences::new(
            &[listed(DESIGN, NotifyLevel::Muted)],
            &settings(None, false),
        );
        let message = |frame: &str| match read_frame(frame) {
            Some(ServerEvent::Message { message, .. }) => message,
            other => panic!("not a message frame: {other:?}"),
        };
        let mentioned = message(
            r#"{"type": "message", "id": 9, "sender_id": 2, "receiver_id": null, "conversation_id": 20, "content": "@ana hi", "mentions": [1, 4], "timestamp": "2026-12-01T10:20:30.123456Z", "is_edited": 0, "file_path": null, "file_name": null, "file_size": null, "mime_type": null, "edited_at": null, "seq": 3}"#,
        );
        assert_eq!(mentioned.mentions, [1, 4]);
        assert!(wanted.allow(&mentioned, ME, at()));
        let room = message(
            r#"{"type": "message", "id": 10, "sender_id": 2, "receiver_id": null, "conversation_id": 20, "content": "@room hi", "mentions_room": true, "timestamp": "2026-12-01T10:20:30.123456Z", "is_edited": 0, "file_path": null, "file_name": null, "file_size": null, "mime_type": null, "edited_at": null, "seq": 4}"#,
        );
        assert!(wanted.allow(&room, ME, at()));
        let unmentioned = message(
            r#"{"type": "message", "id": 11, "sender_id": 2, "receiver_id": null, "conversation_id": 20, "content": "hi", "timestamp": "2026-12-01T10:20:30.123456Z", "is_edited": 0, "file_path": null, "file_name": null, "file_size": null, "mime_type": null, "edited_at": null, "seq": 5}"#,
        );
        assert!(unmentioned.mentions.is_empty() && !unmentioned.mentions_room);
        assert!(!wanted.allow(&unmentioned, ME, at()));
    }

    #[test]
    fn a_conversation_list_without_levels_notifies_everything() {
        let old: Vec<Listed> =
            serde_json::from_str(r#"[{"conversation_id": 4, "kind": "room"}]"#).unwrap();
        let wanted = Preferences::new(&old, &settings(None, false));
        assert!(wanted.allow(&plain(4), ME, at()));
    }
}
