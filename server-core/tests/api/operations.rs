//! What whoever runs the server watches: liveness, readiness, log lines.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{PATIENCE, detail, spawn_app};

#[tokio::test]
async fn readyz_answers_ready_while_the_database_takes_writes() {
    let app = spawn_app().await;

    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    let alive = app.client.get(app.url("/healthz")).send().await.unwrap();

    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(alive.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_answers_503_once_the_database_takes_no_writes_while_healthz_stays_alive() {
    let app = spawn_app().await;

    // The writer stops, as on a failed disk: reads still work, writes fail.
    app.state().store.close().await;
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    let alive = app.client.get(app.url("/healthz")).send().await.unwrap();

    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().contains_key(reqwest::header::RETRY_AFTER));
    assert_eq!(detail(ready).await, "The database cannot be written");
    assert_eq!(alive.status(), StatusCode::OK, "alive, though not ready");
}

#[test]
fn with_log_format_json_every_log_line_is_a_json_object() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_chatterbox-server"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--log",
            "info",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stderr = server.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });

    // A fresh data directory: each migration is logged as it is applied.
    let first = received.recv_timeout(PATIENCE).expect("a log line in time");
    let second = received.recv_timeout(PATIENCE).expect("another in time");
    server.kill().unwrap();
    server.wait().unwrap();

    for line in [first, second] {
        let entry: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?} is JSON: {e}"));
        assert_eq!(entry["level"], "INFO", "{line}");
        assert_eq!(entry["message"], "applied database migration", "{line}");
        assert!(
            entry["version"].is_u64(),
            "fields sit beside the message: {line}"
        );
        assert!(entry["timestamp"].is_string(), "{line}");
    }
}
