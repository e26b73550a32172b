//! The one thread that writes to SQLite.
//!
//! SQLite allows one writer at a time, and every commit costs an fsync. So a
//! single thread owns the write connection and drains its queue in batches:
//! all jobs waiting when it wakes run in one transaction, each inside its own
//! savepoint (a failing job rolls back alone), then one commit makes the whole
//! batch durable. Only after that commit is each caller answered, so nothing
//! is acknowledged that is not on disk. Under load, batches grow and the cost
//! of the fsync is shared; when idle, a batch is a single job. The sizes of
//! batches and the time their commits take go to the metrics.

use std::time::Instant;

use rusqlite::{Connection, Transaction};

use crate::{
    metrics::WriterMetrics,
    store::{Committed, EventFeed, StoreError, StoreResult},
};

/// Runs inside the batch's transaction and returns what to do once the
/// batch's fate is known (`Ok` after commit).
pub(super) type Job = Box<dyn FnOnce(&mut Transaction<'_>) -> Reply + Send>;
pub(super) type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;

pub(super) enum Command {
    Run(Job),
    /// Finish everything queued before this, then stop.
    Stop(tokio::sync::oneshot::Sender<()>),
}

/// Most jobs in one transaction; bounds the latency a batch adds.
const MAX_BATCH: usize = 256;

pub(super) fn run(mut conn: Connection, queue: flume::Receiver<Command>, metrics: WriterMetrics) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));

        let mut replies = Vec::with_capacity(batch.len());
        let mut stop = None;
        let outcome = match conn.transaction() {
            Ok(mut tx) => {
                for command in batch {
                    match command {
                        Command::Run(job) => replies.push(job(&mut tx)),
                        Command::Stop(done) => stop = Some(done),
                    }
                }
                let started = Instant::now();
                let committed = tx.commit().map_err(|e| e.to_string());
                // A batch holding only a stop commits nothing of anyone's.
                if !replies.is_empty() {
                    metrics.batch_size.observe(replies.len() as f64);
                    metrics
                        .commit_seconds
                        .observe(started.elapsed().as_secs_f64());
                }
                committed
            }
            Err(e) => {
                // Dropping a job drops its answer channel: its caller sees the
                // store as unavailable.
                for command in batch {
                    if let Command::Stop(done) = command {
                        stop = Some(done);
                    }
                }
                Err(e.to_string())
            }
        };
        if let Err(cause) = &outcome {
            tracing::error!(%cause, jobs = replies.len(), "write batch failed");
        }
        for reply in replies {
            reply(outcome.clone());
        }
        if let Some(done) = stop {
            let _ = done.send(());
            return;
        }
    }
}

/// Wraps `f` as a [`Job`] that runs in a savepoint. Once the batch is
/// committed, the events `f` recorded go to `feed`, then its result to
/// `answer`. Replies run on this thread in batch order, so the feed sees
/// events in the order of their `seq`.
pub(super) fn job<T, F>(
    f: F,
    feed: EventFeed,
    answer: tokio::sync::oneshot::Sender<StoreResult<T>>,
) -> Job
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<(T, Vec<Committed>)> + Send + 'static,
{
    Box::new(move |tx: &mut Transaction<'_>| {
        let result = match tx.savepoint() {
            Ok(mut savepoint) => {
                let result = f(&savepoint);
                if result.is_ok() {
                    if let Err(e) = savepoint.commit() {
                        return reply(feed, answer, Err(StoreError::Unavailable(e.to_string())));
                    }
                } else {
                    let _ = savepoint.rollback();
                }
                result
            }
            Err(e) => Err(StoreError::Unavailable(e.to_string())),
        };
        reply(feed, answer, result)
    })
}

fn reply<T: Send + 'static>(
    feed: EventFeed,
    answer: tokio::sync::oneshot::Sender<StoreResult<T>>,
    result: StoreResult<(T, Vec<Committed>)>,
) -> Reply {
    Box::new(move |committed| {
        let result = committed.map_err(StoreError::Unavailable).and(result);
        let result = result.map(|(value, events)| {
            for event in events {
                // Only a server shutting down has no one reading the feed.
                let _ = feed.send(event);
            }
            value
        });
        let _ = answer.send(result);
    })
}
