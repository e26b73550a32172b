//! Issue 11: what an anonymous or hostile client can no longer do, and the
//! answers it gets instead: long paths, held connections, password
//! guessing, unauthenticated uploads, WebSocket protocol violations, and
//! refusals that leave a keep-alive connection in a known state.

use std::{net::IpAddr, time::Duration};

use futures_util::SinkExt;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{
    PATIENCE, TestApp, TestUser, chat_files, file_form, file_part, partials, spawn_app,
    spawn_app_with,
};

/// The JSON body of a raw HTTP response.
fn json_body(raw: &[u8]) -> Value {
    let text = String::from_utf8_lossy(raw);
    let (_, body) = text.split_once("\r\n\r\n").expect("a header/body split");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{body:?} is JSON: {e}"))
}

/// Alice sends Bob a small text file; returns its path as the API gives it.
async fn a_sent_file(app: &TestApp, alice: &TestUser, bob: &TestUser, bytes: &[u8]) -> String {
    let response = app
        .upload_file(alice, bob.id, file_form("notes.txt", bytes.to_vec()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let sent: Value = response.json().await.expect("json");
    sent["file_path"].as_str().expect("file_path").to_owned()
}

// Point 2: long paths under /static.

#[tokio::test]
async fn long_or_deep_paths_under_static_get_a_json_404() {
    // Arrange
    let app = spawn_app().await;
    let long = "x".repeat(256);
    let very_long = "y".repeat(5000);
    let deep = "a/".repeat(3000);
    let targets = [
        format!("/static/files/{long}"),
        format!("/static/uploads/{long}"),
        format!("/static/files/{very_long}"),
        format!("/static/files/{deep}x"),
        format!("/static/uploads/{deep}x"),
        format!("/static/{long}"),
    ];

    for target in targets {
        // Act
        let (status, raw) = app.raw_get(&target).await;

        // Assert
        assert_eq!(status, 404, "{}…", &target[..40]);
        let body = json_body(&raw);
        assert!(body["detail"].is_string(), "{body}");
        let head = String::from_utf8_lossy(&raw).to_lowercase();
        assert!(head.contains("content-type: application/json"), "{head}");
    }
}

// Point 8: conditional and range requests for files.

#[tokio::test]
async fn failed_preconditions_and_unsatisfiable_ranges_get_json_bodies() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let path = a_sent_file(&app, &alice, &bob, b"0123456789").await;
    let url = app.url(&format!("/{path}"));

    // Act
    let precondition = app
        .client
        .get(&url)
        .bearer_auth(&alice.token)
        .header(header::IF_UNMODIFIED_SINCE, "Thu, 01 Jan 1970 00:00:00 GMT")
        .send()
        .await
        .expect("request");
    let range = app
        .client
        .get(&url)
        .bearer_auth(&alice.token)
        .header(header::RANGE, "bytes=1000-")
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(precondition.status(), StatusCode::PRECONDITION_FAILED);
    let body: Value = precondition.json().await.expect("json body");
    assert_eq!(body["detail"], "Precondition failed");
    assert_eq!(range.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(range.headers()[header::CONTENT_RANGE], "bytes */10");
    let body: Value = range.json().await.expect("json body");
    assert_eq!(body["detail"], "Range not satisfiable");
}

#[tokio::test]
async fn an_unparsable_range_is_ignored_and_the_whole_file_served() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let path = a_sent_file(&app, &alice, &bob, b"0123456789").await;
    let url = app.url(&format!("/{path}"));

    for range in [
        "bytes=abc",
        "bytes=5-2",
        "lines=1-2",
        "bytes=0-1,4-5",
        "bytes=01-2",
    ] {
        // Act
        let response = app
            .client
            .get(&url)
            .bearer_auth(&alice.token)
            .header(header::RANGE, range)
            .send()
            .await
            .expect("request");

        // Assert
        assert_eq!(response.status(), StatusCode::OK, "{range}");
        assert_eq!(response.bytes().await.expect("body"), "0123456789");
    }
    let partial = app
        .client
        .get(&url)
        .bearer_auth(&alice.token)
        .header(header::RANGE, "bytes=2-4")
        .send()
        .await
        .expect("request");
    assert_eq!(partial.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(partial.bytes().await.expect("body"), "234");
}

// Point 8: WebSocket protocol violations get a close code and a reason.

#[tokio::test]
async fn invalid_utf8_on_the_websocket_is_closed_with_1007() {
    use tokio_tungstenite::tungstenite::protocol::frame::{
        Frame,
        coding::{Data, OpCode},
    };
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut ws = app.ws_online(&alice).await;
    let invalid = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);

    // Act
    ws.stream
        .send(Message::Frame(invalid))
        .await
        .expect("frame sent");

    // Assert
    assert_eq!(ws.expect_closed().await, Some(1007));
}

#[tokio::test]
async fn a_frame_over_64_kib_is_closed_with_1009() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut ws = app.ws_online(&alice).await;

    // Act
    ws.send_text(&"x".repeat(64 * 1024 + 1)).await;

    // Assert
    assert_eq!(ws.expect_closed().await, Some(1009));
}

