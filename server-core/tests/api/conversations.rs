//! Rooms and groups, membership, delete, read state and receipts, history
//! by cursor, backfill and safe resend (docs/protocol.md).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, Ws, detail, spawn_app};

impl TestApp {
    pub async fn post_json_as(
        &self,
        user: &TestUser,
        path: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&user.token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Sends a request as `user` and returns its status and JSON body.
    pub async fn call(
        &self,
        user: &TestUser,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&user.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Creates a conversation as `creator`; its id.
    pub async fn create(
        &self,
        creator: &TestUser,
        kind: &str,
        title: &str,
        members: &[&TestUser],
    ) -> i64 {
        let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
        let (status, body) = self
            .call(
                creator,
                reqwest::Method::POST,
                "/conversations",
                Some(json!({ "kind": kind, "title": title, "members": ids })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["conversation_id"].as_i64().expect("conversation_id")
    }

    /// `DELETE /conversations/{conversation}/messages/{message}` as `user`.
    pub async fn delete_message_as(
        &self,
        user: &TestUser,
        conversation: i64,
        message: i64,
    ) -> (StatusCode, Value) {
        let path = format!("/conversations/{conversation}/messages/{message}");
        self.call(user, reqwest::Method::DELETE, &path, None).await
    }

    /// `GET /conversations` as `user`.
    pub async fn conversation_list(&self, user: &TestUser) -> Vec<Value> {
        let (status, body) = self
            .call(user, reqwest::Method::GET, "/conversations", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        serde_json::from_value(body).expect("a list")
    }

    /// The entry of `conversation` in `user`'s list, if listed.
    pub async fn listed(&self, user: &TestUser, conversation: i64) -> Option<Value> {
        self.conversation_list(user)
            .await
            .into_iter()
            .find(|c| c["conversation_id"] == conversation)
    }

    /// A page of a conversation's messages as `user`.
    pub async fn page(&self, user: &TestUser, conversation: i64, query: &str) -> Vec<Value> {
        let path = format!("/conversations/{conversation}/messages{query}");
        let (status, body) = self.call(user, reqwest::Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        serde_json::from_value(body).expect("a list")
    }
}

impl Ws {
    /// Sends `content` to a conversation and returns its echo.
    pub async fn say(&mut self, conversation: i64, content: &str) -> Value {
        self.send_json(&json!({
            "type": "send_message", "conversation_id": conversation, "content": content,
        }))
        .await;
        let echo = self.expect_message().await;
        assert_eq!(echo["content"], content);
        echo
    }

    /// The next message frame of any kind of conversation.
    pub async fn expect_message(&mut self) -> Value {
        loop {
            let frame = self.next_json().await;
            match frame["type"].as_str() {
                Some("message" | "private_message") => return frame,
                Some("presence" | "delivered") => continue,
                _ => panic!("expected a message, got {frame}"),
            }
        }
    }
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().expect("an id")
}

fn general(list: &[Value]) -> &Value {
    list.iter()
        .find(|c| c["title"] == "General")
        .expect("General is listed")
}

#[tokio::test]
async fn general_exists_from_the_start_and_everyone_is_in_it() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;

    let alices = app.conversation_list(&alice).await;
    let bobs = app.conversation_list(&bob).await;

    let room = general(&alices);
    assert_eq!(room["kind"], "room");
    assert_eq!(room["member_count"], 2);
    assert_eq!(room["role"], "admin", "the first account is its admin");
    assert_eq!(general(&bobs)["role"], "member");
    let (_, rooms) = app.call(&bob, reqwest::Method::GET, "/rooms", None).await;
    assert_eq!(rooms[0]["title"], "General");
    assert_eq!(rooms[0]["joined"], true);
}

#[tokio::test]
async fn a_group_is_created_with_its_members_and_everyone_in_it_gets_its_messages_live() {
    let app = spawn_app().await;
    let (alice, bob, carol, eve) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("eve").await,
    );
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;
    let mut c = app.ws_subscribed(&carol).await;
    let mut e = app.ws_subscribed(&eve).await;

    let group = app.create(&alice, "group", "Design", &[&bob, &carol]).await;
    let created = b.expect_message().await;
    c.expect_message().await;
    a.expect_message().await;
    let echo = a.say(group, "Hello designers").await;
    let at_bob = b.expect_message().await;
    let at_carol = c.expect_message().await;

    assert_eq!(created["type"], "message");
    assert_eq!(
        created["notice"],
        json!({ "action": "created", "title": "Design" })
    );
    assert_eq!(created["conversation_id"], group);
    assert_eq!(echo["type"], "message");
    assert!(echo["receiver_id"].is_null());
    assert_eq!(at_bob["id"], echo["id"]);
    assert_eq!(at_carol["id"], echo["id"]);
    // Eve, outside it, heard nothing: her next frame is her own marker.
    e.wait_until_subscribed().await;
    let listed = app.listed(&bob, group).await.expect("bob lists the group");
    assert_eq!(listed["kind"], "group");
    assert_eq!(listed["unread"], 1);
    assert!(app.listed(&eve, group).await.is_none());
    let (_, rooms) = app.call(&eve, reqwest::Method::GET, "/rooms", None).await;
    assert!(
        rooms
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["conversation_id"] != group),
        "a private group is not listed for others"
    );
}

#[tokio::test]
async fn anyone_may_join_and_leave_an_open_room_and_sees_history_from_when_they_joined() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create(&alice, "room", "Lunch", &[]).await;
    let mut a = app.ws_online(&alice).await;
    a.say(room, "before bob").await;

    let (joined, _) = app
        .call(
            &bob,
            reqwest::Method::POST,
            &format!("/conversations/{room}/join"),
            None,
        )
        .await;
    let notice = a.expect_message().await;
    a.say(room, "after bob").await;
    let seen_by_bob = app.page(&bob, room, "").await;
    let (left, _) = app
        .call(
            &bob,
            reqwest::Method::POST,
            &format!("/conversations/{room}/leave"),
            None,
        )
        .await;
    let left_notice = a.expect_message().await;

    assert_eq!(joined, StatusCode::OK);
    assert_eq!(notice["notice"]["action"], "joined");
    assert_eq!(notice["sender_id"], bob.id);
    let contents: Vec<&Value> = seen_by_bob.iter().map(|m| &m["content"]).collect();
    assert_eq!(
        contents,
        vec![&Value::Null, &json!("after bob")],
        "his join, then what followed"
    );
    assert_eq!(left, StatusCode::OK);
    assert_eq!(left_notice["notice"]["action"], "left");
    let (status, _) = app
        .call(
            &bob,
            reqwest::Method::GET,
            &format!("/conversations/{room}/messages"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "history is for members");
}

#[tokio::test]
async fn admins_manage_members_and_titles_and_others_are_refused_with_nothing_changed() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let group = app.create(&alice, "group", "Team", &[&bob]).await;
    let base = format!("/conversations/{group}");

    // Bob, a plain member, may do none of it.
    let refused = [
        app.call(
            &bob,
            reqwest::Method::POST,
            &format!("{base}/members"),
            Some(json!({ "user_id": carol.id })),
        )
        .await,
        app.call(
            &bob,
            reqwest::Method::DELETE,
            &format!("{base}/members/{}", alice.id),
            None,
        )
        .await,
        app.call(
            &bob,
            reqwest::Method::PATCH,
            &base,
            Some(json!({ "title": "Mine" })),
        )
        .await,
        app.call(
            &bob,
            reqwest::Method::PUT,
            &format!("{base}/members/{}/role", bob.id),
            Some(json!({ "role": "admin" })),
        )
        .await,
    ];
    for (status, body) in refused {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (_, shown) = app.call(&alice, reqwest::Method::GET, &base, None).await;
    assert_eq!(shown["title"], "Team");
    assert_eq!(shown["members"].as_array().unwrap().len(), 2);

    // Alice, its admin, may.
    let (added, _) = app
        .call(
            &alice,
            reqwest::Method::POST,
            &format!("{base}/members"),
            Some(json!({ "user_id": carol.id })),
        )
        .await;
    let (renamed, body) = app
        .call(
            &alice,
            reqwest::Method::PATCH,
            &base,
            Some(json!({ "title": "  Core team " })),
        )
        .await;
    let (promoted, _) = app
        .call(
            &alice,
            reqwest::Method::PUT,
            &format!("{base}/members/{}/role", bob.id),
            Some(json!({ "role": "admin" })),
        )
        .await;
    let (removed, _) = app
        .call(
            &bob,
            reqwest::Method::DELETE,
            &format!("{base}/members/{}", carol.id),
            None,
        )
        .await;

    assert_eq!(added, StatusCode::OK);
    assert_eq!(renamed, StatusCode::OK);
    assert_eq!(body["title"], "Core team");
    assert_eq!(promoted, StatusCode::OK);
    assert_eq!(removed, StatusCode::OK, "bob is an admin now");
    assert!(app.listed(&carol, group).await.is_none());
    let notices: Vec<Value> = app
        .page(&alice, group, "")
        .await
        .into_iter()
        .map(|m| m["notice"].clone())
        .collect();
    assert_eq!(
        notices,
        vec![
            json!({ "action": "created", "title": "Team" }),
            json!({ "action": "added", "user_id": carol.id }),
            json!({ "action": "renamed", "title": "Core team" }),
            json!({ "action": "promoted", "user_id": bob.id }),
            json!({ "action": "removed", "user_id": carol.id }),
        ]
    );
    let (bad_title, body) = app
        .call(
            &alice,
            reqwest::Method::PATCH,
            &base,
            Some(json!({ "title": "   " })),
        )
        .await;
    assert_eq!(bad_title, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn the_last_admin_leaving_hands_the_role_to_the_longest_standing_member() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let group = app.create(&alice, "group", "Team", &[&bob]).await;
    app.call(
        &alice,
        reqwest::Method::POST,
        &format!("/conversations/{group}/members"),
        Some(json!({ "user_id": carol.id })),
    )
    .await;
    let (demote_self, _) = app
        .call(
            &alice,
            reqwest::Method::PUT,
            &format!("/conversations/{group}/members/{}/role", alice.id),
            Some(json!({ "role": "member" })),
        )
        .await;

    app.call(
        &alice,
        reqwest::Method::POST,
        &format!("/conversations/{group}/leave"),
        None,
    )
    .await;

    assert_eq!(
        demote_self,
        StatusCode::BAD_REQUEST,
        "the last admin cannot step down"
    );
    let (_, shown) = app
        .call(
            &carol,
            reqwest::Method::GET,
            &format!("/conversations/{group}"),
            None,
        )
        .await;
    let roles: Vec<(i64, String)> = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user_id"].as_i64().unwrap(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![(bob.id, "admin".into()), (carol.id, "member".into())]
    );
}

#[tokio::test]
async fn a_sender_deletes_a_message_for_everyone_live_and_its_file_is_gone() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;
    let text = a.send_and_confirm(bob.id, "oops, wrong person").await;
    b.expect("private_message").await;
    let file = app
        .upload_file(
            &alice,
            bob.id,
            crate::helpers::file_form("plan.txt", b"secret plan".to_vec()),
        )
        .await;
    let file: Value = file.json().await.unwrap();
    a.expect("private_message").await;
    b.expect("private_message").await;
    let conversation = text["conversation_id"].as_i64().unwrap();
    let path = file["file_path"].as_str().unwrap().to_owned();

    a.send_json(&json!({ "type": "delete_message", "message_id": id(&text) }))
        .await;
    let (deleted_file, _) = app.delete_message_as(&alice, conversation, id(&file)).await;

    for ws in [&mut a, &mut b] {
        let first = ws.expect("message_deleted").await;
        let second = ws.expect("message_deleted").await;
        assert_eq!(first["message_id"], text["id"]);
        assert_eq!(first["deleted_by"], alice.id);
        assert_eq!(second["message_id"], file["id"]);
    }
    assert_eq!(deleted_file, StatusCode::OK);
    let page = app.page(&bob, conversation, "").await;
    assert!(
        page.iter()
            .all(|m| m["content"].is_null() && m["file_path"].is_null())
    );
    assert!(page.iter().all(|m| m["deleted_at"].is_string()));
    assert!(
        app.history(&bob, alice.id).await.is_empty(),
        "the contract's history drops them"
    );
    assert_eq!(
        app.get_file(&bob, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(crate::helpers::files_in(&app.dir.path().join("files")).is_empty());
    let db = rusqlite::Connection::open(app.dir.path().join("chatterbox.db")).unwrap();
    let leftovers: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM messages WHERE content LIKE '%wrong person%' OR file_path IS NOT NULL",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(leftovers, 0, "the text is gone for good");
}

#[tokio::test]
async fn only_the_sender_deletes_in_a_direct_conversation_and_an_admin_any_in_a_room() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;
    let direct = a.send_and_confirm(bob.id, "mine").await;
    b.expect("private_message").await;
    let room = app.create(&alice, "room", "Hall", &[&bob, &carol]).await;
    b.expect_message().await;
    let bobs = b.say(room, "bob's").await;

    b.send_json(&json!({ "type": "delete_message", "message_id": id(&direct), "client_id": "d1" }))
        .await;
    let refused = b.expect("error").await;
    let (carol_tries, _) = app.delete_message_as(&carol, room, id(&bobs)).await;
    let (alice_moderates, _) = app.delete_message_as(&alice, room, id(&bobs)).await;
    let (swapped, _) = app.delete_message_as(&alice, room, id(&direct)).await;

    assert_eq!(refused["client_id"], "d1");
    assert_eq!(carol_tries, StatusCode::FORBIDDEN);
    assert_eq!(alice_moderates, StatusCode::OK);
    assert_eq!(
        swapped,
        StatusCode::NOT_FOUND,
        "the message is not in that room"
    );
    assert_eq!(app.history(&bob, alice.id).await.len(), 1, "still there");
}

#[tokio::test]
async fn reading_on_one_device_clears_the_unread_count_on_all_of_them() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut a = app.ws_online(&alice).await;
    let mut phone = app.ws_subscribed(&bob).await;
    let mut laptop = app.ws_subscribed(&bob).await;
    a.send_and_confirm(bob.id, "one").await;
    let last = a.send_and_confirm(bob.id, "two").await;
    let conversation = last["conversation_id"].as_i64().unwrap();
    for ws in [&mut phone, &mut laptop] {
        ws.expect("private_message").await;
        ws.expect("private_message").await;
    }
    assert_eq!(app.listed(&bob, conversation).await.unwrap()["unread"], 2);

    phone
        .send_json(&json!({ "type": "mark_read", "conversation_id": conversation, "message_id": id(&last) }))
        .await;

    let on_laptop = laptop.expect("read").await;
    let at_sender = a.expect("read").await;
    assert_eq!(on_laptop["user_id"], bob.id);
    assert_eq!(on_laptop["message_id"], last["id"]);
    assert_eq!(
        at_sender["message_id"], last["id"],
        "the sender's two ticks"
    );
    let listed = app.listed(&bob, conversation).await.unwrap();
    assert_eq!(listed["unread"], 0);
    assert_eq!(listed["last_read_message_id"], last["id"]);
    let (_, shown) = app
        .call(
            &alice,
            reqwest::Method::GET,
            &format!("/conversations/{conversation}"),
            None,
        )
        .await;
    let bob_seen = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == bob.id)
        .cloned()
        .unwrap();
    assert_eq!(bob_seen["last_read_message_id"], last["id"]);
    assert_eq!(bob_seen["delivered_message_id"], last["id"]);
}

#[tokio::test]
async fn a_message_written_to_the_recipients_socket_is_delivered_for_the_sender() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;

