//! What the server is doing, for Prometheus: [`Metrics`], the middleware
//! that counts HTTP requests, and `GET /metrics`.
//!
//! Each server has its own registry, held in its state: two servers in one
//! process (the test suite runs dozens) count only their own traffic, which
//! a global recorder could not do. Counters and histograms are atomics,
//! bumped where things happen, the writer thread included. What the server
//! knows exactly at any moment (sockets open, people online) is read at
//! each scrape rather than kept in a gauge beside the truth, where a missed
//! decrement would make it drift.
//!
//! `/metrics` is not for the LAN: it answers this machine (a loopback peer)
//! and, once `--metrics-token` is set, whoever presents that token.

use std::{borrow::Cow, net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{Extensions, HeaderMap, HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder, prometheus_text},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::{Registry, Unit},
};
use sha2::{Digest, Sha256};

use crate::{
    auth::bearer,
    error::{AppError, AppResult, Problem},
    files::Folder,
    state::AppState,
};

/// The route label of a request no route matched: its path could be
/// anything, and each distinct label value is a series kept forever.
const UNMATCHED: &str = "unmatched";

/// Label values named once, in the snake case Prometheus queries use, and
/// listed so that each series can be exported from the start.
macro_rules! label_values {
    ($(#[$doc:meta])* $name:ident { $($(#[$variant_doc:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_doc])* $variant,)+
        }

        impl $name {
            const ALL: &[Self] = &[$(Self::$variant,)+];
        }

        impl EncodeLabelValue for $name {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
                match self {
                    $(Self::$variant => $text,)+
                }
                .encode(encoder)
            }
        }
    };
}

label_values! {
    /// The budget of failures that refused a request (see [`crate::throttle`]).
    Throttle {
        /// Wrong logins from one address, whatever the names.
        LoginAddress => "login_address",
        /// Wrong logins for one name from one address.
        LoginUsernameAddress => "login_username_address",
        /// Wrong logins for one name from everywhere, refusing the
        /// addresses that took part.
        LoginUsername => "login_username",
        /// Wrong old passwords given by one session's user.
        PasswordChange => "password_change",
        /// Registrations from one address.
        Registration => "registration_address",
    }
}

label_values! {
    /// Why a socket was dropped as too slow.
    SlowDrop {
        /// Its queue of frames filled up.
        QueueFull => "queue_full",
        /// A write to it did not finish in time.
        WriteTimeout => "write_timeout",
    }
}

label_values! {
    /// The limit that turned a new connection away (see [`crate::listen`]).
    ConnectionLimit {
        Total => "total",
        PerAddress => "per_address",
    }
}

impl EncodeLabelValue for Folder {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        self.dir_name().encode(encoder)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    /// The route's template (`/messages/{receiver_id}`), never the path.
    route: Cow<'static, str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    #[prometheus(flatten)]
    route: RouteLabels,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ThrottleLabels {
    limit: Throttle,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SlowDropLabels {
    reason: SlowDrop,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct FolderLabels {
    folder: Folder,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ConnectionLabels {
    limit: ConnectionLimit,
}

/// What the SQLite writer thread reports. Its own handles, so that the
/// database needs nothing else of the server's to be opened (the store
/// suite opens it alone, with metrics nobody reads).
#[derive(Debug, Clone)]
pub struct WriterMetrics {
    /// Jobs per committed transaction: 1 when idle, more under load.
    pub batch_size: Histogram,
    /// How long each commit took, its fsync included.
    pub commit_seconds: Histogram,
}

impl Default for WriterMetrics {
    fn default() -> Self {
        Self {
            // 1 to 256, the writer's largest batch.
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 9)),
            // 0.5 ms to 4 s.
            commit_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 14)),
        }
    }
}

/// One server's metrics, registered under `chatterbox_`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http_requests: Family<RequestLabels, Counter>,
    http_duration: Family<RouteLabels, Histogram>,
    /// Set from the socket registry at each scrape.
    sockets: Gauge,
    /// Set from presence at each scrape.
    users_online: Gauge,
    messages_stored: Counter,
    messages_delivered: Counter,
    slow_drops: Family<SlowDropLabels, Counter>,
    throttled: Family<ThrottleLabels, Counter>,
    upload_bytes: Family<FolderLabels, Counter>,
    connections_refused: Family<ConnectionLabels, Counter>,
}

