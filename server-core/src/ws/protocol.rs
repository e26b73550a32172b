//! The JSON frames of the WebSocket, and the message shape shared with the
//! HTTP API. Field names are the contract's; ours are additions. Direct
//! conversations keep the contract's frame types; rooms and groups have
//! their own, so that a client of the original never meets one of their
//! messages as a `private_message` (docs/protocol.md).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::{
    Body, Change, Committed, Conversation, ConversationId, ConversationKind, Message, MessageId,
    Notice, NotifyLevel, Quote, Quoted, Reaction, Seq, UserId, UserSettings, timestamp,
};

/// What a client may send.
#[derive(Debug, PartialEq, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    PrivateMessage {
        receiver_id: UserId,
        content: String,
        /// Ours: the message in the same conversation this one answers.
        reply_to: Option<MessageId>,
    },
    /// Ours: a message to any conversation the sender is in.
    SendMessage {
        conversation_id: ConversationId,
        content: String,
        /// The message in the same conversation this one answers.
        reply_to: Option<MessageId>,
    },
    EditMessage {
        message_id: MessageId,
        new_content: String,
    },
    /// Ours.
    DeleteMessage { message_id: MessageId },
    /// Ours: adds the sender's reaction (nothing if it is there already).
    React {
        message_id: MessageId,
        emoji: String,
    },
    /// Ours: takes the sender's reaction back (nothing if it is not there).
    Unreact {
        message_id: MessageId,
        emoji: String,
    },
    /// Ours.
    MarkRead {
        conversation_id: ConversationId,
        message_id: MessageId,
    },
    /// The contract's `receiver_id`, or our `conversation_id`.
    Typing {
        receiver_id: Option<UserId>,
        conversation_id: Option<ConversationId>,
        is_typing: bool,
    },
}

/// What the server sends. Clients in Rust (the desktop app) read frames
/// with the same type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// A message in a direct conversation.
    PrivateMessage {
        #[serde(flatten)]
        message: MessageView,
        /// Ours: the message's place in the event log; absent on the echo
        /// of a resend, whose event was sent the first time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
    },
    /// Ours: a message or notice in a room or group.
    Message {
        #[serde(flatten)]
        message: MessageView,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
    },
    /// An edit in a direct conversation.
    EditMessage(Edit),
    /// Ours: an edit in a room or group.
    MessageEdited(Edit),
    MessageDeleted {
        conversation_id: ConversationId,
        message_id: MessageId,
        deleted_by: UserId,
        seq: Seq,
    },
    Read {
        conversation_id: ConversationId,
        user_id: UserId,
        message_id: MessageId,
        seq: Seq,
    },
    Delivered {
        conversation_id: ConversationId,
        user_id: UserId,
        message_id: MessageId,
        seq: Seq,
    },
    /// Ours: someone added a reaction to a message (`added`), or took it
    /// back.
    Reaction {
        conversation_id: ConversationId,
        message_id: MessageId,
        user_id: UserId,
        emoji: String,
        added: bool,
        seq: Seq,
    },
    Typing {
        sender_id: UserId,
        is_typing: bool,
        /// Ours: the conversation typed in, once it exists.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<ConversationId>,
    },
    Presence(PresenceChange),
    /// Ours: several people came online or went offline within a moment of
    /// each other (a whole office reconnecting after a restart): one small
    /// frame for all of them.
    PresenceBatch {
        /// Who came online.
        online: Vec<UserId>,
        /// Who went offline, and when.
        offline: Vec<WentOffline>,
    },
    /// Ours: someone's picture, display name or About changed.
    UserUpdated {
        user_id: UserId,
        profile_pic: Option<String>,
        about: Option<String>,
        /// The name to show for them; `null`: their username.
        #[serde(default)]
        display_name: Option<String>,
    },
    /// Ours: the caller's settings as a `PUT /settings` (on any of their
    /// devices) left them; to the caller's own sockets only.
    Settings(Settings),
    /// Ours: the caller chose which messages of a conversation notify
    /// them; to the caller's own sockets only.
    NotifyChanged {
        conversation_id: ConversationId,
        notify: NotifyLevel,
    },
    /// Ours: the backfill asked for with `/ws?after=` is done (or, with
    /// `sync=1`, where the log stands): live frames follow.
    Synced {
        seq: Seq,
    },
    /// Ours: too much was missed to backfill; reload over HTTP.
    Reset {
        seq: Seq,
    },
    Error {
        detail: String,
        /// Ours: the `client_id` of the frame that failed, if it had one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
}

