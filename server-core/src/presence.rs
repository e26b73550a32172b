//! Who is online: a user is while any socket of theirs is open. The socket
//! tasks report their sockets opening and closing; a user's first socket
//! and last closing are announced on the bus.
//!
//! [`LocalPresence`] counts the sockets of this process, which is the whole
//! truth for a server alone. Several instances put another [`Presence`]
//! behind the same seam (sockets counted across instances, heartbeats).

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    bus::{Bus, BusError, Event},
    store::UserId,
};

#[async_trait]
pub trait Presence: Send + Sync + 'static {
    /// A socket of `user` opened.
    async fn connected(&self, user: UserId) -> Result<(), BusError>;
    /// A socket of `user` closed at `at`.
    async fn disconnected(&self, user: UserId, at: DateTime<Utc>) -> Result<(), BusError>;
    fn online(&self) -> HashSet<UserId>;
}

pub struct LocalPresence {
    bus: Arc<dyn Bus>,
    /// Open sockets per online user.
    sockets: Mutex<HashMap<UserId, usize>>,
    /// Held from a change of the counts until its announcement is on the
    /// bus, so that announcements leave in the order the changes happened:
    /// "online" can never overtake the "offline" before it.
    announcing: tokio::sync::Mutex<()>,
}

impl LocalPresence {
    pub fn new(bus: Arc<dyn Bus>) -> Self {
        Self {
            bus,
            sockets: Mutex::default(),
            announcing: tokio::sync::Mutex::new(()),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, usize>> {
        // The counts stay consistent whatever panicked while they were held.
        self.sockets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Presence for LocalPresence {
    async fn connected(&self, user: UserId) -> Result<(), BusError> {
        let _order = self.announcing.lock().await;
        let first = {
            let mut counts = self.counts();
            let count = counts.entry(user).or_default();
            *count += 1;
            *count == 1
        };
        if first {
            self.bus
                .publish(Event::Presence {
                    user,
                    online: true,
                    last_seen: None,
                })
                .await?;
        }
        Ok(())
    }

    async fn disconnected(&self, user: UserId, at: DateTime<Utc>) -> Result<(), BusError> {
        let _order = self.announcing.lock().await;
        let last = {
            let mut counts = self.counts();
            match counts.get_mut(&user) {
                Some(count) if *count > 1 => {
                    *count -= 1;
                    false
                }
                Some(_) => {
                    counts.remove(&user);
                    true
                }
                None => false,
            }
        };
        if last {
            self.bus
                .publish(Event::Presence {
                    user,
                    online: false,
                    last_seen: Some(at),
                })
                .await?;
        }
        Ok(())
    }

    fn online(&self) -> HashSet<UserId> {
        self.counts().keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;
    use crate::bus::LocalBus;

    #[tokio::test]
    async fn only_the_first_socket_and_the_last_closing_are_announced() {
        let bus = Arc::new(LocalBus::new());
        let mut heard = bus.subscribe().await.unwrap();
        let presence = LocalPresence::new(bus.clone());
        let at = crate::store::now();

        presence.connected(7).await.unwrap();
        presence.connected(7).await.unwrap();
        presence.disconnected(7, at).await.unwrap();
        assert_eq!(presence.online(), HashSet::from([7]));
        presence.disconnected(7, at).await.unwrap();
        assert!(presence.online().is_empty());

        let expected = [
            Event::Presence {
                user: 7,
                online: true,
                last_seen: None,
            },
            Event::Presence {
                user: 7,
                online: false,
                last_seen: Some(at),
            },
        ];
        let marker = Event::UserUpdated {
            user: 1,
            profile_pic: None,
            about: None,
            display_name: None,
        };
        bus.publish(marker.clone()).await.unwrap();
        for event in expected.into_iter().chain([marker]) {
            assert_eq!(heard.next().await, Some(event));
        }
    }
}
