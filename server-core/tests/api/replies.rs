//! Replies and mentions: the quote a reply carries, who may reply to what,
//! mentions stored as ids and recomputed on edit, `@room` and its rule for
//! large conversations, and unread mention counts (docs/protocol.md).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server_core::store::now;

use crate::helpers::{TestApp, TestUser, Ws, file_form, spawn_app};

impl Ws {
    /// Sends `content` to a conversation as a reply to `to`; returns the
    /// message frame that comes back.
    pub async fn reply(&mut self, conversation: i64, to: i64, content: &str) -> Value {
        self.send_json(&json!({
            "type": "send_message", "conversation_id": conversation, "content": content,
            "reply_to": to,
        }))
        .await;
        self.expect_message().await
    }

    /// Sends a frame tagged `tag` and returns the error it gets.
    pub async fn refused(&mut self, mut frame: Value, tag: &str) -> Value {
        frame["client_id"] = json!(tag);
        self.send_json(&frame).await;
        let error = self.expect("error").await;
        assert_eq!(error["client_id"], tag, "{error}");
        error
    }
}

impl TestApp {
    /// Sends a file into a conversation as `user`; its message frame.
    pub async fn send_file(&self, user: &TestUser, conversation: i64, name: &str) -> Value {
        let path = format!(
            "/upload-file?token={}&conversation_id={conversation}",
            user.token
        );
        let response = self
            .post_multipart(&path, file_form(name, b"the plan".to_vec()))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }

    /// The message `id` in `user`'s page of a conversation.
    pub async fn message_in(&self, user: &TestUser, conversation: i64, id: &Value) -> Value {
        self.page(user, conversation, "")
            .await
            .into_iter()
            .find(|m| m["id"] == *id)
            .unwrap_or_else(|| panic!("message {id} in the page"))
    }
}

fn quote(message: &Value, sender: i64, kind: &str, excerpt: Value, file_name: Value) -> Value {
    json!({
        "message_id": message["id"], "sender_id": sender, "kind": kind,
        "excerpt": excerpt, "file_name": file_name,
    })
}

#[tokio::test]
async fn a_reply_quotes_a_text_or_a_file_and_says_deleted_once_the_original_is() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create(&alice, "room", "Lunch", &[&bob]).await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;
    let question = a.say(room, "Lunch on Friday?\nOr later").await;
    b.expect_message().await;
    let plan = app.send_file(&alice, room, "plan.pdf").await;
    a.expect_message().await;
    b.expect_message().await;

    let answer = b
        .reply(room, question["id"].as_i64().unwrap(), "Friday")
        .await;
    let heard = a.expect_message().await;
    let on_file = b.reply(room, plan["id"].as_i64().unwrap(), "Got it").await;
    a.expect_message().await;
    let (deleted, _) = app
        .delete_message_as(&alice, room, question["id"].as_i64().unwrap())
        .await;

    let text_quote = quote(
        &question,
        alice.id,
        "text",
        json!("Lunch on Friday?"),
        Value::Null,
    );
    assert_eq!(answer["reply_to"], text_quote, "{answer}");
    assert_eq!(heard, answer, "every member gets the same frame");
    assert_eq!(
        on_file["reply_to"],
        quote(&plan, alice.id, "file", Value::Null, json!("plan.pdf"))
    );
    assert_eq!(deleted, StatusCode::OK);
    let deleted_quote = quote(&question, alice.id, "deleted", Value::Null, Value::Null);
    let shown = app.message_in(&bob, room, &answer["id"]).await;
    assert_eq!(shown["reply_to"], deleted_quote, "read later, as it is now");
    assert_eq!(
        app.message_in(&bob, room, &on_file["id"]).await["reply_to"],
        on_file["reply_to"]
    );
    let (_, events) = app.call(&bob, Method::GET, "/events?after=0", None).await;
    let backfilled = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == answer["id"])
        .expect("the reply is backfilled");
    assert_eq!(backfilled["reply_to"], deleted_quote);
}

