//! The process's one bus subscription: every event any instance publishes
//! becomes a frame, encoded once, for the local sockets that should hear it.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt;

use super::{protocol::ServerEvent, registry::Registry};
use crate::{
    bus::{Event, Subscription},
    store::timestamp,
};

/// Delivers until the bus closes.
pub async fn run(mut events: Subscription, registry: Arc<Registry>) {
    while let Some(event) = events.next().await {
        deliver(&registry, event);
    }
}

fn deliver(registry: &Registry, event: Event) {
    match event {
        Event::Conversation(committed) => registry.deliver(
            &committed.conversation.members,
            &encode(&ServerEvent::committed(&committed)),
        ),
        Event::Typing {
            sender,
            to,
            conversation,
            is_typing,
        } => registry.deliver(
            &to,
            &encode(&ServerEvent::Typing {
                sender_id: sender,
                is_typing,
                conversation_id: conversation,
            }),
        ),
        Event::Presence {
            user,
            online,
            last_seen,
        } => registry.deliver_to_all(&encode(&ServerEvent::Presence {
            user_id: user,
            is_online: online,
            last_seen: last_seen.map(timestamp),
        })),
        Event::UserUpdated {
            user,
            profile_pic,
            about,
        } => registry.deliver_to_all(&encode(&ServerEvent::UserUpdated {
            user_id: user,
            profile_pic,
            about,
        })),
        Event::SessionsRevoked { user, which } => registry.revoke(user, which),
    }
}

fn encode(event: &ServerEvent) -> Utf8Bytes {
    serde_json::to_string(event)
        .expect("frames serialize")
        .into()
}