/// A person's own settings, as `GET /settings` answers and the `settings`
/// frame carries them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// Whether others see when the caller has read their messages (and the
    /// caller sees theirs).
    pub read_receipts: bool,
    /// Do not disturb until then: no notifications before it; `null`: off.
    pub dnd_until: Option<String>,
    /// Whether notifications play a sound.
    pub sound: bool,
}

impl From<&UserSettings> for Settings {
    fn from(settings: &UserSettings) -> Self {
        Self {
            read_receipts: settings.read_receipts,
            dnd_until: settings.dnd_until.map(timestamp),
            sound: settings.sound,
        }
    }
}

/// Someone came online, or went offline (with when).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PresenceChange {
    pub user_id: UserId,
    pub is_online: bool,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WentOffline {
    pub user_id: UserId,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Edit {
    pub message_id: MessageId,
    pub new_content: String,
    // Ours: who, where and when, so a client can place the edit without a
    // lookup.
    pub sender_id: UserId,
    pub receiver_id: Option<UserId>,
    pub conversation_id: ConversationId,
    pub edited_at: Option<String>,
    pub seq: Seq,
    /// The members the new text mentions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<UserId>,
    /// The new text notifies the whole conversation.
    #[serde(default, skip_serializing_if = "is_false")]
    pub mentions_room: bool,
}

fn is_false(flag: &bool) -> bool {
    !flag
}

impl ServerEvent {
    /// The frame for a message, in its conversation's kind.
    pub fn message(message: Message, conversation: &Conversation, seq: Option<Seq>) -> Self {
        let message = MessageView::new(message, conversation);
        match conversation.kind {
            ConversationKind::Direct => Self::PrivateMessage { message, seq },
            ConversationKind::Room | ConversationKind::Group => Self::Message { message, seq },
        }
    }

    /// The frame telling a conversation's members of a committed change.
    pub fn committed(event: &Committed) -> Self {
        let conversation_id = event.conversation.id;
        let seq = event.seq;
        match &event.change {
            Change::Posted(message) => {
                Self::message(message.clone(), &event.conversation, Some(seq))
            }
            Change::Edited(message) => {
                let edit = Edit {
                    message_id: message.id,
                    new_content: match &message.body {
                        Body::Text(text) => text.clone(),
                        Body::File(_) | Body::Notice(_) | Body::Deleted => String::new(),
                    },
                    sender_id: message.sender_id,
                    receiver_id: receiver(&event.conversation, message.sender_id),
                    conversation_id,
                    edited_at: message.edited_at.map(timestamp),
                    seq,
                    mentions: message.mentions.clone(),
                    mentions_room: message.mentions_room,
                };
                match event.conversation.kind {
                    ConversationKind::Direct => Self::EditMessage(edit),
                    ConversationKind::Room | ConversationKind::Group => Self::MessageEdited(edit),
                }
            }
            Change::Deleted {
                message_id,
                deleted_by,
            } => Self::MessageDeleted {
                conversation_id,
                message_id: *message_id,
                deleted_by: *deleted_by,
                seq,
            },
            Change::Read {
                user_id,
                message_id,
            } => Self::Read {
                conversation_id,
                user_id: *user_id,
                message_id: *message_id,
                seq,
            },
            Change::Delivered {
                user_id,
                message_id,
            } => Self::Delivered {
                conversation_id,
                user_id: *user_id,
                message_id: *message_id,
                seq,
            },
            Change::Reacted {
                message_id,
                user_id,
                emoji,
                added,
            } => Self::Reaction {
                conversation_id,
                message_id: *message_id,
                user_id: *user_id,
                emoji: emoji.clone(),
                added: *added,
                seq,
            },
        }
    }
}

/// The other party of a direct conversation; rooms and groups have none.
fn receiver(conversation: &Conversation, sender: UserId) -> Option<UserId> {
    (conversation.kind == ConversationKind::Direct).then(|| conversation.peer_of(sender))
}

/// Ours: a client may tag any frame with a `client_id` (a short string of
/// its choosing); the echo of a message it sent, or the error its frame
/// caused, carries the same tag, so it can tell which send succeeded. A
/// message's tag also makes a resend of it safe.
pub const MAX_CLIENT_ID: usize = 64;

/// Reads a client frame and its tag; the tag is kept even when the frame
/// itself is malformed, so the error can name it.
pub fn parse(text: &str) -> (Option<String>, Result<ClientFrame, String>) {
    // An object, not any JSON: serde reads a tagged enum from an array too,
    // type first (`["delete_message", 5]`), and no frame is written so.
    let value: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return (None, Err(format!("Invalid frame: {e}"))),
    };
    let client_id = value
        .get("client_id")
        .and_then(|id| id.as_str())
        .filter(|id| id.len() <= MAX_CLIENT_ID)
        .map(str::to_owned);
    let frame = serde_json::from_value(value.into()).map_err(|e| format!("Invalid frame: {e}"));
    (client_id, frame)
}

