//! The JSON frames of the WebSocket, and the message shape shared with the
//! HTTP API. Field names are the contract's; ours are additions.

use serde::{Deserialize, Serialize};

use crate::store::{Body, Message, MessageId, UserId};

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
    PrivateMessage(MessageView),
    EditMessage {
        message_id: MessageId,
        new_content: String,
        // Ours: who and when, so a client can place the edit without a lookup.
        sender_id: UserId,
        receiver_id: UserId,
        edited_at: Option<String>,
    },
    Typing {
        sender_id: UserId,
        is_typing: bool,
    },
    Presence {
        user_id: UserId,
        is_online: bool,
        last_seen: Option<String>,
    },
    Error {
        detail: String,
    },
}

/// A message as the contract shows it: in history, in `private_message`
/// frames and as the answer to `/upload-file`.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub id: MessageId,
    pub sender_id: UserId,
    pub receiver_id: UserId,
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
}

impl From<Message> for MessageView {
    fn from(message: Message) -> Self {
        let (content, file) = match message.body {
            Body::Text(text) => (Some(text), None),
            Body::File(file) => (None, Some(file)),
        };
        Self {
            id: message.id,
            sender_id: message.sender_id,
            receiver_id: message.receiver_id,
            content,
            timestamp: message.created_at,
            is_edited: u8::from(message.edited_at.is_some()),
            file_path: file.as_ref().map(|f| f.path.clone()),
            file_name: file.as_ref().map(|f| f.name.clone()),
            file_size: file.as_ref().map(|f| f.size),
            mime_type: file.map(|f| f.mime_type),
            edited_at: message.edited_at,
        }
    }
}
