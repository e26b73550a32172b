//! ChatterBox's server: everything but the window around it.
//!
//! - [`config`]: flags and environment → [`Config`].
//! - [`store`]: the storage seam, keyed by conversation, with its event log;
//!   [`db`] is its SQLite implementation, with a single writer thread and a
//!   pool of readers.
//! - [`bus`]: the seam that carries domain events between instances;
//!   [`presence`]: who is online.
//! - [`domain`]: the use cases (send, edit, profile, sessions...): check,
//!   store, publish.
//! - [`auth`]: argon2id passwords, hashed session tokens, the `AuthUser`
//!   extractor, throttling of password guesses and registrations
//!   ([`throttle`]).
//! - [`http`]: the routes; [`ws`]: the WebSocket, the registry of this
//!   process's sockets and the fan-out from the bus to them.
//! - [`files`]: uploads on disk; [`pages`]: `ui/`, embedded.
//! - [`listen`]: accepting connections, within limits and timeouts.
//! - [`metrics`]: what the server is doing, for Prometheus (`/metrics`).
//! - [`discovery`]: announcing and finding servers on the LAN (DNS-SD).
//!
//! Start a server with [`Server::start`] (it binds and runs in the
//! background), or [`serve`] on a listener you bound, until a future you
//! give resolves. Nothing is global: two servers in one process share nothing.

pub mod auth;
pub mod bus;
pub mod config;
pub mod db;
pub mod discovery;
pub mod docs;
pub mod domain;
pub mod error;
pub mod files;
pub mod http;
pub mod listen;
pub mod metrics;
pub mod pages;
pub mod pool;
pub mod presence;
pub mod state;
pub mod store;
pub mod throttle;
pub mod ws;

use std::{future::Future, net::SocketAddr};

use axum::{Router, extract::Request, middleware};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

pub use config::Config;
use error::AppError;
pub use state::{AppState, StartError};

/// The whole application, with JSON answers for unknown routes and methods.
/// Paths and methods only are logged: query strings can hold tokens. Every
/// request is counted, fallbacks included (layers added with
/// `Router::layer` run after routing, so they see the matched route).
pub fn router(state: AppState) -> Router {
    let routes = OpenApiRouter::new()
        .merge(pages::router())
        .merge(ws::router())
        .merge(http::router(&state));
    docs::assemble(routes)
        // After the merges: this fallback covers only the routes before it.
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .fallback(|| async { AppError::NotFound("Not Found") })
        .layer(middleware::from_fn(listen::close_after_unread_body))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::record_request,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            tracing::info_span!("request", method = %request.method(), path = %brief(request.uri().path()))
        }))
        .with_state(state)
}

/// A path as logged: anyone can send a long one, and the log must not grow
/// by more than it is worth.
fn brief(path: &str) -> &str {
    const MAX: usize = 160;
    if path.len() <= MAX {
        return path;
    }
    let mut end = MAX;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    &path[..end]
}

/// Opens the data directory and serves on `listener` until `shutdown`
/// resolves; then closes every socket and lets the writer finish.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let state = AppState::open(config).await?;
    run(listener, state, shutdown).await
}

async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let closing = state.shutdown.clone();
    // Withdrawn when this function returns, i.e. once we stop serving.
    let _announcement = match &state.config.announce {
        Some(name) => {
            let port = listener.local_addr()?.port();
            discovery::Announcement::start(name, port)
                .map_err(|e| tracing::warn!(error = %e, "cannot announce on the LAN"))
                .ok()
        }
        None => None,
    };
    let limits = listen::Limits::new(&state.config);
    tracing::info!(
        max_connections = limits.max_connections,
        per_address = limits.per_address,
        "accepting connections"
    );
    // One token stops both: connections finish their requests, and the
    // WebSockets (no longer theirs once upgraded) send their close frames.
    let stop = closing.clone();
    let serving = listen::serve(
        listener,
        router(state.clone()),
        limits,
        state.metrics.clone(),
        closing,
    );
    let signal = async move {
        shutdown.await;
        stop.cancel();
    };
    tokio::join!(serving, signal);
    // Upgraded connections are no longer the listener's: wait for our
    // socket tasks, which saw `closing` and are sending their close frames.
    state.sockets.close();
    state.sockets.wait().await;
    state.store.close().await;
    tracing::info!("server stopped");
    Ok(())
}

/// A server started in the background by [`Server::start`].
pub struct RunningServer {
    pub local_addr: SocketAddr,
    pub state: AppState,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), StartError>>,
}

pub struct Server;

impl Server {
    /// Binds `config.bind` (port 0 picks a free one), opens the data
    /// directory and starts serving in the background.
    pub async fn start(config: Config) -> Result<RunningServer, StartError> {
        let listener = TcpListener::bind(config.bind).await?;
        let local_addr = listener.local_addr()?;
        let state = AppState::open(config).await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Ok(RunningServer {
            local_addr,
            state,
            stop,
            task,
        })
    }
}

impl RunningServer {
    /// Stops accepting, closes every socket, waits for the last write to be
    /// committed.
    pub async fn shutdown(self) -> Result<(), StartError> {
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|e| StartError::Listen(std::io::Error::other(e)))?
    }
}
