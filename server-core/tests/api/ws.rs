//! The WebSocket at `/ws`: handshake, chat frames, presence, errors and the
//! socket's end.
//!
//! To prove that a frame did NOT arrive, a later marker is sent and must be
//! the next frame: each socket receives events in the order they happened.

use std::time::Duration;

use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{
    TestApp, TestUser, Ws, assert_text_message, assert_utc_timestamp, presence, refusal_status,
    spawn_app, spawn_app_with,
};

/// Short enough that dead or revoked sockets go within a test's patience,
/// long enough that a client which reads now and then is never taken for a
/// silent one.
const SHORT_PING: Duration = Duration::from_millis(200);

/// Alice and Bob, registered and logged in.
async fn alice_and_bob(app: &TestApp) -> (TestUser, TestUser) {
    (app.user("alice").await, app.user("bob").await)
}

/// The message as history lists it: the frame without its `type` and its
/// place in the event log (`seq`).
fn as_listed(frame: &Value) -> Value {
    let mut message = frame.clone();
    let fields = message.as_object_mut().expect("frames are objects");
    fields.remove("type");
    fields.remove("seq");
    message
}

/// The next frame, which must announce `user` offline; its `last_seen`.
async fn expect_offline(ws: &mut Ws, user: i64) -> String {
    let frame = ws.next_json().await;
    assert_eq!(frame["type"], "presence", "expected presence, got {frame}");
    assert_eq!(frame["user_id"], user, "presence of {user}: {frame}");
    assert_eq!(frame["is_online"], false, "offline: {frame}");
    assert_utc_timestamp(&frame["last_seen"]);
    frame["last_seen"].as_str().expect("string").to_owned()
}

// The handshake.

#[tokio::test]
async fn the_handshake_is_refused_without_a_token() {
    let app = spawn_app().await;

    let no_parameter = app.ws_at("/ws", None).await;
    let empty = app.ws_at("/ws?token=", None).await;

    assert_eq!(refusal_status(no_parameter), StatusCode::UNAUTHORIZED);
    assert_eq!(refusal_status(empty), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_handshake_is_refused_with_a_bad_token() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let forged = app.ws_request("not-a-real-token", None).await;
    let tampered = app.ws_request(&format!("{}x", alice.token), None).await;

    assert_eq!(refusal_status(forged), StatusCode::UNAUTHORIZED);
    assert_eq!(refusal_status(tampered), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_page_of_another_site_cannot_open_the_socket() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let lookalike = format!("http://{}.evil.example", app.addr);
    let other_port = format!("http://{}:1", app.addr.ip());

    for origin in ["http://evil.example", &lookalike, &other_port, "null"] {
        let handshake = app.ws_request(&alice.token, Some(origin)).await;

        assert_eq!(
            refusal_status(handshake),
            StatusCode::FORBIDDEN,
            "Origin: {origin}"
        );
    }
}

#[tokio::test]
async fn a_page_of_our_own_origin_can_open_the_socket() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let handshake = app
        .ws_request(&alice.token, Some(&format!("http://{}", app.addr)))
        .await;

    let Ok(mut ws) = handshake else {
        panic!("the same origin is accepted")
    };
    assert_eq!(ws.next_json().await, presence(alice.id, true, None));
}

#[tokio::test]
async fn a_configured_origin_such_as_the_desktop_app_can_open_the_socket() {
    let app = spawn_app_with(|c| c.allowed_origins = vec!["tauri://localhost".into()]).await;
    let alice = app.user("alice").await;

    let desktop = app
        .ws_request(&alice.token, Some("tauri://localhost"))
        .await;
    let stranger = app
        .ws_request(&alice.token, Some("http://evil.example"))
        .await;

    let Ok(mut ws) = desktop else {
        panic!("the configured origin is accepted")
    };
    assert_eq!(ws.next_json().await, presence(alice.id, true, None));
    assert_eq!(refusal_status(stranger), StatusCode::FORBIDDEN);
}

// Chatting.

#[tokio::test]
async fn a_private_message_reaches_the_receiver_and_is_echoed_to_the_sender() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_online(&bob).await;

    a.send_message(bob.id, "Hi Bob").await;
    let delivered = b.expect("private_message").await;
    let echoed = a.expect("private_message").await;
    b.send_message(alice.id, "Hi Alice").await;
    let reply = a.expect("private_message").await;
    let reply_echo = b.expect("private_message").await;

    assert_eq!(delivered, echoed);
    assert_text_message(&delivered, alice.id, bob.id, "Hi Bob");
    assert_eq!(reply, reply_echo);
    assert_text_message(&reply, bob.id, alice.id, "Hi Alice");
    assert!(reply["id"].as_i64() > delivered["id"].as_i64());
    assert_eq!(
        app.history(&alice, bob.id).await,
        vec![as_listed(&delivered), as_listed(&reply)],
        "what was delivered is what was stored"
    );
}

