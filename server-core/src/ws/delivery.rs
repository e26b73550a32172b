//! Delivery receipts: which messages from others reached a socket of a
//! user, stored as the user's delivery position in each direct conversation
//! (the senders' first tick), and counted in every conversation for the
//! metrics. Positions are gathered for a moment and stored together, so a
//! busy socket costs a write now and then, not one per message; what is
//! pending when the socket ends is stored then.

use std::{collections::HashMap, time::Duration};

use tokio::time::Instant;

use super::registry::Delivery;
use crate::{
    domain::conversations,
    state::AppState,
    store::{ConversationId, MessageId, UserId},
};

/// How long a delivery may wait to be stored with the next ones.
const GATHER: Duration = Duration::from_millis(250);

pub struct Deliveries {
    state: AppState,
    user: UserId,
    newest: HashMap<ConversationId, MessageId>,
    /// When the oldest delivery not yet stored was noted.
    since: Option<Instant>,
}

impl Deliveries {
    pub fn new(state: AppState, user: UserId) -> Self {
        Self {
            state,
            user,
            newest: HashMap::new(),
            since: None,
        }
    }

    /// Notes a frame written to the user's socket.
    pub fn note(&mut self, delivery: Option<Delivery>) {
        let Some(delivery) = delivery.filter(|d| d.sender != self.user) else {
            return;
        };
        self.state.metrics.message_delivered();
        if delivery.receipt {
            let newest = self.newest.entry(delivery.conversation).or_default();
            *newest = (*newest).max(delivery.message);
            self.since.get_or_insert_with(Instant::now);
        }
    }

    /// When what is pending should be stored, if anything is.
    pub fn due(&self) -> Option<Instant> {
        self.since.map(|since| since + GATHER)
    }

    /// Stores the pending positions in the background: the socket goes on
    /// relaying meanwhile.
    pub fn record(&mut self) {
        self.since = None;
        for (conversation, message) in self.newest.drain() {
            let state = self.state.clone();
            let user = self.user;
            tokio::spawn(async move {
                if let Err(e) =
                    conversations::mark_delivered(&state, user, conversation, message).await
                {
                    tracing::debug!(error = %e, "could not record a delivery");
                }
            });
        }
    }
}

impl Drop for Deliveries {
    fn drop(&mut self) {
        self.record();
    }
}
