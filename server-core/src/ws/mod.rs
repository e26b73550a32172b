//! The WebSocket at `/ws`: the handshake (token and origin checks) and one
//! task per socket that relays hub events out and client frames in.

pub mod fanout;
pub mod protocol;
pub mod registry;

use std::time::Duration;

use axum::{
    Router,
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code},
    },
    http::{HeaderMap, header},
    response::Response,
    routing::get,
};
use futures_util::SinkExt;
use tokio::{
    sync::mpsc,
    time::{Instant, timeout},
};
use tracing::Instrument;

use crate::{
    auth::{AuthUser, Token},
    domain::messages,
    error::{AppError, AppResult},
    state::AppState,
    store::{Body, now},
};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use protocol::{ClientFrame, MessageView, ServerEvent};
use registry::{Ending, Subscription};

/// Largest frame or message a client may send.
const MAX_FRAME: usize = 64 * 1024;
/// Most queued events written before one flush.
const RELAY_BATCH: usize = 64;
/// A socket that cannot take a frame within this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

async fn upgrade(
    State(state): State<AppState>,
    token: Token,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    if !origin_allowed(&headers, &state.config.allowed_origins) {
        return Err(AppError::Forbidden("Cross-origin WebSocket refused"));
    }
    let token = token.0.unwrap_or_default();
    let user: AuthUser = state
        .auth
        .authenticate(Some(&token), "Invalid token")
        .await?;
    let upgrade = upgrade.map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
    let tracker = state.sockets.clone();
    Ok(upgrade
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| tracker.track_future(run(state, user, token, socket))))
}

/// Browsers always send `Origin` on a WebSocket handshake; a page of another
/// site must not ride on our users' tokens. Clients that are not browsers
/// send none and are let through (they hold the token themselves).
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// One socket's life: register, relay, and on the way out record when the
/// user was last seen.
///
/// The socket is registered once the upgrade is done, a moment after the
/// client saw its handshake succeed; an event of someone else's falling in
/// that moment is not pushed. Clients load history after connecting (our
/// pages do, after every reconnect), so it is never lost, only not pushed.
async fn run(state: AppState, user: AuthUser, token: String, mut socket: WebSocket) {
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
        let end = pump(&state, user, &token, &mut socket, &mut subscription).await;
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
) -> Option<CloseFrame> {
    let interval = state.config.ping_interval;
    let mut ping = tokio::time::interval_at(Instant::now() + interval, interval);
    let mut last_heard = Instant::now();
    let end = subscription.end.clone();
    loop {
        tokio::select! {
            () = state.shutdown.cancelled() => {
                return Some(close(close_code::AWAY, "server shutting down"));
            }
            ending = end.ended() => {
                return Some(match ending {
                    Ending::TooSlow => {
                        tracing::warn!("socket too slow; disconnecting");
                        close(close_code::AGAIN, "too slow to keep up")
                    }
                    Ending::Revoked => close(close_code::POLICY, "session ended"),
                });
            }
            frame = subscription.frames.recv() => {
                match relay(socket, frame?, &mut subscription.frames).await {
                    Sent::Yes => {}
                    Sent::TooSlow => {
                        tracing::warn!("socket too slow to take its frames; disconnecting");
                        return None;
                    }
                    Sent::Failed => return None,
                }
            }
            incoming = socket.recv() => {
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
                            Ok(frame) => handle(state, user, frame, client_id.clone()).await,
                            Err(detail) => Err(AppError::Unprocessable(detail)),
                        };
                        let reply = match handled {
                            Ok(reply) => reply,
                            Err(err) => Some(ServerEvent::Error {
                                detail: err.detail(),
                                client_id,
                            }),
                        };
                        if let Some(reply) = reply
                            && !answer(socket, &reply).await
                        {
                            return None;
                        }
                    }
                    Message::Binary(_) => {
                        let refusal = ServerEvent::Error {
                            detail: "Frames must be JSON text".into(),
                            client_id: None,
                        };
                        if !answer(socket, &refusal).await {
                            return None;
                        }
                    }
                    Message::Close(_) => return None,
                    Message::Ping(_) | Message::Pong(_) => {}
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
                if !send(socket, Message::Ping(Default::default())).await {
                    return None;
                }
            }
        }
    }
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

fn close(code: u16, reason: &'static str) -> CloseFrame {
    CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }
}

/// How a write went.
enum Sent {
    Yes,
    /// Not taken within [`SEND_TIMEOUT`]: a slow consumer.
    TooSlow,
    /// The connection failed.
    Failed,
}

/// Writes `first` and whatever else is already queued, with one flush.
async fn relay(
    socket: &mut WebSocket,
    first: Utf8Bytes,
    queue: &mut mpsc::Receiver<Utf8Bytes>,
) -> Sent {
    let batch = async {
        socket.feed(Message::Text(first)).await?;
        for _ in 0..RELAY_BATCH {
            let Ok(next) = queue.try_recv() else { break };
            socket.feed(Message::Text(next)).await?;
        }
        socket.flush().await
    };
    match timeout(SEND_TIMEOUT, batch).await {
        Ok(Ok(())) => Sent::Yes,
        Ok(Err(_)) => Sent::Failed,
        Err(_) => Sent::TooSlow,
    }
}

async fn send(socket: &mut WebSocket, message: Message) -> bool {
    match timeout(SEND_TIMEOUT, socket.send(message)).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => false,
        Err(_) => {
            tracing::warn!("socket too slow to take a frame; disconnecting");
            false
        }
    }
}

/// Answers this socket alone.
async fn answer(socket: &mut WebSocket, reply: &ServerEvent) -> bool {
    let reply = serde_json::to_string(reply).expect("frames serialize");
    send(socket, Message::Text(reply.into())).await
}

/// Acts on one client frame; returns what to answer this socket alone, if
/// anything. Everything else reaches sockets through the bus.
async fn handle(
    state: &AppState,
    user: AuthUser,
    frame: ClientFrame,
    client_id: Option<String>,
) -> AppResult<Option<ServerEvent>> {
    match frame {
        ClientFrame::PrivateMessage {
            receiver_id,
            content,
        } => {
            let conversation =
                messages::direct_conversation(state, user.user_id, receiver_id).await?;
            let sent = messages::send(
                state,
                user.user_id,
                conversation,
                Body::Text(content),
                client_id,
            )
            .await?;
            // A resend of a message already stored: its members heard of it
            // the first time, but this socket may not have, so it gets the
            // echo it is waiting for.
            if sent.seq.is_none() {
                return Ok(Some(ServerEvent::PrivateMessage {
                    message: MessageView::new(sent.message, &sent.conversation),
                    seq: None,
                }));
            }
        }
        ClientFrame::EditMessage {
            message_id,
            new_content,
        } => {
            messages::edit(state, user.user_id, message_id, &new_content).await?;
        }
        ClientFrame::Typing {
            receiver_id,
            is_typing,
        } => {
            messages::typing_to(state, user.user_id, receiver_id, is_typing).await?;
        }
    }
    Ok(None)
}
