//! One socket's life: registered, backfilled if the client asked, then
//! relaying queued frames out and client frames in until it ends.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures_util::{
    FutureExt, SinkExt, StreamExt,
    future::{BoxFuture, ready},
    stream::FuturesOrdered,
};
use tokio::{
    sync::mpsc,
    time::{Instant, sleep_until, timeout},
};
use tracing::Instrument;

use super::{
    Resume,
    delivery::Deliveries,
    fanout::{delivery, encode},
    frames::{self, Directs},
    protocol::{self, ServerEvent},
    registry::{Ending, Outgoing, Subscription},
};
use crate::{
    auth::AuthUser,
    domain::conversations::{self, MAX_BACKFILL},
    error::{AppError, AppResult},
    metrics::{Metrics, SlowDrop},
    state::AppState,
    store::{Catchup, UserId, now},
};

/// Most queued events written before one flush.
const RELAY_BATCH: usize = 64;
/// Most frames read ahead of their answers (messages waiting for their
/// commit, mostly).
const PIPELINE: usize = 128;
/// A socket that cannot take a frame within this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// One socket's life: register, relay, and on the way out record when the
/// user was last seen.
///
/// The socket is registered once the upgrade is done, a moment after the
/// client saw its handshake succeed; an event of someone else's falling in
/// that moment is not pushed. Clients load history after connecting (our
/// pages do, after every reconnect), so it is never lost, only not pushed.
pub async fn run(
    state: AppState,
    user: AuthUser,
    token: String,
    resume: Resume,
    mut socket: WebSocket,
) {
    let mut subscription = state.registry.register(user.user_id, user.session_id);
    let span = tracing::info_span!(
        "socket",
        user_id = user.user_id,
        socket_id = subscription.socket_id
    );
    async {
        tracing::debug!("connected");
        if let Err(e) = state.presence.connected(user.user_id).await {
            tracing::warn!(error = %e, "could not announce the user online");
        }
        // Dropped, and so stored, when the socket ends.
        let mut deliveries = Deliveries::new(state.clone(), user.user_id);
        let caught_up = catch_up(&state, user.user_id, &resume, &mut socket, &mut deliveries).await;
        let end = match caught_up {
            Ok(()) => {
                let pumped = pump(
                    &state,
                    user,
                    &token,
                    &mut socket,
                    &mut subscription,
                    &mut deliveries,
                );
                pumped.await
            }
            Err(end) => end,
        };
        if let Some(frame) = end {
            tracing::debug!(reason = %frame.reason, "closing");
            let _ = timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
        }
        state
            .registry
            .unregister(user.user_id, subscription.socket_id);
        // Stored before presence can announce it, so that a client reading
        // GET /users on hearing "offline" sees this last_seen. Only presence
        // knows which socket is the last, so every socket records it; for a
        // user still online elsewhere that is harmless.
        let at = now();
        if let Err(e) = state.store.set_last_seen(user.user_id, at).await {
            tracing::warn!(error = %e, "could not record last_seen");
        }
        if let Err(e) = state.presence.disconnected(user.user_id, at).await {
            tracing::warn!(error = %e, "could not announce the user offline");
        }
        tracing::debug!("disconnected");
    }
    .instrument(span)
    .await;
}

