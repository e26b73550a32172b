//! Accepting connections, with the bounds `axum::serve` lacks: how many
//! connections in all and per client address, how long a client may take
//! to send a request's headers, and how long a connection may sit idle.
//!
//! Each connection holds a [`Slot`] for as long as its socket is open, an
//! upgraded WebSocket included: the slot lives in the socket's I/O wrapper,
//! which the WebSocket takes over. A connection past a limit is answered
//! 503 with `Connection: close` in a minimal exchange bounded in time, never
//! left waiting; at most [`REFUSALS_AT_ONCE`] such exchanges run at once,
//! and past them a connection is closed unanswered.
//!
//! The connection limit protects file descriptors. By default it is half of
//! what the open-file limit leaves after [`RESERVED_FDS`]: each connection
//! may hold a second descriptor (a file it uploads or downloads), so the
//! database and uploads always find one. (One host holding 20,000 idle
//! connections used to exhaust them: new clients hung, uploads failed.)

use std::{
    collections::HashMap,
    convert::Infallible,
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{ConnectInfo, Request},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body::Frame;
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::Semaphore,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::ServiceExt;

use crate::{
    config::Config,
    error::AppError,
    metrics::{ConnectionLimit, Metrics},
};

/// Descriptors kept for all but connections: the database, its journal and
/// readers, the listener, the runtime, logs, DNS-SD, refusals under way.
const RESERVED_FDS: u64 = 128;
/// Refusals answered at once; past them a connection is closed unanswered.
const REFUSALS_AT_ONCE: usize = 32;
/// How long a refused connection has to send its request and read the 503.
const REFUSAL_WINDOW: Duration = Duration::from_secs(2);
/// A warning about limits or accept errors is repeated at most this often.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// What [`serve`] enforces; from [`Config`] by [`Limits::new`].
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    pub per_address: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        Self {
            max_connections: config
                .max_connections
                .map_or_else(default_max_connections, |n| n as usize),
            per_address: config.max_connections_per_address as usize,
            header_timeout: config.header_timeout,
            idle_timeout: config.idle_timeout,
        }
    }
}

/// Half of what the open-file limit leaves after [`RESERVED_FDS`].
pub fn default_max_connections() -> usize {
    let spare = open_file_limit().saturating_sub(RESERVED_FDS) / 2;
    usize::try_from(spare).unwrap_or(usize::MAX).max(16)
}

#[cfg(unix)]
fn open_file_limit() -> u64 {
    rlimit::Resource::NOFILE.get_soft().unwrap_or(1024)
}

/// Windows bounds sockets by memory, not by a descriptor table.
#[cfg(not(unix))]
fn open_file_limit() -> u64 {
    16_384
}

/// Serves `app` on `listener` until `stop` is cancelled; then stops
/// accepting, lets each connection finish its request (idle ones close at
/// once) and returns when all have closed or been upgraded. Refused
/// connections are counted in `metrics`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    let census = Arc::new(Census::new(&limits));
    let limits = Arc::new(limits);
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let connections = TaskTracker::new();
    let accept_trouble = Every::new(WARN_EVERY);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) if is_connection_error(&err) => continue,
            Err(err) => {
                if accept_trouble.due() {
                    tracing::warn!(error = %err, "cannot accept connections");
                }
                // Out of descriptors or memory: give connections a moment
                // to close rather than spinning.
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                    () = stop.cancelled() => break,
                }
            }
        };
        match census.admit(peer.ip()) {
            Ok(slot) => {
                let task = connection(stream, peer, slot, app.clone(), limits.clone(), &stop);
                connections.spawn(task);
            }
            Err((limit, reason)) => {
                metrics.connection_refused(limit);
                if let Ok(permit) = refusals.clone().try_acquire_owned() {
                    connections.spawn(async move {
                        refuse(stream, reason).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// One admitted connection, served until it ends, is upgraded, idles past
/// the limit, or the server stops.
fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    slot: Slot,
    app: Router,
    limits: Arc<Limits>,
    stop: &CancellationToken,
) -> impl Future<Output = ()> + Send + 'static {
    let stop = stop.clone();
    async move {
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked {
            stream,
            activity: activity.clone(),
            _slot: slot,
        });
        let service = service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let conn = builder.serve_connection(io, service).with_upgrades();
        tokio::pin!(conn);
        let mut stopping = false;
        loop {
            let idle_until = tokio::time::Instant::from_std(activity.last() + limits.idle_timeout);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(%peer, error = %err, "connection ended");
                    }
                    return;
                }
                () = stop.cancelled(), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
                () = tokio::time::sleep_until(idle_until) => {
                    if activity.last().elapsed() >= limits.idle_timeout {
                        tracing::debug!(%peer, "connection idle; closing");
                        return;
                    }
                }
            }
        }
    }
}

