//! The JSON frames of the WebSocket, and the message shape shared with the
//! HTTP API. Field names are the contract's; ours are additions.

use serde::{Deserialize, Serialize};

use crate::store::{
    Body, Change, Committed, Conversation, ConversationId, Message, MessageId, Seq, UserId,
    timestamp,
};

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    PrivateMessage {
        receiver_id: UserId,
        content: String,
    },
    EditMessage {
        message_id: MessageId,
        new_content: String,
    },
    Typing {
        receiver_id: UserId,
        is_typing: bool,
    },
}

/// What the server sends.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    PrivateMessage {
        #[serde(flatten)]
        message: MessageView,
        /// Ours: the message's place in the event log; absent on the echo
        /// of a resend, whose event was sent the first time.
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<Seq>,
    },
    EditMessage {
        message_id: MessageId,
        new_content: String,
        // Ours: who, where and when, so a client can place the edit without
        // a lookup.
        sender_id: UserId,
        receiver_id: UserId,
        conversation_id: ConversationId,
        edited_at: Option<String>,
        seq: Seq,
    },
    Typing {
        sender_id: UserId,
        is_typing: bool,
        /// Ours: the conversation typed in, once it exists.
        #[serde(skip_serializing_if = "Option::is_none")]
        conversation_id: Option<ConversationId>,
    },
    Presence {
        user_id: UserId,
        is_online: bool,
        last_seen: Option<String>,
    },
    /// Ours: someone's picture or About changed.
    UserUpdated {
        user_id: UserId,
        profile_pic: Option<String>,
        about: Option<String>,
    },
    Error {
        detail: String,
        /// Ours: the `client_id` of the frame that failed, if it had one.
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
}

/// Ours: a client may tag any frame with a `client_id` (a short string of
/// its choosing); the echo of a message it sent, or the error its frame
/// caused, carries the same tag, so it can tell which send succeeded.
pub const MAX_CLIENT_ID: usize = 64;

/// Reads a client frame and its tag; the tag is kept even when the frame
/// itself is malformed, so the error can name it.
pub fn parse(text: &str) -> (Option<String>, Result<ClientFrame, String>) {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return (None, Err(format!("Invalid frame: {e}"))),
    };
    let client_id = value
        .get("client_id")
        .and_then(|id| id.as_str())
        .filter(|id| id.len() <= MAX_CLIENT_ID)
        .map(str::to_owned);
    let frame = serde_json::from_value(value).map_err(|e| format!("Invalid frame: {e}"));
    (client_id, frame)
}

impl ServerEvent {
    /// The frame telling a conversation's members of a committed change.
    pub fn committed(event: &Committed) -> Self {
        match &event.change {
            Change::Posted(message) => Self::PrivateMessage {
                message: MessageView::new(message.clone(), &event.conversation),
                seq: Some(event.seq),
            },
            Change::Edited(message) => Self::EditMessage {
                message_id: message.id,
                new_content: match &message.body {
                    Body::Text(text) => text.clone(),
                    Body::File(file) => file.name.clone(),
                },
                sender_id: message.sender_id,
                receiver_id: event.conversation.peer_of(message.sender_id),
                conversation_id: message.conversation_id,
                edited_at: message.edited_at.map(timestamp),
                seq: event.seq,
            },
        }
    }
}

/// A message as the contract shows it: in history, in `private_message`
/// frames and as the answer to `/upload-file`.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub id: MessageId,
    pub sender_id: UserId,
    /// In a direct conversation, the other party (the sender, for a note to
    /// self).
    pub receiver_id: UserId,
    /// Ours.
    pub conversation_id: ConversationId,
    /// `null` for files.
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
    /// Ours: the sender's tag from the `private_message` frame, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl MessageView {
    pub fn new(message: Message, conversation: &Conversation) -> Self {
        let (content, file) = match message.body {
            Body::Text(text) => (Some(text), None),
            Body::File(file) => (None, Some(file)),
        };
        Self {
            id: message.id,
            sender_id: message.sender_id,
            receiver_id: conversation.peer_of(message.sender_id),
            conversation_id: message.conversation_id,
            content,
            timestamp: timestamp(message.created_at),
            is_edited: u8::from(message.edited_at.is_some()),
            file_path: file.as_ref().map(|f| f.path.clone()),
            file_name: file.as_ref().map(|f| f.name.clone()),
            file_size: file.as_ref().map(|f| f.size),
            mime_type: file.map(|f| f.mime_type),
            edited_at: message.edited_at.map(timestamp),
            client_id: message.client_id,
        }
    }
}
