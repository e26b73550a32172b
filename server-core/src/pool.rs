//! A few named threads, each owning some context (a database connection,
//! or nothing), running jobs from one shared queue. Used for work that must
//! stay off the async runtime: SQLite reads and password hashing.
//!
//! Unlike `spawn_blocking`, which may start hundreds of threads, the pool's
//! size is fixed. That bounds concurrency, and with it memory: an argon2
//! hash takes 19 MiB, which the allocator then keeps per thread. A pool may
//! also bound its queue ([`Pool::start_bounded`]): work that would wait
//! behind too much else is refused at once ([`Pool::try_run`]), so a burst
//! cannot delay everyone else's by seconds.

use std::{io, thread};

use tokio::sync::oneshot;

type Job<C> = Box<dyn FnOnce(&C) + Send>;

pub struct Pool<C> {
    jobs: flume::Sender<Job<C>>,
}

impl<C> Clone for Pool<C> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
        }
    }
}

/// The pool has stopped (its threads are gone).
#[derive(Debug)]
pub struct Stopped;

/// Why [`Pool::try_run`] did not run a job.
#[derive(Debug)]
pub enum Refused {
    /// The queue is full.
    Busy,
    Stopped,
}

impl<C: 'static> Pool<C> {
    /// Starts one thread per context in `contexts`. The threads end when the
    /// last handle to the pool is dropped.
    pub fn start(name: &str, contexts: impl IntoIterator<Item = C>) -> io::Result<Self>
    where
        C: Send,
    {
        Self::spawn(name, contexts, flume::unbounded())
    }

    /// Like [`Pool::start`], with at most `queue` jobs waiting for a thread
    /// (0: a job is taken only by an idle thread).
    pub fn start_bounded(
        name: &str,
        contexts: impl IntoIterator<Item = C>,
        queue: usize,
    ) -> io::Result<Self>
    where
        C: Send,
    {
        Self::spawn(name, contexts, flume::bounded(queue))
    }

    fn spawn(
        name: &str,
        contexts: impl IntoIterator<Item = C>,
        (jobs, queue): (flume::Sender<Job<C>>, flume::Receiver<Job<C>>),
    ) -> io::Result<Self>
    where
        C: Send,
    {
        for (n, context) in contexts.into_iter().enumerate() {
            let queue = queue.clone();
            thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || {
                    for job in queue.iter() {
                        job(&context);
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    /// Runs `f` on one of the pool's threads and awaits its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Stopped>
    where
        T: Send + 'static,
        F: FnOnce(&C) -> T + Send + 'static,
    {
        let (answer, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move |context: &C| {
                let _ = answer.send(f(context));
            }))
            .map_err(|_| Stopped)?;
        result.await.map_err(|_| Stopped)
    }

    /// Runs `f` on one of the pool's threads unless the queue is full.
    pub async fn try_run<T, F>(&self, f: F) -> Result<T, Refused>
    where
        T: Send + 'static,
        F: FnOnce(&C) -> T + Send + 'static,
    {
        let (answer, result) = oneshot::channel();
        self.jobs
            .try_send(Box::new(move |context: &C| {
                let _ = answer.send(f(context));
            }))
            .map_err(|err| match err {
                flume::TrySendError::Full(_) => Refused::Busy,
                flume::TrySendError::Disconnected(_) => Refused::Stopped,
            })?;
        result.await.map_err(|_| Refused::Stopped)
    }
}
