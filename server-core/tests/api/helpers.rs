//! Starting a real server and talking to it.

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use server_core::{Config, RunningServer, Server};
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

/// How long a test waits for something that should happen at once.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub dir: TempDir,
    server: RunningServer,
}

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub name: String,
    pub password: String,
    pub token: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server with the test defaults, adjusted by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    tweak(&mut config);
    start(config, dir).await
}

fn test_config(dir: &TempDir) -> Config {
    let mut config = Config::new(dir.path());
    config.bind = "127.0.0.1:0".parse().expect("address");
    // Each presence change announced at once, alone, so that tests can
    // wait for the one they expect; gathering has tests of its own.
    config.presence_interval = std::time::Duration::ZERO;
    config
}

async fn start(config: Config, dir: TempDir) -> TestApp {
    let server = Server::start(config).await.expect("server starts");
    TestApp {
        addr: server.local_addr,
        client: reqwest::Client::new(),
        dir,
        server,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server gracefully and starts a new one on the same data.
    pub async fn restart(self) -> TestApp {
        let config = (*self.server.state.config).clone();
        self.server.shutdown().await.expect("clean shutdown");
        let mut config = config;
        config.bind = "127.0.0.1:0".parse().expect("address");
        start(config, self.dir).await
    }

    /// The running server's shared state, to reach behind the API (stop
    /// its store, as a failing disk would).
    pub fn state(&self) -> &server_core::AppState {
        &self.server.state
    }

    pub async fn shutdown(self) {
        self.server.shutdown().await.expect("clean shutdown");
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/register",
            &json!({ "username": username, "password": password }),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/login",
            &json!({ "username": username, "password": password }),
        )
        .await
    }

    /// Registers and logs in `name` with a fixed good password.
    pub async fn user(&self, name: &str) -> TestUser {
        let password = format!("{name}-secret-pw");
        let registered = self.register(name, &password).await;
        assert_eq!(registered.status(), StatusCode::OK, "register {name}");
        let login: Value = self
            .login(name, &password)
            .await
            .json()
            .await
            .expect("json");
        TestUser {
            id: login["user_id"].as_i64().expect("user_id"),
            name: name.to_owned(),
            password,
            token: login["token"].as_str().expect("token").to_owned(),
        }
    }

    /// GET with `Authorization: Bearer`.
    pub async fn get_as(&self, user: &TestUser, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&user.token)
            .send()
            .await
            .expect("request")
    }

    pub async fn history(&self, user: &TestUser, other: i64) -> Vec<Value> {
        let response = self.get_as(user, &format!("/messages/{other}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }

    /// Opens `/ws?token=` with no Origin header (a non-browser client).
    pub async fn ws(&self, token: &str) -> Ws {
        self.ws_request(token, None).await.expect("websocket opens")
    }

    /// Opens the WebSocket, optionally as a browser page of `origin` would.
    pub async fn ws_request(&self, token: &str, origin: Option<&str>) -> WsResult {
        self.ws_at(&format!("/ws?token={token}"), origin).await
    }
}

/// Reads a `{"detail": ...}` error body.
pub async fn detail(response: Response) -> String {
    let body: Value = response.json().await.expect("json error body");
    body["detail"]
        .as_str()
        .expect("detail is a string")
        .to_owned()
}

pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    pub async fn send_json(&mut self, frame: &Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::text(text))
            .await
            .expect("send frame");
    }

    /// The next JSON frame, whatever its type.
    pub async fn next_json(&mut self) -> Value {
        // One deadline for the whole wait: pings keep arriving, and a
        // per-frame timeout would never expire.
        let text = tokio::time::timeout(PATIENCE, async {
            loop {
                let message = self
                    .stream
                    .next()
                    .await
                    .expect("socket still open")
                    .expect("frame reads");
                if let Message::Text(text) = message {
                    return text;
                }
            }
        })
        .await
        .expect("a frame arrives in time");
        serde_json::from_str(&text).expect("frames are JSON")
    }

    /// The next frame of `kind`, skipping the frames that come of their own
    /// accord (presence whenever anyone connects, delivery receipts whenever
    /// a message reaches its recipient) unless one of those is asked for.
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next_json().await;
            if frame["type"] == kind {
                return frame;
            }
            assert!(
                frame["type"] == "presence" || frame["type"] == "delivered",
                "expected {kind}, got {frame}"
            );
        }
    }

    pub async fn send_message(&mut self, receiver: i64, content: &str) {
        self.send_json(&json!({
            "type": "private_message",
            "receiver_id": receiver,
            "content": content,
        }))
        .await;
    }

    /// Waits until the server closes this socket; returns the close code.
    pub async fn expect_closed(&mut self) -> Option<u16> {
        tokio::time::timeout(PATIENCE, async {
            loop {
                match self.stream.next().await {
                    Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.into()),
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return None,
                }
            }
        })
        .await
        .expect("socket closes in time")
    }
}