// Points 4 to 6: guessing passwords and hashing on demand.

/// A client whose connections come from `ip` (a loopback address), as
/// another machine on the LAN would.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().expect("address"))
        .build()
        .expect("client")
}

async fn login_from(app: &TestApp, client: &reqwest::Client, name: &str, pw: &str) -> StatusCode {
    client
        .post(app.url("/login"))
        .json(&json!({ "username": name, "password": pw }))
        .send()
        .await
        .expect("request")
        .status()
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("Retry-After in seconds")
}

#[tokio::test]
async fn wrong_old_passwords_are_throttled_per_user_with_retry_after() {
    // Arrange
    let app = spawn_app_with(|config| config.login_burst = 3).await;
    let alice = app.user("alice").await;
    let change = |old: &str| json!({ "token": alice.token, "old_password": old, "new_password": "taken over!" });
    for n in 0..3 {
        let response = app
            .post_json("/change-password", &change(&format!("guess {n}")))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "guess {n}");
    }

    // Act
    let guess = app
        .post_json("/change-password", &change(&alice.password))
        .await;

    // Assert
    assert_eq!(guess.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&guess) >= 1);
    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::OK,
        "the password is unchanged"
    );
}

#[tokio::test]
async fn registrations_are_throttled_per_address_with_retry_after() {
    // Arrange
    let app = spawn_app_with(|config| config.register_burst = 2).await;
    app.user("alice").await;
    app.user("bob").await;

    // Act
    let third = app.register("carol", "carol-secret-pw").await;
    let elsewhere = client_from("127.0.0.2")
        .post(app.url("/register"))
        .json(&json!({ "username": "dave", "password": "dave-secret-pw" }))
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&third) >= 1);
    assert_eq!(elsewhere.status(), StatusCode::OK, "another address may");
}

