//! The store conformance suite (`conformance.rs`), run against each store.

mod conformance;
mod replies;

/// The SQLite store, on a database file in a temporary directory.
mod sqlite {
    use std::sync::Arc;

    use server_core::{db::Db, metrics::WriterMetrics};

    use crate::conformance::Subject;

    async fn open() -> Subject {
        let dir = tempfile::tempdir().expect("temp dir");
        let (feed, committed) = flume::bounded(1024);
        let path = dir.path().join("chatterbox.db");
        let db =
            tokio::task::spawn_blocking(move || Db::open(&path, feed, WriterMetrics::default()))
                .await
                .expect("opening ran")
                .expect("database opens");
        Subject {
            store: Arc::new(db),
            committed,
            _guard: Box::new(dir),
        }
    }

    crate::suite!(open);
}