#[tokio::test]
async fn a_reply_in_a_direct_conversation_quotes_the_message_it_answers() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;
    let question = a.send_and_confirm(bob.id, "Are you in?").await;
    b.expect("private_message").await;

    b.send_json(&json!({
        "type": "private_message", "receiver_id": alice.id, "content": "Yes",
        "reply_to": question["id"],
    }))
    .await;
    let answer = b.expect("private_message").await;
    let heard = a.expect("private_message").await;

    assert_eq!(
        answer["reply_to"],
        quote(
            &question,
            alice.id,
            "text",
            json!("Are you in?"),
            Value::Null
        )
    );
    assert_eq!(heard["reply_to"], answer["reply_to"]);
    let history = app.history(&alice, bob.id).await;
    assert_eq!(history[1]["reply_to"], answer["reply_to"]);
}

#[tokio::test]
async fn a_reply_to_a_message_elsewhere_or_out_of_sight_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = app.create(&alice, "room", "Lunch", &[&bob]).await;
    let elsewhere_room = app.create(&alice, "group", "Plans", &[&bob, &carol]).await;
    let mut setup = app.ws_online(&alice).await;
    let elsewhere = setup.say(elsewhere_room, "elsewhere").await;
    let before_carol = setup.say(room, "before carol").await;
    let added = app
        .post_json_as(
            &alice,
            &format!("/conversations/{room}/members"),
            &json!({ "user_id": carol.id }),
        )
        .await
        .status();
    assert_eq!(added, StatusCode::OK);
    setup.expect_message().await; // the notice of it
    let doomed = setup.say(room, "doomed").await;
    app.delete_message_as(&alice, room, doomed["id"].as_i64().unwrap())
        .await;
    setup.close_and_wait().await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;
    let mut c = app.ws_subscribed(&carol).await;
    let page = app.page(&alice, room, "").await;
    let notice = page[0]["id"].clone();
    assert!(page[0]["notice"].is_object(), "{}", page[0]);

    let mut refusals = Vec::new();
    for (n, target) in [&elsewhere["id"], &doomed["id"], &notice, &json!(999_999)]
        .into_iter()
        .enumerate()
    {
        let frame = json!({
            "type": "send_message", "conversation_id": room, "content": "re", "reply_to": target,
        });
        refusals.push(b.refused(frame, &format!("b{n}")).await);
    }
    let frame = json!({
        "type": "send_message", "conversation_id": room, "content": "re",
        "reply_to": before_carol["id"],
    });
    refusals.push(c.refused(frame, "c").await);

    for refusal in refusals {
        assert_eq!(
            refusal["detail"], "No such message to reply to",
            "{refusal}"
        );
    }
    assert_eq!(app.page(&alice, room, "").await, page, "nothing stored");
    // Nothing reached the members: the next message Alice hears is this.
    b.say(room, "marker").await;
    let next = a.expect_message().await;
    assert_eq!(next["content"], "marker");
}

#[tokio::test]
async fn mentions_are_the_ids_of_the_members_named_and_are_recomputed_on_edit() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = app.create(&alice, "room", "Lunch", &[&bob, &carol]).await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;

    let sent = a
        .say(
            room,
            "@Carol @bob lunch? (@dave is not here; mail bob@example.com)",
        )
        .await;
    let heard = b.expect_message().await;
    a.send_json(&json!({
        "type": "edit_message", "message_id": sent["id"], "new_content": "@carol only",
    }))
    .await;
    let edited = b.expect("message_edited").await;
    let shown_edited = app.message_in(&bob, room, &sent["id"]).await;
    a.send_json(&json!({
        "type": "edit_message", "message_id": sent["id"], "new_content": "no one",
    }))
    .await;
    let plain = b.expect("message_edited").await;

    assert_eq!(sent["mentions"], json!([bob.id, carol.id]), "{sent}");
    assert!(sent.get("mentions_room").is_none(), "{sent}");
    assert_eq!(heard["mentions"], sent["mentions"]);
    assert_eq!(edited["mentions"], json!([carol.id]), "{edited}");
    assert_eq!(shown_edited["mentions"], json!([carol.id]));
    assert!(plain.get("mentions").is_none(), "{plain}");
    let shown_plain = app.message_in(&bob, room, &sent["id"]).await;
    assert!(shown_plain.get("mentions").is_none(), "{shown_plain}");
    assert!(
        !sent["mentions"]
            .as_array()
            .unwrap()
            .contains(&json!(dave.id)),
        "dave is not a member"
    );
}