impl Metrics {
    /// Registers every metric, the database writer's included.
    pub fn new(writer: &WriterMetrics) -> Self {
        let mut metrics = Self {
            registry: Registry::with_prefix("chatterbox"),
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(|| {
                // 1 ms to about 16 s: API calls take milliseconds, uploads
                // of large files seconds.
                Histogram::new(exponential_buckets(0.001, 2.0, 15))
            }),
            sockets: Gauge::default(),
            users_online: Gauge::default(),
            messages_stored: Counter::default(),
            messages_delivered: Counter::default(),
            slow_drops: Family::default(),
            throttled: Family::default(),
            upload_bytes: Family::default(),
            connections_refused: Family::default(),
        };
        // A series appears once created: made now, at zero, each is there to
        // compare with when it first moves (`rate` and `increase` miss a
        // first increment that makes the series).
        for &reason in SlowDrop::ALL {
            metrics
                .slow_drops
                .get_or_create_owned(&SlowDropLabels { reason });
        }
        for &limit in Throttle::ALL {
            metrics
                .throttled
                .get_or_create_owned(&ThrottleLabels { limit });
        }
        for folder in Folder::ALL {
            metrics
                .upload_bytes
                .get_or_create_owned(&FolderLabels { folder });
        }
        for &limit in ConnectionLimit::ALL {
            metrics
                .connections_refused
                .get_or_create_owned(&ConnectionLabels { limit });
        }
        let registry = &mut metrics.registry;
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status \
             (WebSocket handshakes answer 101)",
            metrics.http_requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer's headers, by method \
             and route template",
            Unit::Seconds,
            metrics.http_duration.clone(),
        );
        registry.register(
            "sockets_connected",
            "WebSockets open on this server",
            metrics.sockets.clone(),
        );
        registry.register(
            "users_online",
            "People with at least one WebSocket open",
            metrics.users_online.clone(),
        );
        registry.register(
            "messages_stored",
            "Messages (text or file) committed to the database; a resend of \
             one already stored is not counted again",
            metrics.messages_stored.clone(),
        );
        registry.register(
            "messages_delivered",
            "Messages written to a WebSocket of someone other than their \
             sender, one per socket, live or in a reconnection's backfill",
            metrics.messages_delivered.clone(),
        );
        registry.register(
            "db_write_batch_size",
            "Writes committed together in one transaction by the database \
             writer",
            writer.batch_size.clone(),
        );
        registry.register_with_unit(
            "db_commit_duration",
            "Time the database writer took to commit one batch, fsync included",
            Unit::Seconds,
            writer.commit_seconds.clone(),
        );
        registry.register(
            "slow_clients_dropped",
            "WebSockets disconnected for not keeping up with their frames",
            metrics.slow_drops.clone(),
        );
        registry.register(
            "throttled",
            "Requests refused with 429 because a budget of failures was spent, \
             by which budget",
            metrics.throttled.clone(),
        );
        registry.register_with_unit(
            "upload",
            "Bytes of uploaded files kept, by folder (uploads: profile \
             pictures; files: files sent in chats)",
            Unit::Bytes,
            metrics.upload_bytes.clone(),
        );
        registry.register(
            "connections_refused",
            "Connections turned away with 503 (or closed unanswered when too \
             many refusals were under way) by a connection limit",
            metrics.connections_refused.clone(),
        );
        metrics
    }

    pub fn message_stored(&self) {
        self.messages_stored.inc();
    }

    pub fn message_delivered(&self) {
        self.messages_delivered.inc();
    }

    pub fn slow_client_dropped(&self, reason: SlowDrop) {
        self.slow_drops
            .get_or_create(&SlowDropLabels { reason })
            .inc();
    }

    pub fn throttled(&self, limit: Throttle) {
        self.throttled
            .get_or_create(&ThrottleLabels { limit })
            .inc();
    }

    pub fn upload_kept(&self, folder: Folder, bytes: u64) {
        self.upload_bytes
            .get_or_create(&FolderLabels { folder })
            .inc_by(bytes);
    }

    pub fn connection_refused(&self, limit: ConnectionLimit) {
        self.connections_refused
            .get_or_create(&ConnectionLabels { limit })
            .inc();
    }

    /// Everything, in the Prometheus text format.
    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Middleware: counts and times every request by its route's template
/// (requests no route matched share one label).
pub async fn record_request(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = RouteLabels {
        method: method_label(request.method()),
        route: route_label(&request),
    };
    let started = Instant::now();
    let response = next.run(request).await;
    metrics
        .http_duration
        .get_or_create(&route)
        .observe(started.elapsed().as_secs_f64());
    let status = response.status().as_u16();
    metrics
        .http_requests
        .get_or_create(&RequestLabels { route, status })
        .inc();
    response
}

/// The template of the route `request` matched.
fn route_label(request: &Request) -> Cow<'static, str> {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or(Cow::Borrowed(UNMATCHED), |route| {
            Cow::Owned(route.as_str().to_owned())
        })
}

/// The standard methods by name; any other (clients may invent them) as
/// one label, so that they cannot mint series.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, label)| label)
}

/// The server's metrics in the Prometheus text format, for this machine, or
/// for whoever presents `--metrics-token` (as a bearer token).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The metrics", content_type = "text/plain", body = String),
        (status = 401, description = "Not the metrics token", body = Problem),
        (status = 403, description = "From another machine, without the metrics token", body = Problem),
    )
)]
pub async fn export_metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
) -> AppResult<Response> {
    // Without connection info (a router called directly) nobody is local.
    let local = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| peer.ip().to_canonical().is_loopback());
    admit(
        state.config.metrics_token.as_deref(),
        // The header only: a query string ends up in proxies' logs.
        bearer(&headers).as_deref(),
        local,
    )?;

    let metrics = &state.metrics;
    metrics
        .sockets
        .set(i64::try_from(state.registry.socket_count()).unwrap_or(i64::MAX));
    metrics
        .users_online
        .set(i64::try_from(state.presence.online().len()).unwrap_or(i64::MAX));
    let text = metrics.encode().map_err(AppError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(prometheus_text::CONTENT_TYPE),
        )],
        text,
    )
        .into_response())
}

/// A presented token must be the configured one, wherever it comes from;
/// without one, only this machine may read. When no token is configured, a
/// presented one means nothing.
fn admit(expected: Option<&str>, presented: Option<&str>, local: bool) -> AppResult<()> {
    match (expected, presented) {
        (Some(expected), Some(presented)) => {
            // Digests are compared, not the tokens: how long the comparison
            // takes then says nothing about how much of a guess was right.
            if Sha256::digest(expected) == Sha256::digest(presented) {
                Ok(())
            } else {
                Err(AppError::Unauthorized("Invalid metrics token"))
            }
        }
        _ if local => Ok(()),
        _ => Err(AppError::Forbidden(
            "Metrics are served to this machine only, or with the metrics token",
        )),
    }
}