#[tokio::test]
async fn a_note_to_self_arrives_once_on_each_of_ones_sockets() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut laptop = app.ws_online(&alice).await;
    let mut phone = app.ws_subscribed(&alice).await;

    laptop.send_message(alice.id, "buy milk").await;
    let on_laptop = laptop.expect("private_message").await;
    let on_phone = phone.expect("private_message").await;
    phone.send_message(alice.id, "marker").await;

    assert_text_message(&on_laptop, alice.id, alice.id, "buy milk");
    assert_eq!(on_laptop, on_phone);
    for ws in [&mut laptop, &mut phone] {
        let next = ws.expect("private_message").await;
        assert_eq!(next["content"], "marker", "the note came only once");
    }
    assert_eq!(app.history(&alice, alice.id).await.len(), 2);
}

#[tokio::test]
async fn a_user_on_two_sockets_gets_every_event_on_both() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut laptop = app.ws_online(&alice).await;
    let mut phone = app.ws_subscribed(&alice).await;
    let mut b = app.ws_online(&bob).await;

    b.send_and_confirm(alice.id, "from bob").await;
    laptop.send_message(bob.id, "from alice's laptop").await;
    let sent = b.expect("private_message").await;
    phone
        .send_json(&json!({
            "type": "edit_message", "message_id": sent["id"], "new_content": "edited on the phone",
        }))
        .await;
    b.expect("edit_message").await;
    b.send_json(&json!({ "type": "typing", "receiver_id": alice.id, "is_typing": true }))
        .await;

    for ws in [&mut laptop, &mut phone] {
        let received = ws.expect("private_message").await;
        assert_text_message(&received, bob.id, alice.id, "from bob");
        let own = ws.expect("private_message").await;
        assert_text_message(&own, alice.id, bob.id, "from alice's laptop");
        let edit = ws.expect("edit_message").await;
        assert_eq!(edit["message_id"], sent["id"]);
        assert_eq!(edit["new_content"], "edited on the phone");
        let typing = ws.expect("typing").await;
        assert_eq!(typing["sender_id"], bob.id);
    }
}

#[tokio::test]
async fn typing_is_forwarded_to_the_receiver_only() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let carol = app.user("carol").await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_online(&bob).await;
    let mut c = app.ws_online(&carol).await;

    a.send_json(&json!({ "type": "typing", "receiver_id": bob.id, "is_typing": true }))
        .await;
    let started = b.expect("typing").await;
    a.send_json(&json!({ "type": "typing", "receiver_id": bob.id, "is_typing": false }))
        .await;
    let stopped = b.expect("typing").await;

    assert_eq!(
        started,
        json!({ "type": "typing", "sender_id": alice.id, "is_typing": true })
    );
    assert_eq!(
        stopped,
        json!({ "type": "typing", "sender_id": alice.id, "is_typing": false })
    );
    a.send_and_confirm(alice.id, "marker for alice").await;
    a.send_message(carol.id, "marker for carol").await;
    let next = c.expect("private_message").await;
    assert_eq!(next["content"], "marker for carol", "carol heard no typing");
}

