//! Sending and editing messages: check, store, then fan out. The WebSocket
//! and `/upload-file` both come through here, so a message is always
//! committed before anyone hears of it.

use crate::{
    error::{AppError, AppResult},
    state::AppState,
    store::{Body, MessageId, UserId, now_timestamp},
    ws::protocol::{MessageView, ServerEvent},
};

pub const MAX_MESSAGE_CHARS: usize = 10_000;

pub fn check_text(content: &str) -> AppResult<()> {
    if content.trim().is_empty() {
        return Err(AppError::BadRequest("Message is empty".into()));
    }
    if content.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::BadRequest(format!(
            "Message is too long (at most {MAX_MESSAGE_CHARS} characters)"
        )));
    }
    Ok(())
}

/// Stores a message and delivers it to every socket of both parties,
/// tagged with the sender's `client_id` if it gave one.
pub async fn send(
    state: &AppState,
    sender: UserId,
    receiver: UserId,
    body: Body,
    client_id: Option<String>,
) -> AppResult<MessageView> {
    if let Body::Text(text) = &body {
        check_text(text)?;
    }
    let message = state
        .store
        .send_message(sender, receiver, body, &now_timestamp())
        .await?;
    let view = MessageView {
        client_id,
        ..MessageView::from(message)
    };
    state.hub.publish(
        &[sender, receiver],
        &ServerEvent::PrivateMessage(view.clone()),
    );
    Ok(view)
}

/// Replaces the text of the editor's own message and tells both parties.
pub async fn edit(
    state: &AppState,
    editor: UserId,
    id: MessageId,
    new_content: String,
) -> AppResult<()> {
    check_text(&new_content)?;
    let message = state
        .store
        .edit_message(editor, id, &new_content, &now_timestamp())
        .await?;
    state.hub.publish(
        &[message.sender_id, message.receiver_id],
        &ServerEvent::EditMessage {
            message_id: message.id,
            new_content,
            sender_id: message.sender_id,
            receiver_id: message.receiver_id,
            edited_at: message.edited_at,
        },
    );
    Ok(())
}
