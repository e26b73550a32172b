//! Issue 11: what an anonymous or hostile client can no longer do, and the
//! answers it gets instead: long paths, held connections, password
//! guessing, unauthenticated uploads, WebSocket protocol violations, and
//! refusals that leave a keep-alive connection in a known state.

use std::net::IpAddr;

use futures_util::SinkExt;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestApp, TestUser, file_form, spawn_app, spawn_app_with};

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
        .header(header::IF_UNMODIFIED_SINCE, "Thu, 01 Jan 1970 00:00:00 GMT")
        .send()
        .await
        .expect("request");
    let range = app
        .client
        .get(&url)
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