#[tokio::test]
async fn a_full_hashing_queue_answers_503_with_retry_after() {
    // Arrange: no queue at all, so a check waits for an idle thread or
    // is refused.
    let app = spawn_app_with(|config| {
        config.hash_queue = 0;
        config.login_burst = 10_000;
    })
    .await;

    // Act
    let attempts = (0..40).map(|n| {
        app.client
            .post(app.url("/login"))
            .json(&json!({ "username": format!("nobody{n}"), "password": "whatever pw" }))
            .send()
    });
    let answers = futures_util::future::join_all(attempts).await;

    // Assert
    let mut statuses = Vec::new();
    for answer in answers {
        let answer = answer.expect("request");
        if answer.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(retry_after(&answer), 1);
        }
        statuses.push(answer.status());
    }
    assert!(
        statuses.contains(&StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn correct_logins_are_not_counted_against_anyone() {
    // Arrange
    let app = spawn_app_with(|config| config.login_burst = 2).await;
    let alice = app.user("alice").await;

    for n in 0..10 {
        // Act
        let status = app.login("alice", &alice.password).await.status();

        // Assert
        assert_eq!(status, StatusCode::OK, "login {n}");
    }
}

#[tokio::test]
async fn a_correct_login_from_another_address_passes_while_a_password_is_guessed() {
    // Arrange
    let app = spawn_app_with(|config| config.login_burst = 2).await;
    let alice = app.user("alice").await;
    let guesser = client_from("127.0.0.2");
    let mut guesses = Vec::new();
    for n in 0..5 {
        guesses.push(login_from(&app, &guesser, "alice", &format!("guess {n}")).await);
    }
    assert_eq!(guesses[..2], [StatusCode::UNAUTHORIZED; 2]);
    assert_eq!(guesses[2..], [StatusCode::TOO_MANY_REQUESTS; 3]);
    // More guessers, until the name's own budget (4 × 2) is spent too.
    for last in 3..=5 {
        let other = client_from(&format!("127.0.0.{last}"));
        for n in 0..2 {
            login_from(&app, &other, "alice", &format!("guess {n}")).await;
        }
    }

    // Act
    let owner = login_from(&app, &app.client, "alice", &alice.password).await;
    let guesser_with_the_password = login_from(&app, &guesser, "alice", &alice.password).await;
    let newcomer_guess = login_from(&app, &client_from("127.0.0.6"), "alice", "guess").await;
    let newcomer_again = login_from(&app, &client_from("127.0.0.6"), "alice", "guess").await;

    // Assert
    assert_eq!(owner, StatusCode::OK, "the owner is not locked out");
    assert_eq!(guesser_with_the_password, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(newcomer_guess, StatusCode::UNAUTHORIZED, "one try");
    assert_eq!(newcomer_again, StatusCode::TOO_MANY_REQUESTS, "and no more");
}

// Point 7: unauthenticated uploads do not reach the disk.

/// Starts `POST target` with a multipart body announced as 20 MiB, sends
/// `sent` bytes of its file (with no token field) and waits, without
/// finishing, for the server's answer: status line and headers.
async fn start_an_upload(app: &TestApp, target: &str, sent: usize) -> (u16, String) {
    let boundary = "hardening-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let request = format!(
        "POST {target} HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {}\r\n\r\n{head}",
        app.addr,
        head.len() + 20 * 1024 * 1024
    );
    let stream = TcpStream::connect(app.addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        writer.write_all(request.as_bytes()).await?;
        writer.write_all(&vec![b'x'; sent]).await?;
        // Hold the request open, unfinished, until the test ends.
        std::future::pending::<()>().await;
        Ok::<_, std::io::Error>(writer)
    });
    let answer = read_head(&mut reader).await;
    writing.abort();
    answer
}

/// Reads a response's status line and headers.
async fn read_head(reader: &mut (impl AsyncRead + Unpin)) -> (u16, String) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    tokio::time::timeout(PATIENCE, async {
        while !head.ends_with(b"\r\n\r\n") {
            match reader.read(&mut byte).await {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
    })
    .await
    .expect("an answer in time");
    let head = String::from_utf8_lossy(&head).to_lowercase();
    let status = head
        .strip_prefix("http/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("a status line in {head:?}"));
    (status, head)
}

#[tokio::test]
async fn an_upload_with_a_bad_token_in_the_query_is_refused_before_its_body_is_read() {
    // Arrange
    let app = spawn_app().await;
    let bob = app.user("bob").await;

    for target in [
        format!("/upload-file?token=stolen&receiver_id={}", bob.id),
        "/upload-profile?token=stolen".to_owned(),
    ] {
        // Act: the answer comes while most of the body is still unsent.
        let (status, _) = start_an_upload(&app, &target, 1024 * 1024).await;

        // Assert
        assert_eq!(status, 401, "{target}");
        assert!(partials(&app).is_empty(), "{target}");
    }
}

#[tokio::test]
async fn an_upload_with_no_token_is_capped_and_never_written_to_disk() {
    // Arrange
    let app = spawn_app().await;
    let bob = app.user("bob").await;

    for target in [
        format!("/upload-file?receiver_id={}", bob.id),
        "/upload-profile".to_owned(),
    ] {
        // Act: more than may come before a token, but far from the whole.
        let (status, _) = start_an_upload(&app, &target, 9 * 1024 * 1024).await;

        // Assert
        assert_eq!(status, 413, "{target}");
        assert!(partials(&app).is_empty(), "{target}");
    }
    let small_without_token = app
        .post_multipart(
            &format!("/upload-file?receiver_id={}", bob.id),
            file_form("x.txt", vec![b'x'; 100_000]),
        )
        .await;
    assert_eq!(small_without_token.status(), StatusCode::UNAUTHORIZED);
    assert!(partials(&app).is_empty());
    assert!(chat_files(&app).is_empty());
}

#[tokio::test]
async fn a_bad_token_field_before_the_file_is_refused_before_the_file_is_read() {
    // Arrange
    let app = spawn_app().await;
    let form = reqwest::multipart::Form::new()
        .text("token", "stolen")
        .part("file", file_part("me.png", vec![0u8; 4 * 1024 * 1024]));

    // Act
    let response = app.post_multipart("/upload-profile", form).await;

    // Assert
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(partials(&app).is_empty());
}

// Point 3: connections are bounded in number and in idle time.

/// A raw connection from `ip` (a loopback address).
async fn connect_from(app: &TestApp, ip: &str) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{ip}:0").parse().expect("address"))
        .expect("bind");
    socket.connect(app.addr).await.expect("connect")
}

/// Sends `GET path` on a kept-alive connection and reads the whole answer:
/// status, headers (lower-cased) and body.
async fn get_on(stream: &mut TcpStream, path: &str) -> (u16, String, Vec<u8>) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let (status, head) = read_head(stream).await;
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    tokio::time::timeout(PATIENCE, stream.read_exact(&mut body))
        .await
        .expect("body in time")
        .expect("body");
    (status, head, body)
}

/// Waits until the server closes `stream` (end of stream or reset).
async fn assert_closed_by_server(stream: &mut TcpStream, what: &str) {
    let mut sink = [0u8; 1024];
    tokio::time::timeout(PATIENCE, async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the server closes the {what} connection in time"));
}

#[tokio::test]
async fn slow_silent_and_idle_connections_are_closed_while_others_are_served() {
    // Arrange
    let app = spawn_app_with(|config| {
        config.header_timeout = Duration::from_secs(1);
        config.idle_timeout = Duration::from_secs(1);
    })
    .await;
    let mut silent = connect_from(&app, "127.0.0.1").await;
    let mut idle = connect_from(&app, "127.0.0.1").await;
    assert_eq!(get_on(&mut idle, "/healthz").await.0, 200);
    let mut half_sent = connect_from(&app, "127.0.0.1").await;
    half_sent
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .expect("send");
    // Headers trickled a byte at a time, for longer than the timeout.
    let mut trickling = connect_from(&app, "127.0.0.1").await;
    let trickle = async {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            tick.tick().await;
            if trickling.write_all(&[*byte]).await.is_err() {
                return true;
            }
        }
        false
    };

    // Act and assert: a fresh client is served all along...
    let (cut_off, ()) = tokio::join!(trickle, async {
        let healthy = app
            .client
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("request");
        assert_eq!(healthy.status(), StatusCode::OK);
    });
    // ...and each slow or idle connection is closed.
    assert_closed_by_server(&mut silent, "silent").await;
    assert_closed_by_server(&mut idle, "idle keep-alive").await;
    assert_closed_by_server(&mut half_sent, "half-sent").await;
    assert!(cut_off, "the trickle is cut off before its 6 s are up");
    let again = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn connections_past_the_limit_get_a_503_and_are_served_again_once_others_close() {
    // Arrange
    let app = spawn_app_with(|config| config.max_connections = Some(4)).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = connect_from(&app, "127.0.0.1").await;
        assert_eq!(get_on(&mut stream, "/healthz").await.0, 200);
        held.push(stream);
    }

    // Act
    let (status, raw) = app.raw_get("/healthz").await;

    // Assert
    assert_eq!(status, 503);
    let head = String::from_utf8_lossy(&raw).to_lowercase();
    assert!(head.contains("connection: close"), "{head}");
    assert!(head.contains("retry-after: 1"), "{head}");
    assert!(json_body(&raw)["detail"].is_string());
    drop(held);
    tokio::time::timeout(PATIENCE, async {
        while app.raw_get("/healthz").await.0 != 200 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("served again once the held connections close");
}

#[tokio::test]
async fn one_address_past_its_connection_cap_gets_a_503_while_others_are_served() {
    // Arrange
    let app = spawn_app_with(|config| config.max_connections_per_address = 2).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = connect_from(&app, "127.0.0.1").await;
        assert_eq!(get_on(&mut stream, "/healthz").await.0, 200);
        held.push(stream);
    }

    // Act
    let (same_address, head, _) =
        get_on(&mut connect_from(&app, "127.0.0.1").await, "/healthz").await;
    let (other_address, _, _) =
        get_on(&mut connect_from(&app, "127.0.0.2").await, "/healthz").await;

    // Assert
    assert_eq!(same_address, 503);
    assert!(head.contains("retry-after"), "{head}");
    assert_eq!(other_address, 200);
}

// Point 8: a refusal that leaves the body unread says it closes.

#[tokio::test]
async fn a_refusal_with_an_unread_body_says_connection_close_and_follow_ups_succeed() {
    // Arrange
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let refused_upload = || {
        app.client
            .post(app.url(&format!("/upload-file?token=stolen&receiver_id={}", bob.id)))
            .multipart(file_form("x.bin", vec![b'x'; 256 * 1024]))
            .send()
    };

    for n in 0..100 {
        // Act
        let refusal = refused_upload().await.expect("refusal arrives");
        let follow_up = app.get_as(&bob, "/users").await;

        // Assert
        assert_eq!(refusal.status(), StatusCode::UNAUTHORIZED, "round {n}");
        assert_eq!(refusal.headers()[header::CONNECTION], "close", "round {n}");
        assert_eq!(follow_up.status(), StatusCode::OK, "round {n}");
    }
}
