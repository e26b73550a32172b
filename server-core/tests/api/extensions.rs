//! What ours adds to the contract: the conversation list, tags on sent
//! frames, and profile-change events.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TINY_PNG, TestApp, file_form, spawn_app};

/// The caller's direct conversations as `GET /conversations` lists them
/// (General, a room, is listed too).
async fn conversations(app: &TestApp, user: &crate::helpers::TestUser) -> Vec<Value> {
    let response = app.get_as(user, "/conversations").await;
    assert_eq!(response.status(), StatusCode::OK);
    let all: Vec<Value> = response.json().await.expect("json");
    all.into_iter().filter(|c| c["kind"] == "direct").collect()
}

#[tokio::test]
async fn conversations_list_each_peer_with_the_newest_message_most_recent_first() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    let mut a = app.ws_online(&alice).await;
    a.send_and_confirm(bob.id, "to bob, first").await;
    a.send_and_confirm(carol.id, "to carol").await;
    let newest = a.send_and_confirm(bob.id, "to bob, newest").await;
    a.send_and_confirm(alice.id, "note to self").await;
    let mut c = app.ws_online(&carol).await;
    let reply = c.send_and_confirm(alice.id, "carol replies").await;

    let list = conversations(&app, &alice).await;

    let peers: Vec<i64> = list
        .iter()
        .map(|c| c["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        peers,
        vec![carol.id, alice.id, bob.id],
        "dave never chatted"
    );
    assert_eq!(list[0]["last_message"]["id"], reply["id"]);
    assert_eq!(list[0]["last_message"]["receiver_id"], alice.id);
    assert_eq!(list[2]["last_message"]["id"], newest["id"]);
    assert_eq!(list[2]["last_message"]["content"], "to bob, newest");
    let bobs: Vec<i64> = conversations(&app, &bob)
        .await
        .iter()
        .map(|c| c["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(bobs, vec![alice.id]);
    assert!(conversations(&app, &dave).await.is_empty());
    let anonymous = app
        .client
        .get(app.url("/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_tagged_message_is_echoed_with_its_tag_and_a_failed_one_names_it() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_online(&bob).await;
    a.expect("presence").await;

    a.send_json(&json!({
        "type": "private_message", "receiver_id": bob.id, "content": "hi", "client_id": "tag-1",
    }))
    .await;
    let echo = a.expect("private_message").await;
    a.send_json(&json!({
        "type": "private_message", "receiver_id": bob.id, "content": "  ", "client_id": "tag-2",
    }))
    .await;
    let refusal = a.expect("error").await;
    a.send_json(&json!({ "type": "private_message", "client_id": "tag-3" }))
        .await;
    let malformed = a.expect("error").await;

    assert_eq!(echo["client_id"], "tag-1");
    assert_eq!(echo["content"], "hi");
    assert_eq!(refusal["client_id"], "tag-2");
    assert_eq!(refusal["detail"], "Message is empty");
    assert_eq!(malformed["client_id"], "tag-3");
    let delivered = b.expect("private_message").await;
    assert_eq!(delivered["id"], echo["id"]);
    let untagged = a.send_and_confirm(bob.id, "no tag").await;
    assert!(
        untagged.get("client_id").is_none(),
        "untagged frames stay as the contract has them"
    );
}

#[tokio::test]
async fn everyone_hears_of_a_new_picture_or_about_text() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let mut b = app.ws_online(&bob).await;

    let about = app
        .client
        .post(app.url("/update-about"))
        .bearer_auth(&alice.token)
        .json(&json!({ "about": "Tea, not coffee" }))
        .send()
        .await
        .unwrap();
    assert_eq!(about.status(), StatusCode::OK);
    let event = b.expect("user_updated").await;
    assert_eq!(
        event,
        json!({
            "type": "user_updated", "user_id": alice.id, "profile_pic": null,
            "about": "Tea, not coffee", "display_name": null,
        })
    );

    let picture = app
        .client
        .post(app.url("/upload-profile"))
        .bearer_auth(&alice.token)
        .multipart(file_form("me.png", TINY_PNG))
        .send()
        .await
        .unwrap();
    let path = picture.json::<Value>().await.unwrap()["path"].clone();
    let event = b.expect("user_updated").await;
    assert_eq!(event["profile_pic"], path);
    assert_eq!(event["about"], "Tea, not coffee");

    let removed = app.post_as(&alice, "/remove-profile").await;
    assert_eq!(removed.status(), StatusCode::OK);
    let event = b.expect("user_updated").await;
    assert_eq!(event["profile_pic"], Value::Null);
}

#[tokio::test]
async fn a_display_name_is_shown_to_everyone_and_the_username_stays() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let mut b = app.ws_online(&bob).await;

    let saved = app
        .post_json_as(
            &alice,
            "/update-display-name",
            &json!({ "display_name": "  Alice Okafor " }),
        )
        .await;

    assert_eq!(saved.status(), StatusCode::OK);
    let event = b.expect("user_updated").await;
    assert_eq!(event["user_id"], alice.id);
    assert_eq!(event["display_name"], "Alice Okafor");
    let listed = app.listed_user(&bob, alice.id).await;
    assert_eq!(listed["display_name"], "Alice Okafor");
    assert_eq!(listed["username"], "alice");
    // She still logs in with her username.
    let login = app
        .client
        .post(app.url("/login"))
        .json(&json!({ "username": "alice", "password": alice.password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);

    // Blank clears it: her username shows again.
    let cleared = app
        .post_json_as(
            &alice,
            "/update-display-name",
            &json!({ "display_name": "   " }),
        )
        .await;
    assert_eq!(cleared.status(), StatusCode::OK);
    assert_eq!(b.expect("user_updated").await["display_name"], Value::Null);
}

#[tokio::test]
async fn a_display_name_too_long_or_with_control_characters_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let kept = app
        .post_json_as(
            &alice,
            "/update-display-name",
            &json!({ "display_name": "Alice" }),
        )
        .await;
    assert_eq!(kept.status(), StatusCode::OK);

    for bad in ["x".repeat(65), "Ali\u{0}ce".into(), "Ali\nce".into()] {
        let refused = app
            .post_json_as(
                &alice,
                "/update-display-name",
                &json!({ "display_name": bad }),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        let body: Value = refused.json().await.unwrap();
        assert!(
            body["detail"].as_str().unwrap().contains("display name"),
            "{body}"
        );
    }

    assert_eq!(
        app.listed_user(&alice, alice.id).await["display_name"],
        "Alice"
    );
}
