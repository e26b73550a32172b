//! Black-box tests: the real server on 127.0.0.1:0 with a temporary data
//! directory, driven over real HTTP and WebSocket connections.

mod access;
mod accounts;
mod conversations;
mod docs;
mod extensions;
mod files;
mod hardening;
mod helpers;
mod messages;
mod metrics;
mod notifications;
mod operations;
mod properties;
mod reactions;
mod replies;
mod search;
mod ws;