// Uploads and served files.

/// A real 1×1 transparent PNG.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0xe9, 0xfa, 0xdc, 0xd8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// A real 1×1 grey baseline JPEG (one DC-only block, one-code Huffman tables).
pub const TINY_JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x01,
    0x00, 0x01, 0x01, 0x01, 0x11, 0x00, 0xff, 0xc4, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xc4, 0x00, 0x14,
    0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x3f, 0xff, 0xd9,
];

/// A real 1×1 transparent GIF.
pub const TINY_GIF: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// A real 1×1 transparent lossless WebP.
pub const TINY_WEBP: &[u8] = &[
    0x52, 0x49, 0x46, 0x46, 0x1a, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4c,
    0x0d, 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe,
    0x07, 0x00,
];

/// A multipart part carrying `bytes` as a file called `name` (sent as raw
/// UTF-8 in `filename="…"`, as browsers do).
pub fn file_part(name: &str, bytes: impl Into<Vec<u8>>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes.into()).file_name(name.to_owned())
}

/// A form holding only a `file` part.
pub fn file_form(name: &str, bytes: impl Into<Vec<u8>>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part("file", file_part(name, bytes))
}

/// The names of the files directly inside `dir`, sorted; none if it is missing.
pub fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| {
                entry
                    .expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// The profile pictures on disk.
pub fn uploads(app: &TestApp) -> Vec<String> {
    files_in(&app.dir.path().join("uploads"))
}

/// The files sent in conversations, on disk.
pub fn chat_files(app: &TestApp) -> Vec<String> {
    files_in(&app.dir.path().join("files"))
}

/// Uploads being received, or left behind by one that failed.
pub fn partials(app: &TestApp) -> Vec<String> {
    files_in(&app.dir.path().join("partial"))
}

impl TestApp {
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Response {
        self.client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// `POST /upload-file?token=&receiver_id=`, as the contract has it.
    pub async fn upload_file(
        &self,
        sender: &TestUser,
        receiver: i64,
        form: reqwest::multipart::Form,
    ) -> Response {
        let path = format!("/upload-file?token={}&receiver_id={receiver}", sender.token);
        self.post_multipart(&path, form).await
    }

    /// GETs a path as the API gives it (`static/…`, no leading slash), as
    /// `user` (`Authorization: Bearer`).
    pub async fn get_file(&self, user: &TestUser, path: &str) -> Response {
        self.client
            .get(self.url(&format!("/{path}")))
            .bearer_auth(&user.token)
            .send()
            .await
            .expect("request")
    }

    /// GETs a path as the API gives it with no credentials at all.
    pub async fn get_file_anonymously(&self, path: &str) -> Response {
        self.client
            .get(self.url(&format!("/{path}")))
            .send()
            .await
            .expect("request")
    }

    /// Sends `GET target` byte for byte, with no client-side normalisation
    /// of `..` or percent escapes; returns the status and the raw response.
    pub async fn raw_get(&self, target: &str) -> (u16, Vec<u8>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("send request");
        let mut response = Vec::new();
        tokio::time::timeout(PATIENCE, stream.read_to_end(&mut response))
            .await
            .expect("response in time")
            .expect("read response");
        let status = std::str::from_utf8(&response[..response.len().min(12)])
            .ok()
            .and_then(|line| line.strip_prefix("HTTP/1.1 "))
            .and_then(|code| code.parse().ok())
            .expect("an HTTP/1.1 status line");
        (status, response)
    }
}

// Sockets whose readiness, end or misbehaviour a test controls.

/// What a refused WebSocket handshake looks like to the client.
pub type WsResult = Result<Ws, tokio_tungstenite::tungstenite::Error>;

/// The HTTP status with which the server refused a WebSocket handshake.
pub fn refusal_status(handshake: WsResult) -> StatusCode {
    match handshake {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected the handshake to be refused, but it was accepted"),
    }
}

/// A `presence` frame as the server sends it.
pub fn presence(user: i64, is_online: bool, last_seen: Option<&str>) -> Value {
    json!({ "type": "presence", "user_id": user, "is_online": is_online, "last_seen": last_seen })
}

impl TestApp {
    /// Opens `path_and_query` (e.g. `/ws` with no token at all) as a
    /// WebSocket, optionally with an `Origin`.
    pub async fn ws_at(&self, path_and_query: &str, origin: Option<&str>) -> WsResult {
        let mut request = format!("ws://{}{path_and_query}", self.addr)
            .into_client_request()
            .expect("request");
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_str(origin).expect("header"));
        }
        let (stream, _) = connect_async(request).await?;
        Ok(Ws { stream })
    }

    /// Opens the first socket of `user` and waits for the server to announce
    /// them online on it. The handshake completes before the server
    /// subscribes the socket to events; once this returns, every later event
    /// reaches the socket, and its own announcement has been consumed.
    pub async fn ws_online(&self, user: &TestUser) -> Ws {
        let mut ws = self.ws(&user.token).await;
        let first = ws.next_json().await;
        assert_eq!(
            first,
            presence(user.id, true, None),
            "{}'s first socket hears them come online first",
            user.name
        );
        ws
    }

    /// Opens one more socket for `user` (who may already be online, so no
    /// presence frame is due) and waits until it is subscribed to events.
    pub async fn ws_subscribed(&self, user: &TestUser) -> Ws {
        let mut ws = self.ws(&user.token).await;
        ws.wait_until_subscribed().await;
        ws
    }

    /// POST with `Authorization: Bearer` and no body.
    pub async fn post_as(&self, user: &TestUser, path: &str) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&user.token)
            .send()
            .await
            .expect("request")
    }

    /// `GET /users` as `user`; the entry of `id`.
    pub async fn listed_user(&self, user: &TestUser, id: i64) -> Value {
        let response = self.get_as(user, "/users").await;
        assert_eq!(response.status(), StatusCode::OK);
        let users: Vec<Value> = response.json().await.expect("json");
        users
            .into_iter()
            .find(|u| u["id"] == id)
            .unwrap_or_else(|| panic!("user {id} is listed"))
    }
}

