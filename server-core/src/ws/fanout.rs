//! The process's one bus subscription: every event any instance publishes
//! becomes a frame, encoded once, for the local sockets that should hear it.
//! Presence changes are gathered ([`Gathered`]) rather than sent one by one
//! to every socket.

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt;
use tokio::time::{Instant, sleep_until};

use super::{
    protocol::{PresenceChange, ServerEvent, WentOffline},
    registry::{Delivery, Outgoing, Registry},
};
use crate::{
    bus::{Event, Subscription},
    store::{Body, Change, Committed, ConversationKind, UserId, timestamp},
};

/// Delivers until the bus closes.
pub async fn run(mut events: Subscription, registry: Arc<Registry>, interval: Duration) {
    let mut presence = Gathered::new(interval);
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(event) => deliver(&registry, &mut presence, event),
                None => break,
            },
            () = sleep_until(presence.due().unwrap_or_else(Instant::now)), if presence.due().is_some() => {
                if let Some(frame) = presence.flush(Instant::now()) {
                    registry.deliver_to_all(&encode(&frame));
                }
            }
        }
    }
}

/// Presence changes waiting to be announced. The first change after a
/// quiet interval goes out at once; those that follow within the interval
/// wait for its end and go out together, each person once, in their latest
/// state.
struct Gathered {
    interval: Duration,
    last_sent: Option<Instant>,
    waiting: Vec<PresenceChange>,
    /// Where each waiting person is in `waiting`.
    index: HashMap<UserId, usize>,
}

impl Gathered {
    fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_sent: None,
            waiting: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Takes a change; the frame to send at once, if it is the first after
    /// a quiet interval.
    fn add(&mut self, change: PresenceChange, now: Instant) -> Option<ServerEvent> {
        let quiet = self
            .last_sent
            .is_none_or(|sent| now.duration_since(sent) >= self.interval);
        if quiet && self.waiting.is_empty() {
            self.last_sent = Some(now);
            return Some(ServerEvent::Presence(change));
        }
        match self.index.get(&change.user_id) {
            Some(&at) => self.waiting[at] = change,
            None => {
                self.index.insert(change.user_id, self.waiting.len());
                self.waiting.push(change);
            }
        }
        None
    }

    /// When the waiting changes are due, if any wait.
    fn due(&self) -> Option<Instant> {
        let sent = self.last_sent?;
        (!self.waiting.is_empty()).then(|| sent + self.interval)
    }

    /// The frame announcing the waiting changes: one person's own frame,
    /// or a batch.
    fn flush(&mut self, now: Instant) -> Option<ServerEvent> {
        self.index.clear();
        let mut changes = std::mem::take(&mut self.waiting);
        self.last_sent = Some(now);
        if changes.len() <= 1 {
            return changes.pop().map(ServerEvent::Presence);
        }
        let (online, offline): (Vec<_>, Vec<_>) =
            changes.into_iter().partition(|change| change.is_online);
        Some(ServerEvent::PresenceBatch {
            online: online.into_iter().map(|change| change.user_id).collect(),
            offline: offline
                .into_iter()
                .map(|change| WentOffline {
                    user_id: change.user_id,
                    last_seen: change.last_seen,
                })
                .collect(),
        })
    }
}

fn deliver(registry: &Registry, presence: &mut Gathered, event: Event) {
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
        } => {
            let change = PresenceChange {
                user_id: user,
                is_online: online,
                last_seen: last_seen.map(timestamp),
            };
            if let Some(frame) = presence.add(change, Instant::now()) {
                registry.deliver_to_all(&encode(&frame));
            }
        }
        Event::UserUpdated {
            user,
            profile_pic,
            about,
            display_name,
        } => registry.deliver_to_all(&encode(&ServerEvent::UserUpdated {
            user_id: user,
            profile_pic,
            about,
            display_name,
        })),
        Event::SettingsChanged { user, settings } => {
            registry.deliver(&[user], &encode(&ServerEvent::Settings((&settings).into())))
        }
        Event::NotifyChanged {
            user,
            conversation,
            notify,
        } => registry.deliver(
            &[user],
            &encode(&ServerEvent::NotifyChanged {
                conversation_id: conversation,
                notify,
            }),
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn change(user: UserId, online: bool) -> PresenceChange {
        PresenceChange {
            user_id: user,
            is_online: online,
            last_seen: (!online).then(|| "2026-12-01T10:00:00.000000Z".to_owned()),
        }
    }

    #[test]
    fn the_first_change_goes_at_once_and_the_rest_of_the_interval_together() {
        let second = Duration::from_secs(1);
        let mut gathered = Gathered::new(second);
        let start = Instant::now();

        let first = gathered.add(change(1, true), start);
        assert_eq!(first, Some(ServerEvent::Presence(change(1, true))));
        assert_eq!(gathered.due(), None);

        for user in [2, 3, 4] {
            assert_eq!(
                gathered.add(change(user, true), start + Duration::from_millis(10)),
                None
            );
        }
        // Someone who came and went within the interval: their latest state.
        assert_eq!(
            gathered.add(change(3, false), start + Duration::from_millis(20)),
            None
        );
        assert_eq!(gathered.due(), Some(start + second));

        let batch = gathered.flush(start + second);
        assert_eq!(
            batch,
            Some(ServerEvent::PresenceBatch {
                online: vec![2, 4],
                offline: vec![WentOffline {
                    user_id: 3,
                    last_seen: change(3, false).last_seen,
                }],
            })
        );
        assert_eq!(gathered.due(), None);

        // Within an interval of that flush, a lone change waits, and goes
        // alone in its own frame.
        assert_eq!(
            gathered.add(change(5, true), start + second + Duration::from_millis(500)),
            None
        );
        assert_eq!(gathered.due(), Some(start + second * 2));
        assert_eq!(
            gathered.flush(start + second * 2),
            Some(ServerEvent::Presence(change(5, true)))
        );

        // After a quiet interval, at once again.
        let later = start + second * 4;
        assert_eq!(
            gathered.add(change(6, true), later),
            Some(ServerEvent::Presence(change(6, true)))
        );
    }

    #[test]
    fn with_no_interval_every_change_goes_at_once() {
        let mut gathered = Gathered::new(Duration::ZERO);
        let now = Instant::now();
        for user in 1..=3 {
            assert_eq!(
                gathered.add(change(user, true), now),
                Some(ServerEvent::Presence(change(user, true)))
            );
        }
        assert_eq!(gathered.due(), None);
    }
}
