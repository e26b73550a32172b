//! [`AppState`]: the handles every handler shares. Cloning costs refcounts.
//!
//! Two background tasks connect the seams: the *publisher* takes committed
//! events from the store's feed, in log order, and publishes them on the
//! bus; the *fan-out* is the process's one bus subscription, delivering to
//! the local sockets in the registry.

use std::sync::Arc;

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    auth::Auth,
    bus::{Bus, LocalBus},
    config::Config,
    db::Db,
    files::Files,
    metrics::{Metrics, WriterMetrics},
    presence::{LocalPresence, Presence},
    store::{Body, Change, Committed, Store},
    ws::{fanout, registry::Registry},
};

/// Frames a socket may have queued before it counts as too slow and is
/// disconnected. Broadcast frames are shared, not copied, so a long queue is
/// cheap; it must absorb a whole office reconnecting at once after a restart,
/// each arrival announcing itself to everyone.
const SOCKET_QUEUE: usize = 1024;

/// Committed events on their way from the store to the bus.
const FEED_QUEUE: usize = 65_536;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    pub presence: Arc<dyn Presence>,
    /// This process's sockets.
    pub registry: Arc<Registry>,
    pub auth: Arc<Auth>,
    pub files: Arc<Files>,
    /// This server's own metrics registry (`/metrics`).
    pub metrics: Arc<Metrics>,
    /// Cancelled when the server begins to shut down; open sockets close.
    pub shutdown: CancellationToken,
    /// The WebSocket tasks, awaited on shutdown.
    pub sockets: TaskTracker,
}

/// The storage and transport a server runs on, chosen by its caller.
pub struct Backends {
    pub store: Arc<dyn Store>,
    /// Where `store` sends committed events.
    pub committed: flume::Receiver<Committed>,
    pub bus: Arc<dyn Bus>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Database(String),
    #[error("cannot start worker threads: {0}")]
    Threads(std::io::Error),
    #[error("cannot reach the message bus: {0}")]
    Bus(String),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

impl AppState {
    /// Prepares the data directory and opens the SQLite database in it
    /// (migrating it), with the in-process bus: a server alone.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        let dir = config.data_dir();
        let (feed, committed) = flume::bounded(FEED_QUEUE);
        let writer = WriterMetrics::default();
        let metrics = Metrics::new(&writer);
        let db = tokio::task::spawn_blocking(move || {
            // The first run on a machine: the directory is ours to make.
            std::fs::create_dir_all(&dir).map_err(|source| StartError::DataDir {
                path: dir.clone(),
                source,
            })?;
            Db::open(&dir.join("chatterbox.db"), feed, writer)
                .map_err(|e| StartError::Database(e.to_string()))
        })
        .await
        .map_err(|e| StartError::Database(e.to_string()))??;
        let backends = Backends {
            store: Arc::new(db),
            committed,
            bus: Arc::new(LocalBus::new()),
        };
        Self::assemble(config, backends, metrics).await
    }

    /// Builds the shared handles over the given backends and starts the
    /// publisher and the fan-out. Blocking work runs off the runtime.
    /// `metrics` registers whatever the backends report, such as the
    /// writer's [`WriterMetrics`].
    pub async fn assemble(
        config: Config,
        backends: Backends,
        metrics: Metrics,
    ) -> Result<Self, StartError> {
        let config = Arc::new(config);
        let metrics = Arc::new(metrics);
        let counted = metrics.clone();
        let setup = config.clone();
        let store = backends.store.clone();
        let (files, auth) = tokio::task::spawn_blocking(move || {
            let dir = setup.data_dir();
            let files = Files::prepare(&dir, setup.max_upload_bytes()).map_err(|source| {
                StartError::DataDir {
                    path: dir.clone(),
                    source,
                }
            })?;
            let auth = Auth::new(store, &setup, counted).map_err(StartError::Threads)?;
            Ok::<_, StartError>((files, auth))
        })
        .await
        .map_err(|e| StartError::Threads(std::io::Error::other(e)))??;

        let registry = Arc::new(Registry::new(SOCKET_QUEUE));
        let subscription = backends
            .bus
            .subscribe()
            .await
            .map_err(|e| StartError::Bus(e.to_string()))?;
        tokio::spawn(fanout::run(
            subscription,
            registry.clone(),
            config.presence_interval,
        ));
        tokio::spawn(publish(
            backends.committed,
            backends.bus.clone(),
            metrics.clone(),
        ));

        Ok(Self {
            config,
            store: backends.store,
            presence: Arc::new(LocalPresence::new(backends.bus.clone())),
            bus: backends.bus,
            registry,
            auth: Arc::new(auth),
            files: Arc::new(files),
            metrics,
            shutdown: CancellationToken::new(),
            sockets: TaskTracker::new(),
        })
    }
}

/// Publishes committed events one at a time, so in the order of the log,
/// counting the messages among them: every one committed passes here once,
/// whether or not its sender is still there to hear of it. Ends when the
/// store is gone.
async fn publish(committed: flume::Receiver<Committed>, bus: Arc<dyn Bus>, metrics: Arc<Metrics>) {
    while let Ok(event) = committed.recv_async().await {
        if let Change::Posted(message) = &event.change
            && matches!(message.body, Body::Text(_) | Body::File(_))
        {
            metrics.message_stored();
        }
        if let Err(e) = bus
            .publish(crate::bus::Event::Conversation(Box::new(event)))
            .await
        {
            tracing::error!(error = %e, "a committed event could not be published");
        }
    }
}
