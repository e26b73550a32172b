//! Load generator: many users chatting at once against a real server.
//!
//! Starts a server in this process on 127.0.0.1:0 with a temporary data
//! directory (or targets `--server http://127.0.0.1:PORT`), registers
//! `--users` people, opens one WebSocket each, and has every user send
//! `--messages` messages to the next one, each waiting for its own echo
//! (that is, for the commit) before sending the next. Prints throughput,
//! echo-latency percentiles, and the process's peak memory, then checks that
//! every message was delivered and stored. For the server's memory, run it
//! against a `chatterbox-server` process and read that process's
//! `/proc/PID/status` (see `scripts/bench`).
//!
//! `cargo run --release -p server-core --example load -- --users 200 --messages 50`

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use server_core::{Config, Server};
use tokio_tungstenite::{connect_async, tungstenite::Message};

struct Args {
    users: usize,
    messages: usize,
    server: Option<String>,
}

fn parse_args() -> Args {
    let mut args = Args {
        users: 100,
        messages: 100,
        server: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--users" => args.users = value.parse().expect("--users N"),
            "--messages" => args.messages = value.parse().expect("--messages N"),
            "--server" => args.server = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(args.users >= 2, "need at least two users");
    args
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let dir = tempfile::tempdir().expect("temp dir");
    let (base, server) = match &args.server {
        Some(url) => (url.trim_end_matches('/').to_owned(), None),
        None => {
            let mut config = Config::new(dir.path());
            config.bind = "127.0.0.1:0".parse().unwrap();
            config.login_burst = 100_000;
            config.register_burst = 100_000;
            let server = Server::start(config).await.expect("server starts");
            (format!("http://{}", server.local_addr), Some(server))
        }
    };
    let http = reqwest::Client::new();

    let started = Instant::now();
    let mut accounts = Vec::new();
    for chunk in (0..args.users).collect::<Vec<_>>().chunks(16) {
        let logins = chunk.iter().map(|n| account(&http, &base, *n));
        accounts.extend(futures_util::future::join_all(logins).await);
    }
    println!(
        "registered and logged in {} users in {:.2?}",
        args.users,
        started.elapsed()
    );

    let ws_base = base.replacen("http", "ws", 1);
    let started = Instant::now();
    let runs = accounts.iter().enumerate().map(|(n, (_, token))| {
        let peer = accounts[(n + 1) % accounts.len()].0;
        chat(
            format!("{ws_base}/ws?token={token}"),
            peer,
            args.messages,
            n,
        )
    });
    let mut latencies: Vec<Duration> = futures_util::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect();
    let elapsed = started.elapsed();
    latencies.sort();
    let total = latencies.len();
    let pct = |p: f64| latencies[((total as f64 * p) as usize).min(total - 1)];
    println!(
        "{total} messages in {elapsed:.2?}: {:.0} msg/s; echo latency p50 {:.2?}, p95 {:.2?}, p99 {:.2?}, max {:.2?}",
        total as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.95),
        pct(0.99),
        latencies[total - 1],
    );

    // Every message is stored: each user's history with the next holds
    // exactly what they sent.
    for (n, (_, token)) in accounts.iter().enumerate() {
        let peer = accounts[(n + 1) % accounts.len()].0;
        let history: Vec<Value> = http
            .get(format!("{base}/messages/{peer}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("history")
            .json()
            .await
            .expect("json");
        let sent = history.iter().filter(|m| m["receiver_id"] == peer).count();
        assert_eq!(sent, args.messages, "user {n}'s messages are all stored");
    }
    println!("verified: all {total} messages stored and delivered");
    if let Some(server) = server {
        server.shutdown().await.expect("clean shutdown");
    }
}

async fn account(http: &reqwest::Client, base: &str, n: usize) -> (i64, String) {
    let name = format!("load{n}");
    let credentials = json!({ "username": name, "password": "load-test-password" });
    http.post(format!("{base}/register"))
        .json(&credentials)
        .send()
        .await
        .expect("register");
    let login: Value = http
        .post(format!("{base}/login"))
        .json(&credentials)
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    (
        login["user_id"].as_i64().expect("user_id"),
        login["token"].as_str().expect("token").to_owned(),
    )
}

/// Sends `count` messages to `peer`, one at a time, timing each echo.
async fn chat(url: String, peer: i64, count: usize, n: usize) -> Vec<Duration> {
    let (mut socket, _) = connect_async(url).await.expect("websocket");
    let mut latencies = Vec::with_capacity(count);
    let mut pending: HashMap<String, Instant> = HashMap::new();
    for i in 0..count {
        let content = format!("message {i} from {n}");
        pending.insert(content.clone(), Instant::now());
        let frame = json!({ "type": "private_message", "receiver_id": peer, "content": content });
        socket
            .send(Message::text(frame.to_string()))
            .await
            .expect("send");
        // Wait for our own echo; what others send us meanwhile is skipped.
        loop {
            let text = match socket.next().await {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(_)) => continue,
                other => panic!("socket {n} ended: {other:?}"),
            };
            let frame: Value = serde_json::from_str(&text).expect("json");
            if frame["type"] != "private_message" {
                continue;
            }
            if let Some(sent) = frame["content"].as_str().and_then(|c| pending.remove(c)) {
                latencies.push(sent.elapsed());
                break;
            }
        }
    }
    latencies
}
