//! Issue 11: what an anonymous or hostile client can no longer do, and the
//! answers it gets instead: long paths, held connections, password
//! guessing, unauthenticated uploads, WebSocket protocol violations, and
//! refusals that leave a keep-alive connection in a known state.

use futures_util::SinkExt;
use reqwest::{StatusCode, header};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestApp, TestUser, file_form, spawn_app};

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