// Presence.

#[tokio::test]
async fn everyone_hears_when_a_user_comes_online_and_when_they_leave() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut b = app.ws_online(&bob).await;

    let mut a = app.ws_online(&alice).await;
    let online = b.next_json().await;
    let listed_online = app.listed_user(&bob, alice.id).await;
    a.stream.close(None).await.expect("send close frame");
    let last_seen = expect_offline(&mut b, alice.id).await;
    let listed_offline = app.listed_user(&bob, alice.id).await;

    assert_eq!(online, presence(alice.id, true, None));
    assert_eq!(listed_online["is_online"], 1);
    assert_eq!(listed_offline["is_online"], 0);
    assert_eq!(
        listed_offline["last_seen"], last_seen,
        "the last_seen announced is the one stored"
    );
}

#[tokio::test]
async fn a_user_stays_online_while_any_of_their_sockets_is_open() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut b = app.ws_online(&bob).await;
    let laptop = app.ws_online(&alice).await;
    assert_eq!(b.next_json().await, presence(alice.id, true, None));

    let mut phone = app.ws_subscribed(&alice).await;
    phone.send_message(bob.id, "phone connected").await;
    let after_second_socket = b.next_json().await;
    laptop.close_and_wait().await;
    phone.send_message(bob.id, "laptop closed").await;
    let after_first_close = b.next_json().await;
    let listed = app.listed_user(&bob, alice.id).await;
    phone.close_and_wait().await;

    assert_eq!(
        after_second_socket["type"], "private_message",
        "no second online"
    );
    assert_eq!(after_second_socket["content"], "phone connected");
    assert_eq!(
        after_first_close["type"], "private_message",
        "not offline yet"
    );
    assert_eq!(after_first_close["content"], "laptop closed");
    assert_eq!(listed["is_online"], 1);
    expect_offline(&mut b, alice.id).await;
}

#[tokio::test]
async fn a_socket_that_dies_without_a_close_frame_takes_its_user_offline() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut b = app.ws_online(&bob).await;
    let a = app.ws_online(&alice).await;
    assert_eq!(b.next_json().await, presence(alice.id, true, None));

    a.drop_abruptly().await;

    let last_seen = expect_offline(&mut b, alice.id).await;
    let listed = app.listed_user(&bob, alice.id).await;
    assert_eq!(listed["is_online"], 0);
    assert_eq!(listed["last_seen"], last_seen);
}

#[tokio::test]
async fn a_silent_peer_is_disconnected_and_shown_offline() {
    let app = spawn_app_with(|c| c.ping_interval = SHORT_PING).await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut b = app.ws_online(&bob).await;
    let mut silent = app.ws_online(&alice).await;
    assert_eq!(b.next_json().await, presence(alice.id, true, None));

    // Alice's client stops reading, so it never answers a ping; Bob's reads
    // (and so answers) all along.
    let last_seen = expect_offline(&mut b, alice.id).await;

    let listed = app.listed_user(&bob, alice.id).await;
    assert_eq!(listed["is_online"], 0);
    assert_eq!(listed["last_seen"], last_seen);
    silent.wait_for_hang_up().await;
    b.send_and_confirm(bob.id, "bob, who answers pings, is still here")
        .await;
}

// Editing.

#[tokio::test]
async fn the_sender_can_edit_a_message_and_both_sides_hear_of_it() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_online(&bob).await;
    let sent = a.send_and_confirm(bob.id, "teh message").await;
    b.expect("private_message").await;

    a.send_json(&json!({
        "type": "edit_message", "message_id": sent["id"], "new_content": "the message",
    }))
    .await;

    for ws in [&mut b, &mut a] {
        let edit = ws.expect("edit_message").await;
        assert_eq!(edit["message_id"], sent["id"]);
        assert_eq!(edit["new_content"], "the message");
    }
    for (reader, other) in [(&alice, bob.id), (&bob, alice.id)] {
        let history = app.history(reader, other).await;
        assert_eq!(history.len(), 1);
        assert_eq!(history[0]["id"], sent["id"]);
        assert_eq!(history[0]["content"], "the message");
        assert_eq!(history[0]["is_edited"], 1);
        assert_eq!(
            history[0]["timestamp"], sent["timestamp"],
            "sent, not edited, at"
        );
    }
}