    let sent = a.send_and_confirm(bob.id, "did it arrive?").await;
    b.expect("private_message").await;
    let delivered = a.expect("delivered").await;

    assert_eq!(delivered["user_id"], bob.id);
    assert_eq!(delivered["message_id"], sent["id"]);
    assert_eq!(delivered["conversation_id"], sent["conversation_id"]);
}

#[tokio::test]
async fn with_read_receipts_off_nobody_sees_your_reads_and_you_see_nobodys() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let (saved, body) = app
        .call(
            &bob,
            reqwest::Method::PUT,
            "/settings",
            Some(json!({ "read_receipts": false })),
        )
        .await;
    let mut a = app.ws_online(&alice).await;
    let sent = a.send_and_confirm(bob.id, "read me").await;
    let conversation = sent["conversation_id"].as_i64().unwrap();

    app.post_json_as(
        &bob,
        &format!("/conversations/{conversation}/read"),
        &json!({ "message_id": id(&sent) }),
    )
    .await;
    app.post_json_as(
        &alice,
        &format!("/conversations/{conversation}/read"),
        &json!({ "message_id": id(&sent) }),
    )
    .await;

    assert_eq!(saved, StatusCode::OK);
    assert_eq!(
        body,
        json!({ "read_receipts": false, "dnd_until": null, "sound": false })
    );
    // Alice hears her own read (her devices), never Bob's.
    let own = a.expect("read").await;
    assert_eq!(own["user_id"], alice.id);
    let shown = |viewer: &TestUser| {
        let app = &app;
        let path = format!("/conversations/{conversation}");
        let viewer = viewer.clone();
        async move { app.call(&viewer, reqwest::Method::GET, &path, None).await.1 }
    };
    for (viewer, other) in [(&alice, &bob), (&bob, &alice)] {
        let members = shown(viewer).await["members"].clone();
        let entry = members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == other.id)
            .cloned()
            .unwrap();
        assert!(
            entry["last_read_message_id"].is_null(),
            "{} sees {}",
            viewer.name,
            other.name
        );
    }
    let (_, settings) = app
        .call(&bob, reqwest::Method::GET, "/settings", None)
        .await;
    assert_eq!(settings["read_receipts"], false);
}

