//! The fan-out seam: who is connected, and delivering events to them.
//!
//! [`LocalHub`] keeps every socket of this process in memory. A deployment
//! spread over several hosts would put a message bus behind [`Hub`].

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::protocol::ServerEvent;
use crate::store::UserId;

pub type SocketId = u64;

/// One socket's end of the hub.
pub struct Subscription {
    pub socket_id: SocketId,
    /// Serialized events for this socket, bounded.
    pub events: mpsc::Receiver<Utf8Bytes>,
    /// Cancelled when the socket fell so far behind that its queue filled;
    /// the socket must then close.
    pub evicted: CancellationToken,
}

/// Presence is the hub's business: it announces a user's first socket and
/// last disconnect to everyone, in the same critical section that changes
/// the socket set, so that announcements can never arrive out of order.
pub trait Hub: Send + Sync + 'static {
    fn subscribe(&self, user: UserId) -> Subscription;
    /// Forgets a socket. When it was the user's last, announces them offline
    /// as of `at` and returns true.
    fn unsubscribe(&self, user: UserId, socket: SocketId, at: &str) -> bool;
    /// Delivers to every socket of each user in `users` (each user once).
    fn publish(&self, users: &[UserId], event: &ServerEvent);
    /// Delivers to every connected socket.
    fn broadcast(&self, event: &ServerEvent);
    fn online_users(&self) -> HashSet<UserId>;
}

struct Socket {
    id: SocketId,
    events: mpsc::Sender<Utf8Bytes>,
    evicted: CancellationToken,
}

pub struct LocalHub {
    queue_len: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: SocketId,
    sockets: HashMap<UserId, Vec<Socket>>,
}

impl LocalHub {
    /// `queue_len`: events a socket may have waiting before it is evicted.
    pub fn new(queue_len: usize) -> Self {
        Self {
            queue_len,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the maps half-updated
        // in a harmful way, so keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    fn broadcast(&self, event: &ServerEvent) {
        let frame = encode(event);
        for socket in self.sockets.values().flatten() {
            deliver(socket, &frame);
        }
    }
}

fn encode(event: &ServerEvent) -> Utf8Bytes {
    serde_json::to_string(event)
        .expect("events serialize")
        .into()
}

fn deliver(socket: &Socket, frame: &Utf8Bytes) {
    if socket.events.try_send(frame.clone()).is_err() {
        socket.evicted.cancel();
    }
}

impl Hub for LocalHub {
    fn subscribe(&self, user: UserId) -> Subscription {
        let (sender, events) = mpsc::channel(self.queue_len);
        let evicted = CancellationToken::new();
        let mut inner = self.lock();
        inner.next_id += 1;
        let socket_id = inner.next_id;
        let sockets = inner.sockets.entry(user).or_default();
        let came_online = sockets.is_empty();
        sockets.push(Socket {
            id: socket_id,
            events: sender,
            evicted: evicted.clone(),
        });
        if came_online {
            inner.broadcast(&ServerEvent::Presence {
                user_id: user,
                is_online: true,
                last_seen: None,
            });
        }
        Subscription {
            socket_id,
            events,
            evicted,
        }
    }

    fn unsubscribe(&self, user: UserId, socket: SocketId, at: &str) -> bool {
        let mut inner = self.lock();
        let Some(sockets) = inner.sockets.get_mut(&user) else {
            return false;
        };
        sockets.retain(|s| s.id != socket);
        if !sockets.is_empty() {
            return false;
        }
        inner.sockets.remove(&user);
        inner.broadcast(&ServerEvent::Presence {
            user_id: user,
            is_online: false,
            last_seen: Some(at.to_owned()),
        });
        true
    }

    fn publish(&self, users: &[UserId], event: &ServerEvent) {
        let frame = encode(event);
        let inner = self.lock();
        let unique: HashSet<_> = users.iter().collect();
        for socket in unique
            .into_iter()
            .filter_map(|u| inner.sockets.get(u))
            .flatten()
        {
            deliver(socket, &frame);
        }
    }

    fn broadcast(&self, event: &ServerEvent) {
        self.lock().broadcast(event);
    }

    fn online_users(&self) -> HashSet<UserId> {
        self.lock().sockets.keys().copied().collect()
    }
}
