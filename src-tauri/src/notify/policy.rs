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
    ws::protocol::Settings,
};

/// Whom a message mentions, as its frame says (`mentions`, `mentions_room`;
/// both left out when there are none). Read from the frame's text beside
/// the message itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Mentions {
    #[serde(default)]
    pub mentions: Vec<UserId>,
    #[serde(default)]
    pub mentions_room: bool,
}

impl Mentions {
    /// The mentions in a frame's text; none if it has none (or is no frame).
    pub fn in_frame(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }

    fn name(&self, me: UserId) -> bool {
        self.mentions_room || self.mentions.contains(&me)
    }
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

    /// Whether a message someone else wrote in `conversation`, mentioning
    /// whom `mentions` says, may notify `me` at `at`. A conversation not
    /// heard of yet (a new one) notifies every message, as a new one does
    /// on the server.
    pub fn allow(
        &self,
        conversation: ConversationId,
        mentions: &Mentions,
        me: UserId,
        at: DateTime<Utc>,
    ) -> bool {
        if self.dnd_until.is_some_and(|until| until > at) {
            return false;
        }
        match self.levels.get(&conversation).copied().unwrap_or_default() {
            NotifyLevel::All => true,
            NotifyLevel::Mentions | NotifyLevel::Muted => mentions.name(me),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    const ME: UserId = 1;
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

    fn mentioning(ids: &[UserId], room: bool) -> Mentions {
        Mentions {
            mentions: ids.to_vec(),
            mentions_room: room,
        }
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
        let none = Mentions::default();
        assert!(wanted.allow(40, &none, ME, at()), "a conversation at all");
        for quiet in [DESIGN, LUNCH] {
            assert!(!wanted.allow(quiet, &none, ME, at()), "{quiet}");
            assert!(!wanted.allow(quiet, &mentioning(&[2, 3], false), ME, at()));
            assert!(wanted.allow(quiet, &mentioning(&[2, ME], false), ME, at()));
            assert!(
                wanted.allow(quiet, &mentioning(&[], true), ME, at()),
                "@room"
            );
        }
    }

    #[test]
    fn nothing_notifies_while_do_not_disturb_lasts_not_even_a_mention() {
        let until = "2026-12-01T10:30:00.000000Z";
        let wanted = Preferences::new(&[], &settings(Some(until), true));
        let me = mentioning(&[ME], true);
        assert!(!wanted.allow(DESIGN, &me, ME, at()));
        assert!(!wanted.allow(DESIGN, &me, ME, at() + Duration::minutes(29)));
        assert!(
            wanted.allow(DESIGN, &me, ME, at() + Duration::minutes(30)),
            "over at the time"
        );
        assert!(wanted.sound());
    }

    #[test]
    fn later_frames_change_levels_and_settings_and_leave_the_rest() {
        let mut wanted =
            Preferences::new(&[listed(DESIGN, NotifyLevel::All)], &settings(None, false));
        let none = Mentions::default();

        wanted.set_level(DESIGN, NotifyLevel::Muted);
        assert!(!wanted.allow(DESIGN, &none, ME, at()));
        wanted.set_level(LUNCH, NotifyLevel::Mentions);
        assert!(
            !wanted.allow(LUNCH, &none, ME, at()),
            "a new conversation's level"
        );

        wanted.settings(&settings(Some("2026-12-01T11:00:00Z"), true));
        assert!(!wanted.allow(40, &none, ME, at()));
        assert!(wanted.sound());

        wanted.settings(&settings(None, false));
        assert!(wanted.allow(40, &none, ME, at()), "do not disturb off");
        assert!(!wanted.sound());
        assert!(!wanted.allow(DESIGN, &none, ME, at()), "levels stay");
    }

    #[test]
    fn mentions_are_read_from_the_frame_and_absent_ones_are_none() {
        let frame = r#"{"type": "message", "id": 9, "sender_id": 2, "receiver_id": null, "conversation_id": 20, "content": "@ana hi", "mentions": [1, 4], "mentions_room": true, "timestamp": "2026-12-01T10:20:30.123456Z", "is_edited": 0, "file_path": null, "file_name": null, "file_size": null, "mime_type": null, "edited_at": null, "seq": 3}"#;
        assert_eq!(Mentions::in_frame(frame), mentioning(&[1, 4], true));
        let plain = r#"{"type": "message", "id": 9, "content": "hi"}"#;
        assert_eq!(Mentions::in_frame(plain), Mentions::default());
        assert_eq!(Mentions::in_frame("not json"), Mentions::default());
    }

    #[test]
    fn a_conversation_list_without_levels_notifies_everything() {
        let old: Vec<Listed> =
            serde_json::from_str(r#"[{"conversation_id": 4, "kind": "room"}]"#).unwrap();
        let wanted = Preferences::new(&old, &settings(None, false));
        assert!(wanted.allow(4, &Mentions::default(), ME, at()));
    }
}