#[tokio::test]
async fn at_room_notifies_a_room_but_is_plain_text_in_a_direct_conversation() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create(&alice, "room", "Lunch", &[&bob]).await;
    let mut b = app.ws_online(&bob).await;

    let to_room = b.say(room, "@room lunch is here").await;
    let everyone = b.say(room, "@everyone really").await;
    b.send_message(alice.id, "@room?").await;
    let direct = b.expect("private_message").await;

    assert_eq!(to_room["mentions_room"], true, "{to_room}");
    assert_eq!(everyone["mentions_room"], true);
    assert!(direct.get("mentions_room").is_none(), "{direct}");
}

/// Fifty people of whom Alice is the first, made behind the API (fifty
/// registrations would cost fifty password hashes).
async fn crowd(app: &TestApp, size: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in 0..size {
        let id = app
            .state()
            .store
            .create_user(&format!("person{n}"), "not a real hash", now())
            .await
            .expect("user created");
        ids.push(id);
    }
    ids
}

#[tokio::test]
async fn in_a_conversation_of_more_than_fifty_only_admins_notify_everyone() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let others = crowd(&app, 49).await;
    let mut members = others.clone();
    members.push(bob.id);
    let (status, created) = app
        .call(
            &alice,
            Method::POST,
            "/conversations",
            Some(json!({ "kind": "room", "title": "All hands", "members": members })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["member_count"], 51);
    let room = created["conversation_id"].as_i64().unwrap();
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;
    let earlier = b.say(room, "lunch?").await;
    a.expect_message().await;
    let page = app.page(&alice, room, "").await;

    let sent = b
        .refused(
            json!({ "type": "send_message", "conversation_id": room, "content": "@room lunch?" }),
            "r1",
        )
        .await;
    let edit = b
        .refused(
            json!({
                "type": "edit_message", "message_id": earlier["id"],
                "new_content": "@everyone lunch?",
            }),
            "r2",
        )
        .await;
    let by_admin = a.say(room, "@room lunch!").await;

    let detail = "Only admins may notify everyone in a conversation this large";
    assert_eq!(sent["detail"], detail);
    assert_eq!(edit["detail"], detail);
    assert_eq!(by_admin["mentions_room"], true);
    let after = app.page(&alice, room, "").await;
    assert_eq!(&after[..page.len()], &page[..], "nothing stored or changed");
    assert_eq!(after.len(), page.len() + 1, "only the admin's");
    let heard = b.expect_message().await;
    assert_eq!(heard["id"], by_admin["id"], "bob heard only the admin's");
}

#[tokio::test]
async fn unread_mentions_count_those_of_the_caller_and_the_room_until_read() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = app.create(&alice, "room", "Lunch", &[&bob, &carol]).await;
    let mut a = app.ws_online(&alice).await;
    a.say(room, "@bob one").await;
    a.say(room, "plain").await;
    a.say(room, "@room two").await;
    let last = a.say(room, "@carol three").await;

    let listed = app.listed(&bob, room).await.expect("listed");
    let (_, shown) = app
        .call(&bob, Method::GET, &format!("/conversations/{room}"), None)
        .await;
    let alices = app.listed(&alice, room).await.expect("listed");
    let (read, _) = app
        .call(
            &bob,
            Method::POST,
            &format!("/conversations/{room}/read"),
            Some(json!({ "message_id": last["id"] })),
        )
        .await;
    let after = app.listed(&bob, room).await.expect("listed");

    assert_eq!(
        (listed["unread"].clone(), listed["unread_mentions"].clone()),
        (json!(4), json!(2))
    );
    assert_eq!(shown["unread_mentions"], 2);
    assert_eq!(alices["unread_mentions"], 0, "one's own do not count");
    assert_eq!(read, StatusCode::OK);
    assert_eq!(after["unread_mentions"], 0);
    assert_eq!(
        app.listed(&carol, room).await.expect("listed")["unread_mentions"],
        2
    );
}