#[tokio::test]
async fn only_the_sender_may_edit_a_message() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let carol = app.user("carol").await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_online(&bob).await;
    let mut c = app.ws_online(&carol).await;
    let sent = a.send_and_confirm(bob.id, "original").await;
    b.expect("private_message").await;

    for ws in [&mut b, &mut c] {
        ws.send_json(&json!({
            "type": "edit_message", "message_id": sent["id"], "new_content": "forged",
        }))
        .await;

        let answer = ws.expect("error").await;
        assert!(answer["detail"].is_string(), "{answer}");
    }
    b.send_message(alice.id, "marker").await;
    let next = a.expect("private_message").await;
    assert_eq!(next["content"], "marker", "alice heard of no edit");
    let history = app.history(&alice, bob.id).await;
    assert_eq!(history[0]["content"], "original");
    assert_eq!(history[0]["is_edited"], 0);
}

#[tokio::test]
async fn editing_a_message_that_does_not_exist_is_an_error() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut a = app.ws_online(&alice).await;

    a.send_json(&json!({ "type": "edit_message", "message_id": 424_242, "new_content": "x" }))
        .await;

    let answer = a.expect("error").await;
    assert_eq!(answer["detail"], "Message not found");
    a.send_and_confirm(alice.id, "still usable").await;
}

// Bad input.

#[tokio::test]
async fn malformed_frames_get_an_error_and_the_socket_keeps_working() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_online(&bob).await;
    let text = |frame: Value| Message::text(frame.to_string());
    let cases = [
        ("not JSON", Message::text("hello bob")),
        ("not an object", Message::text("[1, 2, 3]")),
        (
            "no type",
            text(json!({ "receiver_id": bob.id, "content": "x" })),
        ),
        (
            "unknown type",
            text(json!({ "type": "shout", "receiver_id": bob.id, "content": "x" })),
        ),
        (
            "missing field",
            text(json!({ "type": "private_message", "receiver_id": bob.id })),
        ),
        (
            "receiver_id as a string",
            text(
                json!({ "type": "private_message", "receiver_id": bob.id.to_string(), "content": "x" }),
            ),
        ),
        (
            "content as a number",
            text(json!({ "type": "private_message", "receiver_id": bob.id, "content": 7 })),
        ),
        (
            "is_typing as a string",
            text(json!({ "type": "typing", "receiver_id": bob.id, "is_typing": "yes" })),
        ),
        ("binary", Message::binary(b"{\"type\":\"typing\"}".to_vec())),
    ];

    for (case, frame) in cases {
        a.stream.send(frame).await.expect("send frame");

        let answer = a.expect("error").await;
        assert!(
            answer["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{case}: {answer}"
        );
        let after = format!("after {case}");
        a.send_and_confirm(bob.id, &after).await;
        let delivered = b.expect("private_message").await;
        assert_eq!(delivered["content"], after, "bob got only the valid frame");
    }
}

#[tokio::test]
async fn a_message_must_not_be_empty() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut a = app.ws_online(&alice).await;
    let sent = a.send_and_confirm(bob.id, "something").await;

    for blank in ["", "   ", "\n\t "] {
        a.send_message(bob.id, blank).await;
        a.expect("error").await;
        a.send_json(
            &json!({ "type": "edit_message", "message_id": sent["id"], "new_content": blank }),
        )
        .await;
        a.expect("error").await;
    }

    a.send_and_confirm(bob.id, "still usable").await;
    let history = app.history(&alice, bob.id).await;
    let contents: Vec<_> = history.iter().map(|m| &m["content"]).collect();
    assert_eq!(contents, ["something", "still usable"]);
    assert_eq!(history[0]["is_edited"], 0);
}