#[tokio::test]
async fn history_pages_walk_by_cursor_on_both_routes() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut a = app.ws_online(&alice).await;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(id(&a.send_and_confirm(bob.id, &format!("m{n}")).await));
    }
    let conversation = app.history(&alice, bob.id).await[0]["conversation_id"]
        .as_i64()
        .unwrap();
    let ids_of = |page: Vec<Value>| page.iter().map(id).collect::<Vec<_>>();

    let newest = ids_of(app.page(&alice, conversation, "?limit=3").await);
    let older = ids_of(
        app.page(
            &alice,
            conversation,
            &format!("?limit=3&before={}", newest[0]),
        )
        .await,
    );
    let newer = ids_of(
        app.page(&alice, conversation, &format!("?limit=2&after={}", ids[1]))
            .await,
    );
    let contract: Vec<Value> = app
        .get_as(
            &alice,
            &format!("/messages/{}?limit=2&before={}", bob.id, ids[3]),
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(newest, ids[4..7]);
    assert_eq!(older, ids[1..4]);
    assert_eq!(newer, ids[2..4]);
    assert_eq!(ids_of(contract), ids[1..3]);
}

#[tokio::test]
async fn a_reconnecting_client_gets_everything_it_missed_in_order_then_synced() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut b = app
        .ws_at(&format!("/ws?token={}&sync=1", bob.token), None)
        .await
        .unwrap();
    let synced = b.expect("synced").await;
    let cursor = synced["seq"].as_i64().unwrap();
    b.close_and_wait().await;
    let group = app.create(&alice, "group", "Plans", &[&bob]).await;
    let mut a = app.ws_online(&alice).await;
    let kept = a.say(group, "kept").await;
    let doomed = a.say(group, "doomed").await;
    a.send_json(
        &json!({ "type": "edit_message", "message_id": id(&kept), "new_content": "kept, edited" }),
    )
    .await;
    a.expect("message_edited").await;
    a.send_json(&json!({ "type": "delete_message", "message_id": id(&doomed) }))
        .await;
    a.expect("message_deleted").await;

    let mut b = app
        .ws_at(&format!("/ws?token={}&after={cursor}", bob.token), None)
        .await
        .unwrap();
    let mut frames = Vec::new();
    loop {
        let frame = b.next_json().await;
        if frame["type"] == "synced" {
            frames.push(frame);
            break;
        }
        if frame["type"] != "presence" {
            frames.push(frame);
        }
    }

    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "message",
            "message",
            "message",
            "message_edited",
            "message_deleted",
            "synced"
        ]
    );
    assert_eq!(frames[0]["notice"]["action"], "created");
    assert_eq!(
        frames[1]["content"], "kept, edited",
        "a message as it is now"
    );
    assert!(frames[2]["content"].is_null() && frames[2]["deleted_at"].is_string());
    let seqs: Vec<i64> = frames.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    let (synced_at, events) = seqs.split_last().unwrap();
    assert!(
        events.windows(2).all(|w| w[0] < w[1]),
        "in log order: {seqs:?}"
    );
    assert!(events[0] > cursor);
    assert_eq!(
        synced_at,
        events.last().unwrap(),
        "synced where the backfill ended"
    );
    // Over HTTP, the same, a page at a time.
    let (_, first) = app
        .call(
            &bob,
            reqwest::Method::GET,
            &format!("/events?after={cursor}&limit=2"),
            None,
        )
        .await;
    assert_eq!(first["complete"], false);
    assert_eq!(first["events"].as_array().unwrap().len(), 2);
    let (_, rest) = app
        .call(
            &bob,
            reqwest::Method::GET,
            &format!("/events?after={}", first["seq"]),
            None,
        )
        .await;
    assert_eq!(rest["complete"], true);
    assert_eq!(rest["events"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_backfill_holds_nothing_of_conversations_one_is_not_in() {
    let app = spawn_app().await;
    let (alice, bob, eve) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("eve").await,
    );
    let group = app.create(&alice, "group", "Secret", &[&bob]).await;
    let mut a = app.ws_online(&alice).await;
    a.say(group, "for bob only").await;
    a.send_and_confirm(bob.id, "direct to bob").await;

    let (_, events) = app
        .call(&eve, reqwest::Method::GET, "/events?after=0", None)
        .await;

    let leaked: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["conversation_id"] == group || e["content"] == "direct to bob")
        .collect();
    assert!(leaked.is_empty(), "{leaked:?}");
    assert_eq!(events["complete"], true);
}

