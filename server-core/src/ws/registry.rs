//! The sockets of this process: which belong to which user and session, and
//! delivery to them through bounded queues. What to deliver comes from the
//! bus ([`super::fanout`]); the registry knows nothing of other instances.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{
    bus::Revoked,
    store::{ConversationId, MessageId, SessionId, UserId},
};

pub type SocketId = u64;

/// A frame queued for a socket, shared by every socket it goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub frame: Utf8Bytes,
    /// For a message: once written to a socket of someone other than its
    /// sender, it counts as delivered.
    pub delivery: Option<Delivery>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub conversation: ConversationId,
    pub message: MessageId,
    pub sender: UserId,
    /// Whether its sender sees it delivered: in direct conversations only.
    pub receipt: bool,
}

impl From<Utf8Bytes> for Outgoing {
    fn from(frame: Utf8Bytes) -> Self {
        Self {
            frame,
            delivery: None,
        }
    }
}

/// Why the server ends a socket of its own accord.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Its queue filled: the client reads too slowly to keep up.
    TooSlow,
    /// Its session was revoked (logout, password change).
    Revoked,
}

/// Set once, then cancelled: the socket task reads why it must end.
#[derive(Default)]
pub struct EndSignal {
    reason: OnceLock<Ending>,
    token: CancellationToken,
}

impl EndSignal {
    fn end(&self, reason: Ending) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    /// Resolves with the reason once the socket must end.
    pub async fn ended(&self) -> Ending {
        self.token.cancelled().await;
        self.reason.get().copied().unwrap_or(Ending::Revoked)
    }
}

/// One socket's end of the registry.
pub struct Subscription {
    pub socket_id: SocketId,
    /// Serialized frames for this socket, bounded.
    pub frames: mpsc::Receiver<Outgoing>,
    pub end: Arc<EndSignal>,
}

struct Socket {
    id: SocketId,
    session: SessionId,
    frames: mpsc::Sender<Outgoing>,
    end: Arc<EndSignal>,
}

impl Socket {
    fn deliver(&self, frame: &Outgoing) {
        if self.frames.try_send(frame.clone()).is_err() {
            self.end.end(Ending::TooSlow);
        }
    }
}

pub struct Registry {
    queue_len: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: SocketId,
    sockets: HashMap<UserId, Vec<Socket>>,
}

impl Registry {
    /// `queue_len`: frames a socket may have waiting before it is dropped.
    pub fn new(queue_len: usize) -> Self {
        Self {
            queue_len,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // No update leaves the maps half-changed, so keep serving after a
        // panic elsewhere.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn register(&self, user: UserId, session: SessionId) -> Subscription {
        let (sender, frames) = mpsc::channel(self.queue_len);
        let end = Arc::new(EndSignal::default());
        let mut inner = self.lock();
        inner.next_id += 1;
        let socket_id = inner.next_id;
        inner.sockets.entry(user).or_default().push(Socket {
            id: socket_id,
            session,
            frames: sender,
            end: end.clone(),
        });
        Subscription {
            socket_id,
            frames,
            end,
        }
    }

    /// Sockets registered now.
    pub fn socket_count(&self) -> usize {
        self.lock().sockets.values().map(Vec::len).sum()
    }

    pub fn unregister(&self, user: UserId, socket: SocketId) {
        let mut inner = self.lock();
        if let Some(sockets) = inner.sockets.get_mut(&user) {
            sockets.retain(|s| s.id != socket);
            if sockets.is_empty() {
                inner.sockets.remove(&user);
            }
        }
    }

    /// Queues `frame` for every socket of each of `users`, who are distinct
    /// (a conversation's members are).
    pub fn deliver(&self, users: &[UserId], frame: &Outgoing) {
        let inner = self.lock();
        for socket in users
            .iter()
            .filter_map(|user| inner.sockets.get(user))
            .flatten()
        {
            socket.deliver(frame);
        }
    }

    /// Queues `frame` for every socket.
    pub fn deliver_to_all(&self, frame: &Outgoing) {
        for socket in self.lock().sockets.values().flatten() {
            socket.deliver(frame);
        }
    }

    /// Ends the sockets of `user`'s revoked sessions.
    pub fn revoke(&self, user: UserId, which: Revoked) {
        for socket in self.lock().sockets.get(&user).into_iter().flatten() {
            if which.covers(socket.session) {
                socket.end.end(Ending::Revoked);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_socket_whose_queue_is_full_is_told_to_end_and_others_still_get_frames() {
        let registry = Registry::new(1);
        let slow = registry.register(1, 10);
        let mut fine = registry.register(2, 20);
        let frame = Outgoing::from(Utf8Bytes::from_static("{}"));

        registry.deliver(&[1, 2], &frame);
        fine.frames.recv().await.unwrap();
        registry.deliver(&[1, 2], &frame);

        assert_eq!(slow.end.ended().await, Ending::TooSlow);
        assert_eq!(fine.frames.recv().await.unwrap(), frame);
        assert!(!fine.end.token.is_cancelled());
    }

    #[tokio::test]
    async fn revoking_a_session_ends_its_sockets_only() {
        let registry = Registry::new(4);
        let revoked = registry.register(1, 10);
        let kept = registry.register(1, 11);

        registry.revoke(1, Revoked::One(10));

        assert_eq!(revoked.end.ended().await, Ending::Revoked);
        assert!(!kept.end.token.is_cancelled());
    }

    #[tokio::test]
    async fn an_unregistered_socket_gets_nothing_more() {
        let registry = Registry::new(4);
        let mut socket = registry.register(1, 10);
        let frame = Outgoing::from(Utf8Bytes::from_static("{}"));
        registry.deliver(&[1], &frame);
        registry.unregister(1, socket.socket_id);
        registry.deliver(&[1], &frame);
        assert!(socket.frames.recv().await.is_some());
        assert!(socket.frames.try_recv().is_err());
    }
}