impl Ws {
    /// Waits until the server reads frames from this socket, which it does
    /// only once the socket is subscribed to events. A frame of an unknown
    /// type changes nothing and is answered, on this socket only, with an
    /// error; presence frames met on the way are skipped.
    pub async fn wait_until_subscribed(&mut self) {
        self.send_json(&json!({ "type": "test_barrier_unknown_to_the_server" }))
            .await;
        self.expect("error").await;
    }

    /// Sends a text message and returns its echo to this socket.
    pub async fn send_and_confirm(&mut self, receiver: i64, content: &str) -> Value {
        self.send_message(receiver, content).await;
        let echo = self.expect("private_message").await;
        assert_eq!(echo["content"], content, "the echo is of the message sent");
        echo
    }

    /// Closes cleanly and returns once the server has hung up, i.e. once it
    /// is done with the socket (it unsubscribes it before dropping it).
    pub async fn close_and_wait(mut self) {
        self.stream.close(None).await.expect("send close frame");
        self.wait_for_hang_up().await;
    }

    /// Ends the connection with no close frame, as a crashed client would:
    /// the TCP stream is shut down under the WebSocket.
    pub async fn drop_abruptly(mut self) {
        use tokio::io::AsyncWriteExt;
        match self.stream.get_mut() {
            MaybeTlsStream::Plain(tcp) => tcp.shutdown().await.expect("TCP shutdown"),
            _ => unreachable!("test sockets are plain TCP"),
        }
    }

    /// Reads until the connection ends, whatever comes first.
    pub async fn wait_for_hang_up(&mut self) {
        tokio::time::timeout(PATIENCE, async {
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await
        .expect("the server hangs up in time");
    }
}

/// Asserts that `value` is a timestamp as the contract has it, UTC with an
/// explicit `Z`, e.g. `2025-03-01T10:20:30.123456Z`.
pub fn assert_utc_timestamp(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("timestamp is a string: {value}"));
    assert!(text.ends_with('Z'), "{text} carries the UTC marker");
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text} is ISO-8601: {e}"));
}

/// Asserts the contract's fields of a text message, as history lists it or
/// a `private_message` frame carries it; `id` is only checked to be one.
pub fn assert_text_message(message: &Value, sender: i64, receiver: i64, content: &str) {
    assert!(
        message["id"].as_i64().is_some_and(|id| id > 0),
        "id in {message}"
    );
    assert_eq!(message["sender_id"], sender, "sender_id in {message}");
    assert_eq!(message["receiver_id"], receiver, "receiver_id in {message}");
    assert_eq!(message["content"], content, "content in {message}");
    assert_utc_timestamp(&message["timestamp"]);
    assert_eq!(message["is_edited"], 0, "is_edited in {message}");
    assert!(message["file_path"].is_null(), "file_path in {message}");
}

/// Text as a query string value or path segment: percent-encoded but for
/// the unreserved ASCII characters.
pub fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