/// A message as the contract shows it: in history, in `private_message`
/// frames and as the answer to `/upload-file`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    pub id: MessageId,
    pub sender_id: UserId,
    /// In a direct conversation, the other party (the sender, for a note to
    /// self); `null` in rooms and groups.
    pub receiver_id: Option<UserId>,
    /// Ours.
    pub conversation_id: ConversationId,
    /// `null` for files, notices and deleted messages.
    pub content: Option<String>,
    pub timestamp: String,
    /// 0 or 1, as the original's SQLite column.
    pub is_edited: u8,
    /// `null` for text.
    pub file_path: Option<String>,
    // Ours, `null` for text: what a page needs to show a file card.
    pub file_name: Option<String>,
    pub file_size: Option<u64>,
    pub mime_type: Option<String>,
    pub edited_at: Option<String>,
    /// Ours: what a notice says happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
    /// Ours: when it was deleted; its content and file are gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// Ours: the sender's tag from the frame that sent it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Ours: what the message answers, as that message is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<QuoteView>,
    /// Ours: the members its text mentions, ascending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<UserId>,
    /// Ours: its text notifies the whole conversation (`@room`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub mentions_room: bool,
    /// Ours: by emoji, in the order each was first used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
}

/// What a reply shows of the message it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuoteView {
    pub message_id: MessageId,
    pub sender_id: UserId,
    pub kind: QuoteKind,
    /// The first line of a text, at most 140 characters ("…" when cut).
    pub excerpt: Option<String>,
    pub file_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuoteKind {
    Text,
    File,
    /// Deleted since: nothing of it is shown.
    Deleted,
}

impl From<Quote> for QuoteView {
    fn from(quote: Quote) -> Self {
        let (kind, excerpt, file_name) = match quote.quoted {
            Quoted::Text(excerpt) => (QuoteKind::Text, Some(excerpt), None),
            Quoted::File(name) => (QuoteKind::File, None, Some(name)),
            Quoted::Deleted => (QuoteKind::Deleted, None, None),
        };
        Self {
            message_id: quote.message_id,
            sender_id: quote.sender_id,
            kind,
            excerpt,
            file_name,
        }
    }
}

