//! [`AppState`]: the handles every handler shares. Cloning costs refcounts.

use std::sync::Arc;

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    auth::Auth,
    config::Config,
    db::Db,
    files::Files,
    store::Store,
    ws::hub::{Hub, LocalHub},
};

/// Events a socket may have queued before it counts as too slow and is
/// disconnected. Broadcast frames are shared, not copied, so a long queue is
/// cheap; it must absorb a whole office reconnecting at once after a restart,
/// each arrival announcing itself to everyone.
const SOCKET_QUEUE: usize = 1024;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub hub: Arc<dyn Hub>,
    pub auth: Arc<Auth>,
    pub files: Arc<Files>,
    /// Cancelled when the server begins to shut down; open sockets close.
    pub shutdown: CancellationToken,
    /// The WebSocket tasks, awaited on shutdown.
    pub sockets: TaskTracker,
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
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

impl AppState {
    /// Prepares the data directory, opens the database (migrating it) and
    /// builds the shared handles. Blocking work runs off the runtime.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        let config = Arc::new(config);
        let setup = config.clone();
        let (store, files, auth) = tokio::task::spawn_blocking(move || {
            let dir = setup.data_dir();
            let files = Files::prepare(&dir, setup.max_upload_bytes()).map_err(|source| {
                StartError::DataDir {
                    path: dir.clone(),
                    source,
                }
            })?;
            let db = Db::open(&dir.join("chatterbox.db"))
                .map_err(|e| StartError::Database(e.to_string()))?;
            let store: Arc<dyn Store> = Arc::new(db);
            let auth = Auth::new(store.clone(), &setup).map_err(StartError::Threads)?;
            Ok::<_, StartError>((store, files, auth))
        })
        .await
        .map_err(|e| StartError::Database(e.to_string()))??;
        Ok(Self {
            config,
            store,
            hub: Arc::new(LocalHub::new(SOCKET_QUEUE)),
            auth: Arc::new(auth),
            files: Arc::new(files),
            shutdown: CancellationToken::new(),
            sockets: TaskTracker::new(),
        })
    }
}
