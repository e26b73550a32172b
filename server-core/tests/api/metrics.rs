//! `GET /metrics`: counters that move with what people do, and who may read
//! them.

use std::{
    collections::HashMap,
    fmt,
    net::{IpAddr, SocketAddr},
};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, header},
};
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use server_core::{AppState, Config};
use tower::ServiceExt;

use crate::helpers::{PATIENCE, TINY_PNG, TestApp, detail, file_form, spawn_app, spawn_app_with};

/// One scrape: each series (name and labels, as exported) to its value.
struct Scrape(HashMap<String, f64>);

impl Scrape {
    fn parse(text: &str) -> Self {
        Self(
            text.lines()
                .filter(|line| !line.starts_with('#') && !line.is_empty())
                .map(|line| {
                    let (series, value) = line.rsplit_once(' ').expect("series and value");
                    (series.to_owned(), value.parse().expect("a number"))
                })
                .collect(),
        )
    }

    /// A series' value; 0 for one not exported yet (a route never called).
    fn get(&self, series: &str) -> f64 {
        self.0.get(series).copied().unwrap_or(0.0)
    }
}

impl fmt::Display for Scrape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut series: Vec<_> = self.0.iter().collect();
        series.sort_by(|a, b| a.0.cmp(b.0));
        series
            .into_iter()
            .try_for_each(|(name, value)| writeln!(f, "{name} {value}"))
    }
}

impl TestApp {
    async fn scrape(&self) -> Scrape {
        let response = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()[header::CONTENT_TYPE.as_str()]
            .to_str()
            .expect("ascii");
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        Scrape::parse(&response.text().await.expect("text"))
    }

    /// Scrapes until `reached` holds: some counts move only after the
    /// client has seen what they count (a frame is counted delivered once
    /// the server's write of it has finished, a socket is gone once its
    /// task has ended).
    async fn scrape_until(&self, what: &str, reached: impl Fn(&Scrape) -> bool) -> Scrape {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            tick.tick().await;
            let scrape = self.scrape().await;
            if reached(&scrape) {
                return scrape;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} in time; the last scrape:\n{scrape}"
            );
        }
    }
}

