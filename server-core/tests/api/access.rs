//! The access matrix: for each thing one can do in a conversation, those
//! who may not (a non-member, a removed member, a member of another room,
//! a client with a forged or swapped id) are refused, and nothing changes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, Ws, file_form, spawn_app};

/// A group of Alice (admin) and Bob with a message and a file in it; Carol
/// was removed from it; Dave is in another room; Eve was never in it.
struct Scene {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    outsiders: Vec<(&'static str, TestUser)>,
    group: i64,
    message: i64,
    file_path: String,
    other_room: i64,
}

async fn scene() -> Scene {
    let app = spawn_app().await;
    let (alice, bob, carol, dave, eve) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
        app.user("eve").await,
    );
    let group = app
        .create(&alice, "group", "Inner circle", &[&bob, &carol])
        .await;
    let other_room = app.create(&dave, "group", "Elsewhere", &[]).await;
    let mut a = app.ws_online(&alice).await;
    let message = a.say(group, "members only").await["id"].as_i64().unwrap();
    let sent: Value = app
        .post_multipart(
            &format!("/upload-file?token={}&conversation_id={group}", alice.token),
            file_form("secret.txt", b"classified".to_vec()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sent["type"], "message", "{sent}");
    let (removed, _) = app
        .call(
            &alice,
            Method::DELETE,
            &format!("/conversations/{group}/members/{}", carol.id),
            None,
        )
        .await;
    assert_eq!(removed, StatusCode::OK);
    Scene {
        app,
        alice,
        bob,
        outsiders: vec![
            ("removed member", carol),
            ("member of another room", dave),
            ("non-member", eve),
        ],
        group,
        message,
        file_path: sent["file_path"].as_str().unwrap().to_owned(),
        other_room,
    }
}

/// What the group looks like to its admin: unchanged by refusals.
async fn state_of(scene: &Scene) -> (Value, Vec<Value>) {
    let (_, shown) = scene
        .app
        .call(
            &scene.alice,
            Method::GET,
            &format!("/conversations/{}", scene.group),
            None,
        )
        .await;
    (shown, scene.app.page(&scene.alice, scene.group, "").await)
}

/// 👍, percent-encoded for a path.
const THUMBS_UP: &str = "%F0%9F%91%8D";

fn refused(status: StatusCode) -> bool {
    matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
}

#[tokio::test]
async fn outsiders_are_refused_every_http_route_of_a_conversation_and_nothing_changes() {
    let scene = scene().await;
    let (app, group, message) = (&scene.app, scene.group, scene.message);
    let before = state_of(&scene).await;

    for (who, user) in &scene.outsiders {
        let attempts: Vec<(&str, Method, String, Option<Value>)> = vec![
            (
                "read history",
                Method::GET,
                format!("/conversations/{group}/messages"),
                None,
            ),
            (
                "see the conversation",
                Method::GET,
                format!("/conversations/{group}"),
                None,
            ),
            (
                "join a private group",
                Method::POST,
                format!("/conversations/{group}/join"),
                None,
            ),
            (
                "leave it",
                Method::POST,
                format!("/conversations/{group}/leave"),
                None,
            ),
            (
                "add themselves",
                Method::POST,
                format!("/conversations/{group}/members"),
                Some(json!({ "user_id": user.id })),
            ),
            (
                "remove someone",
                Method::DELETE,
                format!("/conversations/{group}/members/{}", scene.bob.id),
                None,
            ),
            (
                "rename it",
                Method::PATCH,
                format!("/conversations/{group}"),
                Some(json!({ "title": "Mine" })),
            ),
            (
                "make themselves admin",
                Method::PUT,
                format!("/conversations/{group}/members/{}/role", user.id),
                Some(json!({ "role": "admin" })),
            ),
            (
                "delete a message",
                Method::DELETE,
                format!("/conversations/{group}/messages/{message}"),
                None,
            ),
            (
                "mark read",
                Method::POST,
                format!("/conversations/{group}/read"),
                Some(json!({ "message_id": message })),
            ),
            (
                "react",
                Method::PUT,
                format!("/conversations/{group}/messages/{message}/reactions/{THUMBS_UP}"),
                None,
            ),
            (
                "take a reaction back",
                Method::DELETE,
                format!("/conversations/{group}/messages/{message}/reactions/{THUMBS_UP}"),
                None,
            ),
        ];
        for (what, method, path, body) in attempts {
            let (status, answer) = app.call(user, method, &path, body).await;
            assert!(refused(status), "{who} may not {what}: {status} {answer}");
            assert!(answer["detail"].is_string(), "{who}, {what}: {answer}");
        }
        let upload = app
            .post_multipart(
                &format!("/upload-file?token={}&conversation_id={group}", user.token),
                file_form("intruder.txt", b"x".to_vec()),
            )
            .await;
        assert!(refused(upload.status()), "{who} may not send a file");
        let download = app.get_file(user, &scene.file_path).await;
        assert_eq!(
            download.status(),
            StatusCode::NOT_FOUND,
            "{who} may not download"
        );
        let (_, events) = app.call(user, Method::GET, "/events?after=0", None).await;
        let leaked = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["conversation_id"] == group && e["content"] == "members only");
        if *who == "removed member" {
            // Carol was there for the message: what she saw before her
            // removal is hers; nothing after it is.
            let after_removal = events["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["conversation_id"] == group)
                .skip_while(|e| e["notice"]["action"] != "removed")
                .count();
            assert_eq!(after_removal, 1, "only the notice of her removal");
        } else {
            assert!(!leaked, "{who} backfills nothing of the group");
        }
        assert!(
            app.listed(user, group).await.is_none(),
            "{who} does not list it"
        );
    }
    assert_eq!(state_of(&scene).await, before, "nothing changed");
}

/// Sends `frame` and expects an error answer naming `tag`.
async fn refused_frame(ws: &mut Ws, mut frame: Value, tag: &str) -> Value {
    frame["client_id"] = json!(tag);
    ws.send_json(&frame).await;
    let error = ws.expect("error").await;
    assert_eq!(error["client_id"], tag, "{error}");
    error
}

#[tokio::test]
async fn outsiders_are_refused_every_frame_in_a_conversation_and_nothing_changes() {
    let scene = scene().await;
    let (group, message) = (scene.group, scene.message);
    let before = state_of(&scene).await;

    for (who, user) in &scene.outsiders {
        let mut ws = scene.app.ws_subscribed(user).await;
        let frames = [
            json!({ "type": "send_message", "conversation_id": group, "content": "let me in" }),
            json!({ "type": "edit_message", "message_id": message, "new_content": "defaced" }),
            json!({ "type": "delete_message", "message_id": message }),
            json!({ "type": "mark_read", "conversation_id": group, "message_id": message }),
            json!({ "type": "typing", "conversation_id": group, "is_typing": true }),
            json!({
                "type": "send_message", "conversation_id": group, "content": "re",
                "reply_to": message,
            }),
            json!({ "type": "react", "message_id": message, "emoji": "👍" }),
            json!({ "type": "unreact", "message_id": message, "emoji": "👍" }),
        ];
        for (n, frame) in frames.into_iter().enumerate() {
            let detail = refused_frame(&mut ws, frame.clone(), &format!("t{n}")).await;
            assert!(detail["detail"].is_string(), "{who}: {frame} → {detail}");
        }
        ws.close_and_wait().await;
    }
    assert_eq!(state_of(&scene).await, before, "nothing changed");
}

#[tokio::test]
async fn forged_and_swapped_ids_reach_nothing() {
    let scene = scene().await;
    let (app, group, message) = (&scene.app, scene.group, scene.message);
    let dave = &scene.outsiders[1].1;
    let before = state_of(&scene).await;

    // A message of the group named under Dave's own room, and ids that do
    // not exist.
    let attempts: Vec<(&str, Method, String, Option<Value>)> = vec![
        (
            "delete via his room",
            Method::DELETE,
            format!("/conversations/{}/messages/{message}", scene.other_room),
            None,
        ),
        (
            "react via his room",
            Method::PUT,
            format!(
                "/conversations/{}/messages/{message}/reactions/{THUMBS_UP}",
                scene.other_room
            ),
            None,
        ),
        (
            "read a room that does not exist",
            Method::GET,
            "/conversations/999999/messages".into(),
            None,
        ),
        (
            "join a room that does not exist",
            Method::POST,
            "/conversations/999999/join".into(),
            None,
        ),
        (
            "mark read past his room",
            Method::POST,
            format!("/conversations/{group}/read"),
            Some(json!({ "message_id": i64::MAX })),
        ),
    ];
    for (what, method, path, body) in attempts {
        let (status, answer) = app.call(dave, method, &path, body).await;
        assert!(refused(status), "{what}: {status} {answer}");
    }
    let (status, _) = app
        .call(
            dave,
            Method::GET,
            "/conversations/not-a-number/messages",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A path that is not a stored file of anyone's, and Alice's picture
    // path under the chat folder.
    let forged = app
        .get_file(dave, "static/files/1_0011223344556677_secret.txt")
        .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    assert_eq!(state_of(&scene).await, before, "nothing changed");
}
