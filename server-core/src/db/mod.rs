//! SQLite storage: the [`Db`] handle, its writer thread and reader pool.
//!
//! No SQLite call runs on the async runtime. Writes go to the single writer
//! thread (see [`writer`]); reads go to a few reader threads, each owning a
//! read-only connection and taking jobs from a shared queue. WAL mode lets
//! the readers run while the writer commits.

mod changes;
mod conversations;
mod queries;
mod search;
mod writer;

use std::{path::Path, thread, time::Duration};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::{
    metrics::WriterMetrics,
    pool::Pool,
    store::{Committed, EventFeed, Pending, StoreError, StoreResult},
};

/// Cheap to clone: three queue handles and a token.
#[derive(Clone)]
pub struct Db {
    writer: flume::Sender<writer::Command>,
    readers: Pool<Connection>,
    feed: EventFeed,
    /// Cancelled once the writer thread has stopped. A write that reached
    /// its queue too late to be run (after the stop) is never answered:
    /// flume keeps queued jobs while a sender lives. Waiting on this as
    /// well, its caller hears that the store is closed instead of hanging.
    writer_stopped: CancellationToken,
}

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_conversations.sql"),
    include_str!("migrations/0003_health.sql"),
    include_str!("migrations/0004_reactions.sql"),
    include_str!("migrations/0005_search.sql"),
    include_str!("migrations/0006_notifications.sql"),
    include_str!("migrations/0007_display_names.sql"),
];
const READERS: usize = 4;
/// Writes waiting beyond this make callers wait to enqueue (backpressure).
const WRITE_QUEUE: usize = 4096;

impl Db {
    /// Opens (creating if needed) the database at `path`, applies pending
    /// migrations and starts the writer and reader threads. Committed
    /// events go to `feed`; the writer reports to `metrics`. Blocking: call
    /// it from `spawn_blocking` or before the runtime is busy.
    pub fn open(path: &Path, feed: EventFeed, metrics: WriterMetrics) -> StoreResult<Self> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        // FULL: a commit has reached the disk before anyone is told it happened.
        conn.pragma_update(None, "synchronous", "FULL")?;
        migrate(&mut conn)?;

        let (writer, queue) = flume::bounded(WRITE_QUEUE);
        let writer_stopped = CancellationToken::new();
        let stopped = writer_stopped.clone().drop_guard();
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                // Dropped when the thread ends, however it ends.
                let _stopped = stopped;
                writer::run(conn, queue, metrics)
            })
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;

        let connections = (0..READERS)
            .map(|_| {
                let conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&conn)?;
                Ok(conn)
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let readers = Pool::start("sqlite-reader", connections)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self {
            writer,
            readers,
            feed,
            writer_stopped,
        })
    }

    /// Runs `f` in the writer's next batch; resolves after the commit.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.write_logged(move |conn| f(conn).map(|value| (value, Vec::new())))
            .await
    }

    /// Like [`Db::write`] for a change that records events in the log: they
    /// go to the feed once committed, before the caller hears back.
    pub async fn write_logged<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, Vec<Committed>)> + Send + 'static,
    {
        self.queue_logged(f).await?.await
    }

    /// Queues `f` like [`Db::write_logged`], returning once it is in the
    /// writer's queue (waiting while the queue is full); the answer
    /// completes once its batch is committed. The writer runs jobs in the
    /// order they were queued.
    pub async fn queue_logged<T, F>(&self, f: F) -> StoreResult<Pending<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<(T, Vec<Committed>)> + Send + 'static,
    {
        let (answer, result) = oneshot::channel();
        let job = writer::job(f, self.feed.clone(), answer);
        self.writer
            .send_async(writer::Command::Run(job))
            .await
            .map_err(|_| closed())?;
        let stopped = self.writer_stopped.clone();
        Ok(Box::pin(async move {
            tokio::select! {
                // The writer answers every job it ran before it stops: an
                // answer that is there wins.
                biased;
                answer = result => answer.map_err(|_| closed())?,
                () = stopped.cancelled() => Err(closed()),
            }
        }))
    }

    /// Runs `f` on a reader thread.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.readers.run(f).await.map_err(|_| closed())?
    }

    /// Lets the writer finish every write queued so far, then stops it.
    /// Later writes fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        let (done, stopped) = oneshot::channel();
        if self
            .writer
            .send_async(writer::Command::Stop(done))
            .await
            .is_ok()
        {
            // A second close finds the writer gone: its Stop is never read.
            tokio::select! {
                biased;
                _ = stopped => {}
                () = self.writer_stopped.cancelled() => {}
            }
        }
    }
}

fn closed() -> StoreError {
    StoreError::Unavailable("database is closed".into())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Applies the migrations the database has not seen yet, each in its own
/// transaction, tracking progress in `PRAGMA user_version`.
fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let applied: usize = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "applied database migration");
    }
    Ok(())
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError::Unavailable(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database as the previous version left it: migrations up to
    /// `version` applied, no more.
    fn at_version(conn: &mut Connection, version: usize) {
        conn.execute_batch(&MIGRATIONS[..version].concat()).unwrap();
        conn.pragma_update(None, "user_version", version).unwrap();
    }

    #[test]
    fn the_rebuilt_event_log_keeps_every_seq_and_never_reuses_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("old.db")).unwrap();
        configure(&conn).unwrap();
        at_version(&mut conn, 3);
        conn.execute_batch(
            "INSERT INTO users (id, username, password_hash, created_at)
                 VALUES (1, 'alice', 'h', '2026-01-01T00:00:00.000000Z');
             INSERT INTO conversations (id, kind, direct_key, created_at)
                 VALUES (7, 'direct', '1:1', '2026-01-01T00:00:00.000000Z');
             INSERT INTO messages (id, conversation_id, sender_id, kind, content, created_at)
                 VALUES (3, 7, 1, 'text', 'hi', '2026-01-01T00:00:00.000000Z');
             INSERT INTO events (seq, conversation_id, kind, message_id, user_id, created_at)
                 VALUES (5, 7, 'posted', 3, NULL, '2026-01-01T00:00:00.000000Z'),
                        (6, 7, 'read', 3, 1, '2026-01-01T00:00:00.000000Z'),
                        (9, 7, 'delivered', 3, 1, '2026-01-01T00:00:00.000000Z');
             -- The newest event's row is gone; its seq must stay used.
             DELETE FROM events WHERE seq = 9;",
        )
        .unwrap();

        migrate(&mut conn).unwrap();

        let kept: Vec<(i64, String, Option<i64>)> = conn
            .prepare("SELECT seq, kind, user_id FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            kept,
            [
                (5, "posted".to_owned(), None),
                (6, "read".to_owned(), Some(1))
            ]
        );
        conn.execute(
            "INSERT INTO events (conversation_id, kind, message_id, user_id, emoji, created_at)
             VALUES (7, 'reacted', 3, 1, '👍', '2026-01-02T00:00:00.000000Z')",
            [],
        )
        .unwrap();
        assert_eq!(conn.last_insert_rowid(), 10, "after the high-water mark");
        let refused = conn.execute(
            "INSERT INTO events (conversation_id, kind, message_id, user_id, created_at)
             VALUES (7, 'reacted', 3, 1, '2026-01-02T00:00:00.000000Z')",
            [],
        );
        assert!(refused.is_err(), "a reaction carries its emoji");
        let index: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master
                 WHERE type = 'index' AND name = 'events_by_conversation' AND tbl_name = 'events'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(index, 1, "the log keeps its index");
    }
}