/// Answers one request with 503 and closes, within [`REFUSAL_WINDOW`].
async fn refuse(stream: TcpStream, reason: &'static str) {
    let service = service_fn(move |_request: hyper::Request<Incoming>| async move {
        let mut response = AppError::Unavailable(reason).into_response();
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        Ok::<_, Infallible>(response)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSAL_WINDOW)
        .keep_alive(false);
    let exchange = builder.serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(REFUSAL_WINDOW, exchange).await;
}

/// Open connections, in all and per client address.
struct Census {
    max: usize,
    per_address: usize,
    open: Mutex<Counts>,
    full: Every,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

impl Census {
    fn new(limits: &Limits) -> Self {
        Self {
            max: limits.max_connections,
            per_address: limits.per_address,
            open: Mutex::default(),
            full: Every::new(WARN_EVERY),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Counts are updated in one step each; a panic cannot tear them.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for a new connection from `address`, or the limit that
    /// refuses it and what to tell the client.
    fn admit(self: &Arc<Self>, address: IpAddr) -> Result<Slot, (ConnectionLimit, &'static str)> {
        let mut counts = self.lock();
        let mine = counts.by_address.get(&address).copied().unwrap_or(0);
        let (limit, refusal) = if counts.total >= self.max {
            (
                ConnectionLimit::Total,
                "Too many connections; try again in a moment",
            )
        } else if mine >= self.per_address {
            (
                ConnectionLimit::PerAddress,
                "Too many connections from your address; close some and try again",
            )
        } else {
            counts.total += 1;
            counts.by_address.insert(address, mine + 1);
            return Ok(Slot {
                census: self.clone(),
                address,
            });
        };
        let total = counts.total;
        drop(counts);
        if self.full.due() {
            tracing::warn!(open = total, %address, refusal, "refusing connections");
        }
        Err((limit, refusal))
    }
}

/// One connection's place in the [`Census`], given back when dropped.
struct Slot {
    census: Arc<Census>,
    address: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.census.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(mine) = counts.by_address.get_mut(&self.address) {
            *mine -= 1;
            if *mine == 0 {
                counts.by_address.remove(&self.address);
            }
        }
    }
}

/// When a byte last moved on a connection.
struct Activity {
    start: Instant,
    /// Milliseconds after `start`.
    last: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }
}

/// A connection's socket, noting activity and holding its [`Slot`].
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
    _slot: Slot,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Says yes at most once per period (for warnings that could repeat at
/// every connection).
struct Every {
    period: Duration,
    last: Mutex<Option<Instant>>,
}

impl Every {
    fn new(period: Duration) -> Self {
        Self {
            period,
            last: Mutex::new(None),
        }
    }

    fn due(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= self.period);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

/// Middleware: answers with `Connection: close` when the handler left the
/// request body unread (a refused upload, a body too large). hyper cannot
/// reuse such a connection and closes it after the answer; saying so lets
/// the client open a new one instead of losing its next request to the
/// race (about 3 in 400 follow-ups failed).
pub async fn close_after_unread_body(request: Request, next: Next) -> Response {
    use http_body::Body as _;
    let (parts, body) = request.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let finished = Arc::new(AtomicBool::new(false));
    let body = Body::new(Watched {
        body,
        finished: finished.clone(),
    });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if !finished.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A request body that notes when it has been read to its end.
struct Watched {
    body: Body,
    finished: Arc<AtomicBool>,
}

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || self.body.is_end_stream() {
            self.finished.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