#[tokio::test]
async fn a_resend_with_the_same_client_id_is_stored_once_and_echoed_again() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut a = app.ws_online(&alice).await;
    let frame = json!({
        "type": "private_message", "receiver_id": bob.id, "content": "only once", "client_id": "c-42",
    });

    a.send_json(&frame).await;
    let first = a.expect("private_message").await;
    a.close_and_wait().await;
    let mut again = app.ws_online(&alice).await;
    again.send_json(&frame).await;
    let second = again.expect("private_message").await;

    assert_eq!(first["id"], second["id"]);
    assert_eq!(second["client_id"], "c-42");
    assert!(first["seq"].is_i64());
    assert!(
        second.get("seq").is_none(),
        "the resend's echo is no new event"
    );
    assert_eq!(app.history(&alice, bob.id).await.len(), 1);
}

#[tokio::test]
async fn chat_files_are_for_members_only_and_browsers_prove_it_with_the_cookie() {
    let app = spawn_app().await;
    let (alice, bob, eve) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("eve").await,
    );
    let sent: Value = app
        .upload_file(
            &alice,
            bob.id,
            crate::helpers::file_form("plan.txt", b"the plan".to_vec()),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = sent["file_path"].as_str().unwrap().to_owned();
    let login = app.login(&bob.name, &bob.password).await;
    let cookie = login
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    let pair = cookie.split(';').next().unwrap().to_owned();

    let anonymous = app.get_file_anonymously(&path).await;
    let outsider = app.get_file(&eve, &path).await;
    let member = app.get_file(&bob, &path).await;
    let by_cookie = app
        .client
        .get(app.url(&format!("/{path}")))
        .header(reqwest::header::COOKIE, &pair)
        .send()
        .await
        .unwrap();
    let api_by_cookie = app
        .client
        .get(app.url("/users"))
        .header(reqwest::header::COOKIE, &pair)
        .send()
        .await
        .unwrap();

    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(cookie.contains("Path=/static"), "{cookie}");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(!detail(anonymous).await.is_empty());
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    assert_eq!(member.status(), StatusCode::OK);
    assert_eq!(by_cookie.status(), StatusCode::OK);
    assert_eq!(by_cookie.bytes().await.unwrap(), &b"the plan"[..]);
    assert_eq!(
        api_by_cookie.status(),
        StatusCode::UNAUTHORIZED,
        "the cookie opens no API"
    );
    let logout = app.post_as(&bob, "/logout").await;
    let cleared = logout.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

/// An admin acting on someone outside the room is told they are not in it
/// (404), not that the admin is not (403); titles are checked as sent.
#[tokio::test]
async fn admins_acting_on_outsiders_get_404_and_titles_with_control_characters_are_refused() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let room = app.create(&alice, "room", "Plans", &[]).await;

    for (method, path, body) in [
        (
            Method::DELETE,
            format!("/conversations/{room}/members/{}", bob.id),
            None,
        ),
        (
            Method::PUT,
            format!("/conversations/{room}/members/{}/role", bob.id),
            Some(json!({"role": "admin"})),
        ),
        (
            Method::DELETE,
            format!("/conversations/{room}/members/999999"),
            None,
        ),
    ] {
        let (status, answer) = app.call(&alice, method, &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
        assert_eq!(
            answer["detail"],
            "They are not a member of this conversation"
        );
    }

    for title in ["Plans\n", "\tPlans", "Pl\u{85}ans"] {
        let (status, answer) = app
            .call(
                &alice,
                Method::PATCH,
                &format!("/conversations/{room}"),
                Some(json!({"title": title})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{title:?}: {answer}");
    }
    let (status, answer) = app
        .call(&alice, Method::GET, &format!("/conversations/{room}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["title"], "Plans");
    app.shutdown().await;
}