/// Relays until the socket ends; returns the close frame to send, if any.
/// A revoked session ends its sockets at once (the registry hears of it on
/// the bus); at each ping the session is checked again as well, which
/// covers sessions that merely expired.
async fn pump(
    state: &AppState,
    user: AuthUser,
    token: &str,
    socket: &mut WebSocket,
    subscription: &mut Subscription,
    deliveries: &mut Deliveries,
) -> Option<CloseFrame> {
    let interval = state.config.ping_interval;
    let mut ping = tokio::time::interval_at(Instant::now() + interval, interval);
    let mut last_heard = Instant::now();
    let end = subscription.end.clone();
    // The answers this socket owes, in the order of the frames they answer:
    // a message is queued for storing and the next frame read at once, so
    // that a client sending many gets them committed together.
    let mut answers = FuturesOrdered::<BoxFuture<'static, Option<ServerEvent>>>::new();
    let mut directs = Directs::new();
    loop {
        tokio::select! {
            () = state.shutdown.cancelled() => {
                return Some(close(close_code::AWAY, "server shutting down"));
            }
            ending = end.ended() => {
                return Some(match ending {
                    Ending::TooSlow => {
                        tracing::warn!("socket too slow; disconnecting");
                        state.metrics.slow_client_dropped(SlowDrop::QueueFull);
                        close(close_code::AGAIN, "too slow to keep up")
                    }
                    Ending::Revoked => close(close_code::POLICY, "session ended"),
                });
            }
            () = sleep_until(deliveries.due().unwrap_or_else(Instant::now)),
                if deliveries.due().is_some() => deliveries.record(),
            frame = subscription.frames.recv() => {
                match relay(socket, frame?, &mut subscription.frames, deliveries).await {
                    Sent::Yes => {}
                    Sent::TooSlow => {
                        tracing::warn!("socket too slow to take its frames; disconnecting");
                        state.metrics.slow_client_dropped(SlowDrop::WriteTimeout);
                        return None;
                    }
                    Sent::Failed => return None,
                }
            }
            // Reading waits while the answers owed fill the pipeline.
            incoming = socket.recv(), if answers.len() < PIPELINE => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    Some(Err(err)) => return violation(err),
                    None => return None, // gone, with or without a close frame
                };
                last_heard = Instant::now();
                match message {
                    Message::Text(text) => {
                        let (client_id, frame) = protocol::parse(&text);
                        let handled = match frame {
                            Ok(frame) => {
                                frames::handle(state, user, frame, client_id.clone(), &mut directs)
                                    .await
                            }
                            Err(detail) => Err(AppError::Unprocessable(detail)),
                        };
                        match handled {
                            Ok(None) => {}
                            Ok(Some(committed)) => answers.push_back(
                                committed.map(move |handled| reply(handled, client_id)).boxed(),
                            ),
                            Err(err) => answers.push_back(ready(reply(Err(err), client_id)).boxed()),
                        }
                    }
                    Message::Binary(_) => {
                        let refusal = ServerEvent::Error {
                            detail: "Frames must be JSON text".into(),
                            client_id: None,
                        };
                        answers.push_back(ready(Some(refusal)).boxed());
                    }
                    Message::Close(_) => return None,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
            Some(answer_due) = answers.next(), if !answers.is_empty() => {
                if let Some(reply) = answer_due
                    && !answer(&state.metrics, socket, &reply).await
                {
                    return None;
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > interval * 2 {
                    tracing::info!("peer silent; disconnecting");
                    return None;
                }
                if let Err(AppError::Unauthorized(_)) =
                    state.auth.authenticate::<()>(Some(token), "Invalid token").await
                {
                    return Some(close(close_code::POLICY, "session ended"));
                }
                if !send(&state.metrics, socket, Message::Ping(Default::default())).await {
                    return None;
                }
            }
        }
    }
}

/// What a frame's handling comes to for the client: its answer, if any,
/// or an error frame with the frame's tag.
fn reply(
    handled: AppResult<Option<ServerEvent>>,
    client_id: Option<String>,
) -> Option<ServerEvent> {
    match handled {
        Ok(reply) => reply,
        Err(err) => Some(ServerEvent::Error {
            detail: err.detail(),
            client_id,
        }),
    }
}

fn close(code: u16, reason: &'static str) -> CloseFrame {
    CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }
}

/// Writes `first` and whatever else is already queued, with one flush; then
/// notes what that delivered.
async fn relay(
    socket: &mut WebSocket,
    first: Outgoing,
    queue: &mut mpsc::Receiver<Outgoing>,
    deliveries: &mut Deliveries,
) -> Sent {
    let mut written = Vec::new();
    let batch = async {
        written.push(first.delivery);
        socket.feed(Message::Text(first.frame)).await?;
        for _ in 0..RELAY_BATCH {
            let Ok(next) = queue.try_recv() else { break };
            written.push(next.delivery);
            socket.feed(Message::Text(next.frame)).await?;
        }
        socket.flush().await
    };
    let sent = match timeout(SEND_TIMEOUT, batch).await {
        Ok(Ok(())) => Sent::Yes,
        Ok(Err(_)) => Sent::Failed,
        Err(_) => Sent::TooSlow,
    };
    if let Sent::Yes = sent {
        written.into_iter().for_each(|d| deliveries.note(d));
    }
    sent
}

