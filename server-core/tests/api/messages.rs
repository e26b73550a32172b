//! Conversation history: `GET /messages/{receiver_id}`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, TestUser, assert_text_message, detail, spawn_app};

/// Alice and Bob, registered and logged in.
async fn alice_and_bob(app: &TestApp) -> (TestUser, TestUser) {
    (app.user("alice").await, app.user("bob").await)
}

/// `GET path` with the token in the query string, as the original's pages do.
async fn get_with_query_token(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .query(&[("token", token)])
        .send()
        .await
        .expect("request")
}

/// The ids of a history page.
fn ids(history: &[Value]) -> Vec<i64> {
    history
        .iter()
        .map(|m| m["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn history_holds_both_directions_oldest_first_with_the_contract_fields() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_online(&bob).await;
    let first = a.send_and_confirm(bob.id, "one").await;
    b.expect("private_message").await;
    let second = b.send_and_confirm(alice.id, "two").await;
    a.expect("private_message").await;
    let third = a.send_and_confirm(bob.id, "three").await;

    let by_query = get_with_query_token(&app, &format!("/messages/{}", bob.id), &alice.token).await;
    let by_bearer = app.get_as(&bob, &format!("/messages/{}", alice.id)).await;

    assert_eq!(by_query.status(), StatusCode::OK);
    assert_eq!(by_bearer.status(), StatusCode::OK);
    let alices: Vec<Value> = by_query.json().await.expect("json");
    let bobs: Vec<Value> = by_bearer.json().await.expect("json");
    assert_eq!(alices.len(), 3);
    assert_text_message(&alices[0], alice.id, bob.id, "one");
    assert_text_message(&alices[1], bob.id, alice.id, "two");
    assert_text_message(&alices[2], alice.id, bob.id, "three");
    assert_eq!(
        ids(&alices),
        [&first, &second, &third].map(|m| m["id"].as_i64().expect("id"))
    );
    assert!(alices[0]["timestamp"].as_str() <= alices[2]["timestamp"].as_str());
    assert_eq!(alices, bobs, "both parties see the same conversation");
}

#[tokio::test]
async fn history_requires_a_valid_token() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let path = format!("/messages/{}", bob.id);

    let without = app
        .client
        .get(app.url(&path))
        .send()
        .await
        .expect("request");
    let empty = get_with_query_token(&app, &path, "").await;
    let bad_query = get_with_query_token(&app, &path, "not-a-real-token").await;
    let bad_bearer = app
        .client
        .get(app.url(&path))
        .bearer_auth(format!("{}x", alice.token))
        .send()
        .await
        .expect("request");

    for response in [without, empty, bad_query, bad_bearer] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(detail(response).await, "Invalid token");
    }
}

#[tokio::test]
async fn a_conversation_id_must_be_an_integer() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for id in ["bob", "1.5", "99999999999999999999999"] {
        let response = app.get_as(&alice, &format!("/messages/{id}")).await;

        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{id}");
        assert!(!detail(response).await.is_empty(), "{id}");
    }
}

#[tokio::test]
async fn conversations_never_leak_into_each_other() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let carol = app.user("carol").await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_online(&bob).await;
    let mut c = app.ws_online(&carol).await;

    a.send_and_confirm(bob.id, "for bob").await;
    b.expect("private_message").await;
    b.send_and_confirm(alice.id, "for alice, from bob").await;
    a.expect("private_message").await;
    a.send_and_confirm(carol.id, "for carol").await;
    let first_for_carol = c.expect("private_message").await;

    assert_eq!(
        first_for_carol["content"], "for carol",
        "carol heard nothing of alice and bob"
    );
    let alice_bob = app.history(&alice, bob.id).await;
    let alice_carol = app.history(&alice, carol.id).await;
    let carol_alice = app.history(&carol, alice.id).await;
    let contents = |h: &[Value]| h.iter().map(|m| m["content"].clone()).collect::<Vec<_>>();
    assert_eq!(contents(&alice_bob), ["for bob", "for alice, from bob"]);
    assert_eq!(contents(&alice_carol), ["for carol"]);
    assert_eq!(alice_carol, carol_alice);
    assert!(app.history(&carol, bob.id).await.is_empty());
    assert!(app.history(&bob, carol.id).await.is_empty());
    assert!(app.history(&bob, bob.id).await.is_empty());
}

#[tokio::test]
async fn notes_to_self_are_a_conversation_of_their_own() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut a = app.ws_online(&alice).await;
    a.send_and_confirm(bob.id, "for bob").await;

    a.send_and_confirm(alice.id, "buy milk").await;

    let notes = app.history(&alice, alice.id).await;
    assert_eq!(notes.len(), 1);
    assert_text_message(&notes[0], alice.id, alice.id, "buy milk");
    assert_eq!(app.history(&alice, bob.id).await.len(), 1);
}

#[tokio::test]
async fn history_pages_back_with_limit_and_before() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;
    let mut a = app.ws_online(&alice).await;
    let mut sent = Vec::new();
    for n in 1..=5 {
        let echo = a.send_and_confirm(bob.id, &format!("message {n}")).await;
        sent.push(echo["id"].as_i64().expect("id"));
    }
    let page = |query: String| {
        let app = &app;
        let alice = &alice;
        async move {
            let response = app
                .get_as(alice, &format!("/messages/{}?{query}", bob.id))
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            ids(&response.json::<Vec<Value>>().await.expect("json"))
        }
    };

    let newest = page("limit=2".into()).await;
    let before_newest = page(format!("limit=2&before={}", newest[0])).await;
    let oldest = page(format!("limit=2&before={}", before_newest[0])).await;
    let everything_before = page(format!("before={}", sent[3])).await;

    assert_eq!(newest, &sent[3..5], "the newest, oldest first");
    assert_eq!(before_newest, &sent[1..3]);
    assert_eq!(oldest, &sent[0..1], "a short last page");
    assert_eq!(everything_before, &sent[0..3]);
}

#[tokio::test]
async fn a_conversation_without_messages_is_an_empty_list() {
    let app = spawn_app().await;
    let (alice, bob) = alice_and_bob(&app).await;

    let response = app.get_as(&alice, &format!("/messages/{}", bob.id)).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, serde_json::json!([]));
}
