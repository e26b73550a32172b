//! The process's one bus subscription: every event any instance publishes
//! becomes a frame, encoded once, for the local sockets that should hear it.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt;

use super::{
    protocol::ServerEvent,
    registry::{Delivery, Outgoing, Registry},
};
use crate::{
    bus::{Event, Subscription},
    store::{Body, Change, Committed, ConversationKind, timestamp},
};

/// Delivers until the bus closes.
pub async fn run(mut events: Subscription, registry: Arc<Registry>) {
    while let Some(event) = events.next().await {
        deliver(&registry, event);
    }
}

fn deliver(registry: &Registry, event: Event) {
    match event {
        Event::Conversation(committed) => {
            let outgoing = Outgoing {
                frame: encode(&ServerEvent::committed(&committed)).frame,
                delivery: delivery(&committed),
            };
            registry.deliver(&committed.audience, &outgoing);
        }
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

/// What writing this event to a socket delivers, if anything.
pub fn delivery(event: &Committed) -> Option<Delivery> {
    match &event.change {
        Change::Posted(message) if matches!(message.body, Body::Text(_) | Body::File(_)) => {
            Some(Delivery {
                conversation: event.conversation.id,
                message: message.id,
                sender: message.sender_id,
                receipt: event.conversation.kind == ConversationKind::Direct,
            })
        }
        _ => None,
    }
}

pub fn encode(event: &ServerEvent) -> Outgoing {
    let frame: Utf8Bytes = serde_json::to_string(event)
        .expect("frames serialize")
        .into();
    frame.into()
}