impl MessageView {
    pub fn new(message: Message, conversation: &Conversation) -> Self {
        let (content, file, notice) = match message.body {
            Body::Text(text) => (Some(text), None, None),
            Body::File(file) => (None, Some(file), None),
            Body::Notice(notice) => (None, None, Some(notice)),
            Body::Deleted => (None, None, None),
        };
        Self {
            id: message.id,
            sender_id: message.sender_id,
            receiver_id: receiver(conversation, message.sender_id),
            conversation_id: message.conversation_id,
            content,
            timestamp: timestamp(message.created_at),
            is_edited: u8::from(message.edited_at.is_some()),
            file_path: file.as_ref().map(|f| f.path.clone()),
            file_name: file.as_ref().map(|f| f.name.clone()),
            file_size: file.as_ref().map(|f| f.size),
            mime_type: file.map(|f| f.mime_type),
            edited_at: message.edited_at.map(timestamp),
            notice,
            deleted_at: message.deleted_at.map(timestamp),
            client_id: message.client_id,
            reply_to: message.reply_to.map(QuoteView::from),
            mentions: message.mentions,
            mentions_room: message.mentions_room,
            reactions: message.reactions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FileMeta, NoticeAction};

    fn conversation(kind: ConversationKind) -> Conversation {
        Conversation {
            id: 4,
            kind,
            title: None,
            members: vec![1, 2],
        }
    }

    fn message(body: Body) -> Message {
        Message {
            id: 9,
            conversation_id: 4,
            sender_id: 1,
            body,
            created_at: crate::store::now(),
            edited_at: None,
            deleted_at: None,
            client_id: Some("c-1".into()),
            reply_to: None,
            mentions: Vec::new(),
            mentions_room: false,
            reactions: Vec::new(),
        }
    }

    #[test]
    fn frames_read_back_as_they_were_written() {
        let file = Body::File(FileMeta {
            path: "static/files/1_ab_x.pdf".into(),
            name: "x.pdf".into(),
            size: 3,
            mime_type: "application/pdf".into(),
        });
        let notice = Body::Notice(Notice {
            action: NoticeAction::Added,
            user_id: Some(2),
            title: None,
        });
        let frames = [
            ServerEvent::message(
                message(Body::Text("hi".into())),
                &conversation(ConversationKind::Direct),
                Some(5),
            ),
            ServerEvent::message(message(file), &conversation(ConversationKind::Room), None),
            ServerEvent::message(
                message(notice),
                &conversation(ConversationKind::Group),
                Some(6),
            ),
            ServerEvent::message(
                Message {
                    reply_to: Some(Quote {
                        message_id: 3,
                        sender_id: 2,
                        quoted: Quoted::Text("the plan…".into()),
                    }),
                    mentions: vec![2],
                    mentions_room: true,
                    reactions: vec![Reaction {
                        emoji: "👍🏽".into(),
                        user_ids: vec![2, 1],
                    }],
                    ..message(Body::Text("yes @bob @room".into()))
                },
                &conversation(ConversationKind::Room),
                Some(8),
            ),
            ServerEvent::committed(&Committed {
                seq: 9,
                conversation: conversation(ConversationKind::Group),
                audience: vec![1, 2],
                at: crate::store::now(),
                change: Change::Reacted {
                    message_id: 9,
                    user_id: 2,
                    emoji: "🎉".into(),
                    added: false,
                },
            }),
            ServerEvent::Synced { seq: 7 },
        ];
        for frame in frames {
            let text = serde_json::to_string(&frame).unwrap();
            assert_eq!(
                serde_json::from_str::<ServerEvent>(&text).unwrap(),
                frame,
                "{text}"
            );
        }
    }

    #[test]
    fn a_message_without_replies_mentions_or_reactions_has_none_of_their_fields() {
        let frame = ServerEvent::message(
            message(Body::Text("hi".into())),
            &conversation(ConversationKind::Direct),
            Some(5),
        );

        let frame = serde_json::to_value(frame).unwrap();

        for field in ["reply_to", "mentions", "mentions_room", "reactions"] {
            assert!(frame.get(field).is_none(), "{field} in {frame}");
        }
    }

    #[test]
    fn a_quote_says_what_kind_of_message_it_quotes() {
        let quote = |quoted| {
            serde_json::to_value(QuoteView::from(Quote {
                message_id: 3,
                sender_id: 2,
                quoted,
            }))
            .unwrap()
        };

        let text = quote(Quoted::Text("hello".into()));
        let file = quote(Quoted::File("plan.pdf".into()));
        let deleted = quote(Quoted::Deleted);

        assert_eq!(text["kind"], "text");
        assert_eq!(text["excerpt"], "hello");
        assert!(text["file_name"].is_null());
        assert_eq!(file["kind"], "file");
        assert_eq!(file["file_name"], "plan.pdf");
        assert!(file["excerpt"].is_null());
        assert_eq!(deleted["kind"], "deleted");
        assert!(deleted["excerpt"].is_null() && deleted["file_name"].is_null());
        assert_eq!(
            (deleted["message_id"].clone(), deleted["sender_id"].clone()),
            (3.into(), 2.into())
        );
    }

    #[test]
    fn direct_conversations_keep_the_contracts_frame_and_rooms_get_their_own() {
        let direct = ServerEvent::message(
            message(Body::Text("hi".into())),
            &conversation(ConversationKind::Direct),
            Some(5),
        );
        let room = ServerEvent::message(
            message(Body::Text("hi".into())),
            &conversation(ConversationKind::Room),
            Some(5),
        );

        let direct = serde_json::to_value(direct).unwrap();
        let room = serde_json::to_value(room).unwrap();

        assert_eq!(direct["type"], "private_message");
        assert_eq!(direct["receiver_id"], 2);
        assert_eq!(room["type"], "message");
        assert!(room["receiver_id"].is_null());
    }
}

#[cfg(test)]
mod properties;