#[tokio::test]
async fn a_message_may_hold_at_most_ten_thousand_characters() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut a = app.ws_online(&alice).await;
    // Characters, not bytes: 'é' takes two.
    let longest = "é".repeat(10_000);
    let too_long = "a".repeat(10_001);

    let sent = a.send_and_confirm(bob.id, &longest).await;
    a.send_message(bob.id, &too_long).await;
    let refused = a.expect("error").await;
    a.send_json(
        &json!({ "type": "edit_message", "message_id": sent["id"], "new_content": too_long }),
    )
    .await;
    let refused_edit = a.expect("error").await;

    assert!(
        refused["detail"].as_str().unwrap().contains("too long"),
        "{refused}"
    );
    assert!(
        refused_edit["detail"]
            .as_str()
            .unwrap()
            .contains("too long")
    );
    a.send_and_confirm(bob.id, "still usable").await;
    let history = app.history(&alice, bob.id).await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["content"], longest);
    assert_eq!(history[0]["is_edited"], 0);
}

#[tokio::test]
async fn a_frame_over_64_kib_closes_only_that_socket() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut b = app.ws_online(&bob).await;
    let mut a = app.ws_online(&alice).await;
    assert_eq!(b.next_json().await, presence(alice.id, true, None));
    let huge = json!({ "type": "private_message", "receiver_id": bob.id, "content": "x".repeat(64 * 1024) });

    // The server may hang up before the whole frame is written.
    let _ = a.stream.send(Message::text(huge.to_string())).await;

    a.wait_for_hang_up().await;
    expect_offline(&mut b, alice.id).await;
    b.send_and_confirm(bob.id, "bob is still connected").await;
    assert!(app.history(&bob, alice.id).await.is_empty());
}

#[tokio::test]
async fn a_message_to_a_user_who_does_not_exist_is_an_error() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut a = app.ws_online(&alice).await;

    a.send_message(424_242, "anyone there?").await;

    let answer = a.expect("error").await;
    assert_eq!(answer["detail"], "User not found");
    a.send_and_confirm(alice.id, "still usable").await;
    assert!(app.history(&alice, 424_242).await.is_empty());
}

// The end of a socket, or of the server.

#[tokio::test]
async fn an_acknowledged_message_survives_a_restart() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut a = app.ws_online(&alice).await;
    let echo = a.send_and_confirm(bob.id, "remember me").await;

    let app = app.restart().await;

    assert_eq!(app.history(&alice, bob.id).await, vec![as_listed(&echo)]);
}

#[tokio::test]
async fn shutting_down_closes_open_sockets_with_going_away() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut a = app.ws_online(&alice).await;

    app.shutdown().await;

    assert_eq!(a.expect_closed().await, Some(1001));
}

/// Logs `user` in once more; the new session's token.
async fn another_session(app: &TestApp, user: &TestUser) -> String {
    let login: Value = app
        .login(&user.name, &user.password)
        .await
        .json()
        .await
        .expect("json");
    login["token"].as_str().expect("token").to_owned()
}

