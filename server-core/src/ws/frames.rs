//! Acting on the frames a client sends: each is a thin adapter over a use
//! case in [`crate::domain`].

use std::collections::HashMap;

use futures_util::{FutureExt, future::BoxFuture};

use super::protocol::{ClientFrame, ServerEvent};
use crate::{
    auth::AuthUser,
    domain::{DomainError, conversations, messages, reactions},
    error::AppResult,
    state::AppState,
    store::{Body, ConversationId, MessageId, NewMessage, UserId},
};

/// The answer a queued message owes this socket alone, once it is
/// committed: nothing, or the echo of a resend. Everything else reaches
/// sockets through the bus.
pub type Committed = BoxFuture<'static, AppResult<Option<ServerEvent>>>;

/// The direct conversations a socket has written to, by the other person:
/// found once, since they never change.
pub type Directs = HashMap<UserId, ConversationId>;

/// Acts on one client frame; a message is queued, and what is owed once it
/// is committed comes back.
pub async fn handle(
    state: &AppState,
    user: AuthUser,
    frame: ClientFrame,
    client_id: Option<String>,
    directs: &mut Directs,
) -> AppResult<Option<Committed>> {
    match frame {
        ClientFrame::PrivateMessage {
            receiver_id,
            content,
            reply_to,
        } => {
            let conversation = match directs.get(&receiver_id) {
                Some(conversation) => *conversation,
                None => {
                    let found =
                        messages::direct_conversation(state, user.user_id, receiver_id).await?;
                    directs.insert(receiver_id, found);
                    found
                }
            };
            let new = text(user, conversation, content, reply_to, client_id);
            return send_text(state, new).await;
        }
        ClientFrame::SendMessage {
            conversation_id,
            content,
            reply_to,
        } => {
            let new = text(user, conversation_id, content, reply_to, client_id);
            return send_text(state, new).await;
        }
        ClientFrame::DeleteMessage { message_id } => {
            conversations::delete_message(state, user.user_id, None, message_id).await?;
        }
        ClientFrame::React { message_id, emoji } => {
            reactions::react(state, user.user_id, None, message_id, &emoji, true).await?;
        }
        ClientFrame::Unreact { message_id, emoji } => {
            reactions::react(state, user.user_id, None, message_id, &emoji, false).await?;
        }
        ClientFrame::MarkRead {
            conversation_id,
            message_id,
        } => {
            conversations::mark_read(state, user.user_id, conversation_id, message_id).await?;
        }
        ClientFrame::EditMessage {
            message_id,
            new_content,
        } => {
            messages::edit(state, user.user_id, message_id, &new_content).await?;
        }
        ClientFrame::Typing {
            receiver_id,
            conversation_id,
            is_typing,
        } => match (conversation_id, receiver_id) {
            (Some(conversation), _) => {
                messages::typing_in(state, user.user_id, conversation, is_typing).await?;
            }
            (None, Some(receiver)) => {
                messages::typing_to(state, user.user_id, receiver, is_typing).await?;
            }
            (None, None) => {
                return Err(DomainError::Invalid(
                    "A typing frame names a receiver_id or a conversation_id".into(),
                )
                .into());
            }
        },
    }
    Ok(None)
}

/// A text message from `user`, as a frame asks.
fn text(
    user: AuthUser,
    conversation: ConversationId,
    content: String,
    reply_to: Option<MessageId>,
    client_id: Option<String>,
) -> NewMessage {
    NewMessage {
        conversation,
        sender: user.user_id,
        body: Body::Text(content),
        client_id,
        reply_to,
    }
}

/// Queues a text message; a resend of a message already stored gets its
/// echo on this socket alone: its members heard of it the first time, but
/// this socket may not have.
async fn send_text(state: &AppState, new: NewMessage) -> AppResult<Option<Committed>> {
    let committed = messages::queue(state, new).await?;
    Ok(Some(
        async move {
            let sent = committed.await?;
            Ok(sent
                .seq
                .is_none()
                .then(|| ServerEvent::message(sent.message, &sent.conversation, None)))
        }
        .boxed(),
    ))
}
