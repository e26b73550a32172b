//! What an acknowledgement promises: a message whose echo reached its sender
//! is on disk. Clients send flat out over WebSockets to the real
//! `chatterbox-server` binary, which is killed with SIGKILL in the middle
//! of it and restarted on the same data directory, three times over. After
//! each kill SQLite's integrity check passes, and after each restart every
//! acknowledged message is in history exactly once and no message is
//! stored twice.

use std::{
    collections::{HashMap, HashSet},
    path::Path,
    process::Stdio,
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::mpsc,
    task::JoinSet,
    time::timeout,
};
use tokio_tungstenite::{connect_async, tungstenite::Message};

/// Senders, each writing to the next one round a ring.
const PEOPLE: usize = 6;
/// Messages a sender has sent and not yet seen acknowledged.
const WINDOW: usize = 32;
const ROUNDS: usize = 3;
/// Bounds on anything that should happen at once.
const PATIENCE: Duration = Duration::from_secs(30);

struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts the binary on a free loopback port over `dir` and waits until
    /// it says where it listens.
    async fn start(dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chatterbox-server"))
            .args(["--bind", "127.0.0.1:0", "--log", "warn"])
            .args(["--register-burst", "100", "--login-burst", "100"])
            .arg("--data-dir")
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let base = timeout(PATIENCE, async {
            while let Some(line) = lines.next_line().await.expect("stdout") {
                if let Some(url) = line.trim().strip_prefix("open ") {
                    return url.trim_end_matches('/').to_owned();
                }
            }
            panic!("the server ended before listening");
        })
        .await
        .expect("the server listens in time");
        // Read on, so that whatever it prints later has somewhere to go.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, base }
    }

    fn ws_url(&self, token: &str) -> String {
        format!("{}/ws?token={token}", self.base.replacen("http", "ws", 1))
    }

    async fn kill(mut self) {
        // SIGKILL: no shutdown, no flush, no close frames.
        self.child.kill().await.expect("the server is killed");
    }

    async fn stop(mut self) {
        let pid = self.child.id().expect("running");
        // SIGTERM: the graceful way, so the last check reads a closed file.
        let status = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
        timeout(PATIENCE, self.child.wait())
            .await
            .expect("the server stops in time")
            .expect("wait");
    }
}

#[derive(Clone)]
struct Person {
    id: i64,
    token: String,
}

async fn sign_up(http: &reqwest::Client, server: &Server, name: &str) -> Person {
    let credentials = json!({"username": name, "password": "durable password 1"});
    let created = http
        .post(format!("{}/register", server.base))
        .json(&credentials)
        .send()
        .await
        .expect("register");
    assert_eq!(created.status(), 200);
    let login: Value = http
        .post(format!("{}/login", server.base))
        .json(&credentials)
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    Person {
        id: login["user_id"].as_i64().expect("user_id"),
        token: login["token"].as_str().expect("token").to_owned(),
    }
}

/// Sends to `to` as fast as acknowledgements allow, up to [`WINDOW`] ahead,
/// reporting each acknowledged `client_id` until the socket fails.
async fn send_flat_out(
    url: String,
    me: i64,
    to: i64,
    round: usize,
    acks: mpsc::UnboundedSender<String>,
) {
    let Ok((socket, _)) = connect_async(url).await else {
        return;
    };
    let (mut out, mut incoming) = socket.split();
    let mut sent = 0usize;
    let mut acked = 0usize;
    loop {
        while sent - acked < WINDOW {
            let frame = json!({
                "type": "private_message",
                "receiver_id": to,
                "content": format!("round {round}, message {sent} from {me}"),
                "client_id": format!("{round}-{me}-{sent}"),
            });
            if out.send(Message::text(frame.to_string())).await.is_err() {
                return;
            }
            sent += 1;
        }
        let Some(Ok(message)) = incoming.next().await else {
            return;
        };
        let Ok(text) = message.to_text() else {
            continue;
        };
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        if frame["type"] == "private_message"
            && frame["sender_id"] == me
            && let Some(client_id) = frame["client_id"].as_str()
        {
            acked += 1;
            if acks.send(client_id.to_owned()).is_err() {
                return;
            }
        }
    }
}

/// Every acknowledged message is stored once, and nothing is stored twice.
async fn check_history(
    http: &reqwest::Client,
    server: &Server,
    people: &[Person],
    acked: &HashSet<String>,
) {
    let mut stored: HashMap<String, usize> = HashMap::new();
    for (i, person) in people.iter().enumerate() {
        let next = &people[(i + 1) % people.len()];
        let history: Vec<Value> = http
            .get(format!("{}/messages/{}", server.base, next.id))
            .bearer_auth(&person.token)
            .send()
            .await
            .expect("history")
            .json()
            .await
            .expect("json");
        for message in history.iter().filter(|m| m["sender_id"] == person.id) {
            let client_id = message["client_id"].as_str().expect("a client_id");
            *stored.entry(client_id.to_owned()).or_default() += 1;
        }
    }
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let missing: Vec<_> = acked
        .iter()
        .filter(|id| !stored.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged messages are missing, e.g. {:?}",
        missing.len(),
        acked.len(),
        missing.iter().take(5).collect::<Vec<_>>()
    );
}

fn check_integrity(dir: &Path) {
    let db = rusqlite::Connection::open(dir.join("chatterbox.db")).expect("the database opens");
    let verdict: String = db
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check");
    assert_eq!(verdict, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let http = reqwest::Client::new();
    let mut server = Server::start(dir.path()).await;
    let mut people = Vec::new();
    for n in 0..PEOPLE {
        people.push(sign_up(&http, &server, &format!("sender{n}")).await);
    }
    let mut acked = HashSet::new();
    let mut rng = rand::thread_rng();

    for round in 0..ROUNDS {
        let (report, mut acks) = mpsc::unbounded_channel();
        let mut senders = JoinSet::new();
        for (i, person) in people.iter().enumerate() {
            let to = people[(i + 1) % PEOPLE].id;
            let url = server.ws_url(&person.token);
            senders.spawn(send_flat_out(url, person.id, to, round, report.clone()));
        }
        drop(report);
        // Killed mid-run: after some hundreds of acknowledgements, while
        // every sender still has a window of messages in flight.
        let kill_after = rng.gen_range(200..1500);
        let mut this_round = 0;
        while this_round < kill_after {
            let ack = timeout(PATIENCE, acks.recv())
                .await
                .expect("messages are acknowledged")
                .expect("senders run");
            acked.insert(ack);
            this_round += 1;
        }
        server.kill().await;
        // Acknowledgements that were on their way when it died count too.
        while let Some(ack) = timeout(PATIENCE, acks.recv()).await.expect("senders end") {
            acked.insert(ack);
        }
        while senders.join_next().await.is_some() {}
        check_integrity(dir.path());

        server = Server::start(dir.path()).await;
        check_history(&http, &server, &people, &acked).await;
    }
    server.stop().await;
    check_integrity(dir.path());
    assert!(acked.len() >= ROUNDS * 200, "{} acknowledged", acked.len());
}
