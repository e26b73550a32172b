//! The bus seam: domain events carried between server instances.
//!
//! Every instance publishes what happened (a committed change, someone
//! typing, coming online, a session revoked) and holds exactly one
//! subscription, through which it hears every instance's events, its own
//! included, and delivers them to its own sockets ([`crate::ws::fanout`]).
//! Nothing above this seam may assume that one process sees every socket.
//!
//! [`LocalBus`] is the in-process bus of a single server.

use std::{pin::Pin, sync::Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::store::{Committed, ConversationId, NotifyLevel, SessionId, UserId, UserSettings};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A change committed to a conversation, for its members.
    Conversation(Box<Committed>),
    Typing {
        sender: UserId,
        /// Who hears of it.
        to: Vec<UserId>,
        conversation: Option<ConversationId>,
        is_typing: bool,
    },
    /// A user's first socket anywhere opened, or their last one closed.
    Presence {
        user: UserId,
        online: bool,
        last_seen: Option<DateTime<Utc>>,
    },
    /// A user's picture, display name or About changed.
    UserUpdated {
        user: UserId,
        profile_pic: Option<String>,
        about: Option<String>,
        display_name: Option<String>,
    },
    /// A user's settings changed: their own sockets hear them, nobody else.
    SettingsChanged {
        user: UserId,
        settings: UserSettings,
    },
    /// A user set which messages of a conversation notify them; for their
    /// own sockets only.
    NotifyChanged {
        user: UserId,
        conversation: ConversationId,
        notify: NotifyLevel,
    },
    /// Sessions that ended: their sockets close at once, wherever they are.
    SessionsRevoked { user: UserId, which: Revoked },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Revoked {
    One(SessionId),
    AllBut(SessionId),
}

impl Revoked {
    pub fn covers(self, session: SessionId) -> bool {
        match self {
            Self::One(revoked) => session == revoked,
            Self::AllBut(kept) => session != kept,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("message bus unavailable: {0}")]
pub struct BusError(pub String);

pub type Subscription = Pin<Box<dyn Stream<Item = Event> + Send>>;

#[async_trait]
pub trait Bus: Send + Sync + 'static {
    /// Hands an event to every instance's subscription. Events one caller
    /// publishes in turn are heard in that order.
    async fn publish(&self, event: Event) -> Result<(), BusError>;
    /// This instance's one subscription; asked for once, at start.
    async fn subscribe(&self) -> Result<Subscription, BusError>;
}

/// Events waiting for the one subscriber before publishers wait for room.
const LOCAL_QUEUE: usize = 65_536;

/// The bus of a server alone: a queue from publishers to its subscriber.
pub struct LocalBus {
    sender: flume::Sender<Event>,
    receiver: Mutex<Option<flume::Receiver<Event>>>,
}

impl LocalBus {
    pub fn new() -> Self {
        let (sender, receiver) = flume::bounded(LOCAL_QUEUE);
        Self {
            sender,
            receiver: Mutex::new(Some(receiver)),
        }
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn publish(&self, event: Event) -> Result<(), BusError> {
        self.sender
            .send_async(event)
            .await
            .map_err(|_| BusError("the subscriber is gone".into()))
    }

    async fn subscribe(&self) -> Result<Subscription, BusError> {
        let receiver = self
            .receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .ok_or_else(|| BusError("an in-process bus has one subscriber".into()))?;
        Ok(Box::pin(receiver.into_stream()))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn typing(sender: UserId) -> Event {
        Event::Typing {
            sender,
            to: vec![2],
            conversation: None,
            is_typing: true,
        }
    }

    #[tokio::test]
    async fn the_subscriber_hears_events_in_the_order_they_were_published() {
        let bus = LocalBus::new();
        let mut events = bus.subscribe().await.unwrap();
        for sender in 1..=3 {
            bus.publish(typing(sender)).await.unwrap();
        }
        for sender in 1..=3 {
            assert_eq!(events.next().await, Some(typing(sender)));
        }
    }

    #[tokio::test]
    async fn an_in_process_bus_has_a_single_subscription() {
        let bus = LocalBus::new();
        let _first = bus.subscribe().await.unwrap();
        assert!(bus.subscribe().await.is_err());
    }

    #[test]
    fn revoking_all_but_one_session_spares_only_that_one() {
        assert!(Revoked::AllBut(3).covers(4));
        assert!(!Revoked::AllBut(3).covers(3));
        assert!(Revoked::One(3).covers(3));
        assert!(!Revoked::One(3).covers(4));
    }
}