/// Far longer than a test waits: a socket closed under it was closed on
/// the spot, not found out at its next ping.
const NO_PING: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn logging_out_closes_that_sessions_sockets_at_once_and_its_token_cannot_reconnect() {
    let app = spawn_app_with(|c| c.ping_interval = NO_PING).await;
    let alice = app.user("alice").await;
    let mut a = app.ws_online(&alice).await;

    let (closed, logout) = tokio::join!(a.expect_closed(), app.post_as(&alice, "/logout"));

    assert_eq!(logout.status(), StatusCode::OK);
    assert_eq!(closed, Some(1008), "policy violation: the session ended");
    let again = app.ws_request(&alice.token, None).await;
    assert_eq!(refusal_status(again), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_socket_of_another_session_stays_open_after_a_logout() {
    let app = spawn_app_with(|c| c.ping_interval = NO_PING).await;
    let alice = app.user("alice").await;
    let other = another_session(&app, &alice).await;
    let mut leaving = app.ws_online(&alice).await;
    let mut staying = app.ws(&other).await;
    staying.wait_until_subscribed().await;

    let logout = app.post_as(&alice, "/logout").await;

    assert_eq!(logout.status(), StatusCode::OK);
    assert_eq!(leaving.expect_closed().await, Some(1008));
    staying.send_and_confirm(alice.id, "still here").await;
}

#[tokio::test]
async fn changing_the_password_closes_the_sockets_of_other_sessions_at_once() {
    let app = spawn_app_with(|c| c.ping_interval = NO_PING).await;
    let alice = app.user("alice").await;
    let here = another_session(&app, &alice).await;
    let mut elsewhere = app.ws_online(&alice).await;

    let body = json!({
        "token": here, "old_password": alice.password, "new_password": "a new password",
    });
    let change = app.post_json("/change-password", &body);
    let (closed, change) = tokio::join!(elsewhere.expect_closed(), change);

    assert_eq!(change.status(), StatusCode::OK);
    assert_eq!(closed, Some(1008));
    let again = app.ws_request(&alice.token, None).await;
    assert_eq!(refusal_status(again), StatusCode::UNAUTHORIZED);
    app.ws_request(&here, None)
        .await
        .unwrap_or_else(|_| panic!("the session that changed the password stays valid"));
}

/// A client may send many messages without waiting for each echo: they are
/// stored in the order sent, each echoed after its commit, and a bad frame
/// among them is answered with its own error while the rest go through.
#[tokio::test]
async fn messages_sent_back_to_back_are_stored_and_echoed_in_the_order_sent() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut ws = app.ws_online(&alice).await;
    const SENT: usize = 300;
    for n in 0..SENT {
        ws.send_json(&json!({
            "type": "private_message", "receiver_id": bob.id,
            "content": format!("message {n}"), "client_id": format!("c{n}"),
        }))
        .await;
        if n == SENT / 2 {
            ws.send_json(&json!({"type": "private_message", "receiver_id": bob.id, "content": " ", "client_id": "empty"}))
                .await;
        }
    }

    let mut echoed = Vec::new();
    let mut refused = None;
    while echoed.len() < SENT || refused.is_none() {
        let frame = ws.next_json().await;
        match frame["type"].as_str() {
            Some("private_message") => echoed.push(frame),
            Some("error") => refused = Some(frame),
            _ => {}
        }
    }
    let tags: Vec<_> = echoed
        .iter()
        .map(|f| f["client_id"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<_> = (0..SENT).map(|n| format!("c{n}")).collect();
    assert_eq!(tags, expected);
    assert!(
        echoed
            .windows(2)
            .all(|pair| pair[0]["id"].as_i64() < pair[1]["id"].as_i64())
    );
    assert_eq!(refused.unwrap()["client_id"], "empty");

    let history = app.history(&alice, bob.id).await;
    let stored: Vec<_> = history
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect();
    let sent: Vec<_> = (0..SENT).map(|n| format!("message {n}")).collect();
    assert_eq!(stored, sent);
    app.shutdown().await;
}

/// People coming online together are announced together: the first at
/// once, those within the next interval in one `presence_batch`.
#[tokio::test]
async fn people_coming_online_together_are_announced_in_one_frame() {
    let app = spawn_app_with(|config| config.presence_interval = Duration::from_secs(2)).await;
    let watcher = app.user("watcher").await;
    let others = [
        app.user("ann").await,
        app.user("ben").await,
        app.user("cat").await,
    ];
    let mut ws = app.ws_online(&watcher).await;

    let mut sockets = Vec::new();
    for person in &others {
        sockets.push(app.ws(&person.token).await);
    }

    let frame = ws.next_json().await;
    assert_eq!(frame["type"], "presence_batch", "{frame}");
    let ids: Vec<i64> = others.iter().map(|person| person.id).collect();
    assert_eq!(frame["online"], json!(ids));
    assert_eq!(frame["offline"], json!([]));
    app.shutdown().await;
}