#[tokio::test]
async fn counters_move_as_people_send_upload_get_throttled_and_disconnect() {
    // Arrange
    let app = spawn_app_with(|config| config.login_burst = 2).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let before = app.scrape().await;
    let file: Vec<u8> = (0..=255u8).cycle().take(5_000).collect();

    // Act
    let mut alice_ws = app.ws_online(&alice).await;
    let mut bob_ws = app.ws_online(&bob).await;
    let both_online = app
        .scrape_until("both sockets are counted", |s| {
            s.get("chatterbox_sockets_connected") == 2.0 && s.get("chatterbox_users_online") == 2.0
        })
        .await;

    alice_ws.send_and_confirm(bob.id, "hello").await;
    bob_ws.expect("private_message").await;
    let sent = app
        .upload_file(&alice, bob.id, file_form("notes.bin", file.clone()))
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    bob_ws.expect("private_message").await;
    let picture = Form::new()
        .text("token", bob.token.clone())
        .part("file", Part::bytes(TINY_PNG).file_name("me.png"));
    let pictured = app.post_multipart("/upload-profile", picture).await;
    assert_eq!(pictured.status(), StatusCode::OK);

    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(app.login("alice", "not-alices-password").await.status());
    }
    assert_eq!(
        logins,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );

    bob_ws.close_and_wait().await;

    // Assert
    let after = app
        .scrape_until("bob's socket is gone and both messages delivered", |s| {
            s.get("chatterbox_sockets_connected") == 1.0
                && s.get("chatterbox_users_online") == 1.0
                && s.get("chatterbox_messages_delivered_total")
                    == before.get("chatterbox_messages_delivered_total") + 2.0
        })
        .await;
    let moved = |series: &str| after.get(series) - before.get(series);

    assert_eq!(before.get("chatterbox_sockets_connected"), 0.0);
    assert_eq!(
        moved("chatterbox_messages_stored_total"),
        2.0,
        "a text and a file; {after}"
    );
    assert_eq!(
        moved(r#"chatterbox_upload_bytes_total{folder="files"}"#),
        file.len() as f64
    );
    assert_eq!(
        moved(r#"chatterbox_upload_bytes_total{folder="uploads"}"#),
        TINY_PNG.len() as f64
    );
    assert_eq!(
        moved(r#"chatterbox_http_requests_total{method="POST",route="/upload-file",status="200"}"#),
        1.0
    );
    assert_eq!(
        moved(r#"chatterbox_http_requests_total{method="GET",route="/ws",status="101"}"#),
        2.0,
        "WebSocket handshakes count too"
    );
    assert_eq!(
        moved(r#"chatterbox_http_requests_total{method="POST",route="/login",status="429"}"#),
        1.0
    );
    assert_eq!(
        moved(r#"chatterbox_throttled_total{limit="login_username_address"}"#),
        1.0
    );
    assert_eq!(
        moved(
            r#"chatterbox_http_request_duration_seconds_count{method="POST",route="/upload-file"}"#
        ),
        1.0
    );
    for batches in [
        "chatterbox_db_write_batch_size_count",
        "chatterbox_db_commit_duration_seconds_count",
    ] {
        assert!(moved(batches) >= 2.0, "each message was committed: {after}");
    }
    assert_eq!(
        after.get(r#"chatterbox_slow_clients_dropped_total{reason="queue_full"}"#),
        0.0,
        "exported before any client is dropped"
    );
    assert!(
        both_online
            .get(r#"chatterbox_http_requests_total{method="GET",route="/metrics",status="200"}"#)
            >= 1.0,
        "scrapes count themselves"
    );
}

#[tokio::test]
async fn paths_are_counted_by_their_route_template_and_unknown_ones_under_one_label() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let before = app.scrape().await;

    // Act
    for other in [&bob, &carol, &bob] {
        app.history(&alice, other.id).await;
    }
    for path in ["/no-such-page", "/another/unknown/path"] {
        app.client.get(app.url(path)).send().await.expect("request");
    }
    let missing = app.get_file(&alice, "static/files/1_00_missing.txt").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let after = app.scrape().await;

    // Assert
    let moved = |series: &str| after.get(series) - before.get(series);
    assert_eq!(
        moved(
            r#"chatterbox_http_requests_total{method="GET",route="/messages/{receiver_id}",status="200"}"#
        ),
        3.0,
        "{after}"
    );
    assert_eq!(
        moved(
            r#"chatterbox_http_request_duration_seconds_count{method="GET",route="/messages/{receiver_id}"}"#
        ),
        3.0
    );
    assert_eq!(
        moved(r#"chatterbox_http_requests_total{method="GET",route="unmatched",status="404"}"#),
        2.0
    );
    assert_eq!(
        moved(
            r#"chatterbox_http_requests_total{method="GET",route="/static/files/{name}",status="404"}"#
        ),
        1.0
    );
    assert!(
        !after.0.keys().any(|series| series.contains("no-such-page")),
        "no path becomes a label"
    );
}

// Who may read the metrics.

const TOKEN: &str = "a-long-random-metrics-token";

/// `GET /metrics` through the router alone, as if from `peer`.
async fn metrics_from(
    state: &AppState,
    peer: IpAddr,
    bearer: Option<&str>,
) -> (StatusCode, String) {
    let mut request = Request::get("/metrics");
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let mut request = request.body(Body::empty()).expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(peer, 50_000)));
    let response = server_core::router(state.clone())
        .oneshot(request)
        .await
        .expect("an answer");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8(body.to_vec()).expect("utf-8"))
}

async fn state_with(token: Option<&str>) -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::new(dir.path());
    config.metrics_token = token.map(str::to_owned);
    (AppState::open(config).await.expect("state"), dir)
}

fn detail_of(body: &str) -> String {
    let body: serde_json::Value = serde_json::from_str(body).expect("a JSON refusal");
    body["detail"].as_str().expect("detail").to_owned()
}

#[tokio::test]
async fn other_machines_need_the_metrics_token_and_this_one_does_not() {
    let lan: IpAddr = "192.168.1.20".parse().unwrap();
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    let mapped_loopback: IpAddr = "::ffff:127.0.0.1".parse().unwrap();

    let (untokened, _dir) = state_with(None).await;
    let (status, body) = metrics_from(&untokened, lan, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        detail_of(&body),
        "Metrics are served to this machine only, or with the metrics token"
    );
    let (status, _) = metrics_from(&untokened, lan, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no token is configured");
    for local in [loopback, mapped_loopback] {
        let (status, body) = metrics_from(&untokened, local, None).await;
        assert_eq!(status, StatusCode::OK, "from {local}");
        assert!(body.contains("chatterbox_sockets_connected 0"), "{body}");
    }
    untokened.store.close().await;

    let (tokened, _dir) = state_with(Some(TOKEN)).await;
    let (status, _) = metrics_from(&tokened, lan, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for wrong in ["a-long-random-metrics-toke", "guess", ""] {
        let (status, body) = metrics_from(&tokened, lan, Some(wrong)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert_eq!(detail_of(&body), "Invalid metrics token");
    }
    let (status, body) = metrics_from(&tokened, lan, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("# TYPE chatterbox_http_requests_total counter"));
    let (status, _) = metrics_from(&tokened, loopback, None).await;
    assert_eq!(status, StatusCode::OK, "this machine needs no token");
    let (status, _) = metrics_from(&tokened, loopback, Some("wrong")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a wrong token is wrong anywhere"
    );
    tokened.store.close().await;
}

/// The address of this machine to test a real non-loopback connection
/// with, from `CHATTERBOX_TEST_LAN_ADDRESS`. Off by default: tests here send
/// traffic to loopback only. Set it where connecting to that address stays
/// on the machine, e.g. inside a network namespace with a dummy interface
/// holding it.
fn lan_address() -> Option<IpAddr> {
    let address = std::env::var("CHATTERBOX_TEST_LAN_ADDRESS").ok()?;
    let address: IpAddr = address
        .parse()
        .expect("CHATTERBOX_TEST_LAN_ADDRESS is an IP address");
    assert!(
        !address.is_loopback(),
        "CHATTERBOX_TEST_LAN_ADDRESS must not be a loopback address"
    );
    Some(address)
}

#[tokio::test]
async fn over_real_connections_only_loopback_peers_read_metrics_without_the_token() {
    // Arrange: listening on every interface, as a LAN server does.
    let app = spawn_app_with(|config| {
        config.bind = "0.0.0.0:0".parse().unwrap();
        config.metrics_token = Some(TOKEN.to_owned());
    })
    .await;
    let loopback = format!("http://127.0.0.1:{}/metrics", app.addr.port());

    // Act and assert: the peer address the server sees is the socket's.
    let local = app.client.get(&loopback).send().await.expect("request");
    assert_eq!(local.status(), StatusCode::OK);

    let Some(lan) = lan_address() else {
        println!(
            "skipped the non-loopback half: set CHATTERBOX_TEST_LAN_ADDRESS to an address of \
             this machine (tests here reach loopback addresses only; the rule itself is \
             covered through the router by other_machines_need_the_metrics_token_and_this_one_does_not)"
        );
        return;
    };
    let remote = format!("http://{}/metrics", SocketAddr::new(lan, app.addr.port()));
    let refused = app.client.get(&remote).send().await.expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        detail(refused).await,
        "Metrics are served to this machine only, or with the metrics token"
    );
    let wrong = app
        .client
        .get(&remote)
        .bearer_auth("wrong")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let allowed = app
        .client
        .get(&remote)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(allowed.status(), StatusCode::OK);
}

/// Upload bytes count files kept: one refused after it was received (sent
/// into a room its sender is not in) is removed and not counted.
#[tokio::test]
async fn a_refused_upload_adds_no_bytes() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app
        .client
        .post(app.url("/conversations"))
        .bearer_auth(&bob.token)
        .json(&serde_json::json!({"kind": "room", "title": "Bob's"}))
        .send()
        .await
        .expect("request");
    let room: serde_json::Value = room.json().await.expect("json");
    let chat_bytes = "chatterbox_upload_bytes_total{folder=\"files\"}";
    let before = app.scrape().await.get(chat_bytes);

    let refused = app
        .client
        .post(app.url(&format!(
            "/upload-file?conversation_id={}",
            room["conversation_id"]
        )))
        .bearer_auth(&alice.token)
        .multipart(file_form("notes.txt", vec![b'x'; 300]))
        .send()
        .await
        .expect("request");
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "{}",
        detail(refused).await
    );
    assert_eq!(app.scrape().await.get(chat_bytes), before);

    let kept = app
        .client
        .post(app.url(&format!("/upload-file?receiver_id={}", bob.id)))
        .bearer_auth(&alice.token)
        .multipart(file_form("notes.txt", vec![b'x'; 300]))
        .send()
        .await
        .expect("request");
    assert_eq!(kept.status(), StatusCode::OK);
    assert_eq!(app.scrape().await.get(chat_bytes), before + 300.0);
    app.shutdown().await;
}