/// The close frame owed to a client whose frames broke the protocol (the
/// socket cannot be read past them), or none when the connection itself
/// failed. Without it clients saw 1006 and could not tell why.
fn violation(err: axum::Error) -> Option<CloseFrame> {
    use tungstenite::error::{Error, ProtocolError};
    let err = err.into_inner();
    let frame = match err.downcast_ref::<Error>() {
        Some(Error::Utf8(_)) => close(close_code::INVALID, "text frames must be valid UTF-8"),
        Some(Error::Capacity(_)) => close(close_code::SIZE, "frame too large (at most 64 KiB)"),
        Some(Error::Protocol(ProtocolError::ResetWithoutClosingHandshake)) | None => {
            return None;
        }
        Some(Error::Protocol(_) | Error::AttackAttempt) => {
            close(close_code::PROTOCOL, "protocol violation")
        }
        Some(_) => return None,
    };
    tracing::info!(error = %err, "protocol violation; closing");
    Some(frame)
}

/// How a write went.
enum Sent {
    Yes,
    /// Not taken within [`SEND_TIMEOUT`]: a slow consumer.
    TooSlow,
    /// The connection failed.
    Failed,
}

/// What the client asked for on connecting: everything it missed after
/// `after`, or where the log stands (`sync`). Frames queued meanwhile follow
/// in the pump; those the backfill already held carry a `seq` the client
/// has passed, and it drops them. `Err` holds how to end the socket.
async fn catch_up(
    state: &AppState,
    user: UserId,
    resume: &Resume,
    socket: &mut WebSocket,
    deliveries: &mut Deliveries,
) -> Result<(), Option<CloseFrame>> {
    if !resume.wants_sync() {
        return Ok(());
    }
    let unavailable = |e: crate::domain::DomainError| {
        tracing::error!(error = %e, "cannot backfill a socket");
        Some(close(close_code::ERROR, "cannot read the event log"))
    };
    let Some(after) = resume.after else {
        let seq = conversations::head(state).await.map_err(unavailable)?;
        return written(answer(&state.metrics, socket, &ServerEvent::Synced { seq }).await);
    };
    // More than a replay's worth missed: the client starts over from the head.
    let backfill = conversations::backfill(state, user, after, Catchup::Whole(MAX_BACKFILL))
        .await
        .map_err(unavailable)?;
    if !backfill.complete {
        let reset = ServerEvent::Reset { seq: backfill.seq };
        return written(answer(&state.metrics, socket, &reset).await);
    }
    for event in &backfill.events {
        let frame = encode(&ServerEvent::committed(event));
        if !send(&state.metrics, socket, Message::Text(frame.frame)).await {
            return Err(None);
        }
        deliveries.note(delivery(event));
    }
    written(
        answer(
            &state.metrics,
            socket,
            &ServerEvent::Synced { seq: backfill.seq },
        )
        .await,
    )
}

fn written(ok: bool) -> Result<(), Option<CloseFrame>> {
    if ok { Ok(()) } else { Err(None) }
}

/// Writes one frame; a socket that does not take it in time is dropped as
/// too slow.
async fn send(metrics: &Metrics, socket: &mut WebSocket, message: Message) -> bool {
    match timeout(SEND_TIMEOUT, socket.send(message)).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => false,
        Err(_) => {
            tracing::warn!("socket too slow to take a frame; disconnecting");
            metrics.slow_client_dropped(SlowDrop::WriteTimeout);
            false
        }
    }
}

/// Answers this socket alone.
pub async fn answer(metrics: &Metrics, socket: &mut WebSocket, reply: &ServerEvent) -> bool {
    let reply = serde_json::to_string(reply).expect("frames serialize");
    send(metrics, socket, Message::Text(reply.into())).await
}
