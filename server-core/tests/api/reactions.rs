//! Reactions: added and taken back over HTTP and the socket, live to every
//! member and in backfills, at most twenty emoji a message, emoji only, and
//! only from members on messages (docs/protocol.md).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, Ws, encoded, spawn_app};

impl TestApp {
    /// `PUT` (add) or `DELETE` (take back) a reaction as `user`.
    async fn react(
        &self,
        user: &TestUser,
        method: Method,
        conversation: i64,
        message: &Value,
        emoji: &str,
    ) -> (StatusCode, Value) {
        let path = format!(
            "/conversations/{conversation}/messages/{}/reactions/{}",
            message["id"],
            encoded(emoji)
        );
        self.call(user, method, &path, None).await
    }
}

fn reaction(
    conversation: i64,
    message: &Value,
    user: &TestUser,
    emoji: &str,
    added: bool,
) -> Value {
    json!({
        "type": "reaction", "conversation_id": conversation, "message_id": message["id"],
        "user_id": user.id, "emoji": emoji, "added": added,
    })
}

/// A `reaction` frame without its `seq`, which each test cannot know.
async fn next_reaction(ws: &mut Ws) -> Value {
    let mut frame = ws.expect("reaction").await;
    assert!(frame["seq"].as_i64().is_some_and(|seq| seq > 0), "{frame}");
    frame.as_object_mut().unwrap().remove("seq");
    frame
}

/// Alice (admin), Bob and Carol in a room, each with a socket, and a
/// message of Alice's in it.
struct Room {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    carol: TestUser,
    room: i64,
    message: Value,
    sockets: [Ws; 3],
}

async fn room() -> Room {
    let app = spawn_app().await;
    let (alice, bob, carol) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
    );
    let room = app.create(&alice, "room", "Lunch", &[&bob, &carol]).await;
    let mut a = app.ws_online(&alice).await;
    let mut b = app.ws_subscribed(&bob).await;
    let mut c = app.ws_subscribed(&carol).await;
    let message = a.say(room, "Friday?").await;
    b.expect_message().await;
    c.expect_message().await;
    Room {
        app,
        alice,
        bob,
        carol,
        room,
        message,
        sockets: [a, b, c],
    }
}

#[tokio::test]
async fn a_reaction_reaches_every_member_live_and_shows_on_the_message() {
    let Room {
        app,
        alice,
        bob,
        carol,
        room,
        message,
        mut sockets,
    } = room().await;

    let (added, by_bob) = app.react(&bob, Method::PUT, room, &message, "👍🏽").await;
    let mut heard = Vec::new();
    for ws in &mut sockets {
        heard.push(next_reaction(ws).await);
    }
    sockets[0]
        .send_json(&json!({ "type": "react", "message_id": message["id"], "emoji": "🎉" }))
        .await;
    let mut by_frame = Vec::new();
    for ws in &mut sockets {
        by_frame.push(next_reaction(ws).await);
    }
    let shown = app.message_in(&carol, room, &message["id"]).await;
    let (taken_back, after) = app.react(&bob, Method::DELETE, room, &message, "👍🏽").await;
    let mut heard_back = Vec::new();
    for ws in &mut sockets {
        heard_back.push(next_reaction(ws).await);
    }

    assert_eq!(added, StatusCode::OK);
    assert_eq!(
        by_bob,
        json!({ "reactions": [{ "emoji": "👍🏽", "user_ids": [bob.id] }] }),
        "skin tones are emoji"
    );
    let bobs = reaction(room, &message, &bob, "👍🏽", true);
    assert_eq!(heard, vec![bobs.clone(), bobs.clone(), bobs]);
    let alices = reaction(room, &message, &alice, "🎉", true);
    assert_eq!(by_frame, vec![alices.clone(), alices.clone(), alices]);
    assert_eq!(
        shown["reactions"],
        json!([
            { "emoji": "👍🏽", "user_ids": [bob.id] },
            { "emoji": "🎉", "user_ids": [alice.id] },
        ])
    );
    assert_eq!(taken_back, StatusCode::OK);
    assert_eq!(
        after,
        json!({ "reactions": [{ "emoji": "🎉", "user_ids": [alice.id] }] })
    );
    let back = reaction(room, &message, &bob, "👍🏽", false);
    assert_eq!(heard_back, vec![back.clone(), back.clone(), back]);
}

#[tokio::test]
async fn adding_a_reaction_twice_or_taking_back_one_not_there_changes_and_sends_nothing() {
    let Room {
        app,
        bob,
        room,
        message,
        mut sockets,
        ..
    } = room().await;
    let (_, first) = app.react(&bob, Method::PUT, room, &message, "👍").await;
    next_reaction(&mut sockets[0]).await;
    next_reaction(&mut sockets[1]).await;

    let (again, twice) = app.react(&bob, Method::PUT, room, &message, "👍").await;
    sockets[1]
        .send_json(&json!({ "type": "react", "message_id": message["id"], "emoji": "👍" }))
        .await;
    let (absent, not_there) = app.react(&bob, Method::DELETE, room, &message, "🎉").await;
    sockets[1]
        .send_json(&json!({ "type": "unreact", "message_id": message["id"], "emoji": "🎉" }))
        .await;
    // The frames are handled in order: once the marker is back, they were.
    let marker = sockets[1].say(room, "marker").await;

    assert_eq!(again, StatusCode::OK);
    assert_eq!(twice, first);
    assert_eq!(absent, StatusCode::OK);
    assert_eq!(not_there, first);
    let next = sockets[0].expect_message().await;
    assert_eq!(next["id"], marker["id"], "no reaction frame came first");
    assert_eq!(
        app.message_in(&bob, room, &message["id"]).await["reactions"],
        first["reactions"]
    );
}

#[tokio::test]
async fn reactions_are_backfilled_on_the_socket_and_over_events() {
    let Room {
        app,
        alice,
        bob,
        room,
        message,
        sockets,
        ..
    } = room().await;
    let [_, b, _] = sockets;
    b.close_and_wait().await;
    let (_, synced) = app.call(&bob, Method::GET, "/events?after=0", None).await;
    let cursor = synced["seq"].as_i64().unwrap();

    app.react(&alice, Method::PUT, room, &message, "🎉").await;
    app.react(&alice, Method::DELETE, room, &message, "🎉")
        .await;
    let mut b = app
        .ws_at(&format!("/ws?token={}&after={cursor}", bob.token), None)
        .await
        .unwrap();
    let added = next_reaction(&mut b).await;
    let taken_back = next_reaction(&mut b).await;
    b.expect("synced").await;
    let (_, events) = app
        .call(&bob, Method::GET, &format!("/events?after={cursor}"), None)
        .await;

    assert_eq!(added, reaction(room, &message, &alice, "🎉", true));
    assert_eq!(taken_back, reaction(room, &message, &alice, "🎉", false));
    let over_http: Vec<Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            let mut event = event.clone();
            event.as_object_mut().unwrap().remove("seq");
            event
        })
        .collect();
    assert_eq!(over_http, vec![added, taken_back]);
}

#[tokio::test]
async fn a_message_takes_twenty_different_emoji_and_no_more() {
    let Room {
        app,
        alice,
        bob,
        room,
        message,
        ..
    } = room().await;
    let twenty = [
        "😀", "😂", "😍", "😎", "😢", "😡", "👍", "👎", "👏", "🙏", "🎉", "🔥", "💯", "✅", "❌",
        "🚀", "👀", "🤔", "🍕", "☕",
    ];
    for emoji in twenty {
        let (status, answer) = app.react(&bob, Method::PUT, room, &message, emoji).await;
        assert_eq!(status, StatusCode::OK, "{emoji}: {answer}");
    }

    let (refused, detail) = app.react(&bob, Method::PUT, room, &message, "🍩").await;
    let (existing, answer) = app.react(&alice, Method::PUT, room, &message, "🍕").await;

    assert_eq!(refused, StatusCode::CONFLICT);
    assert_eq!(
        detail["detail"],
        "This message has too many different reactions"
    );
    assert_eq!(
        existing,
        StatusCode::OK,
        "one already there may be added to"
    );
    let reactions = answer["reactions"].as_array().unwrap();
    assert_eq!(reactions.len(), 20);
    assert_eq!(reactions[18]["user_ids"], json!([bob.id, alice.id]));
}

#[tokio::test]
async fn only_an_emoji_is_a_reaction_and_nothing_else_is_stored() {
    let Room {
        app,
        bob,
        room,
        message,
        mut sockets,
        ..
    } = room().await;

    let mut answers = Vec::new();
    for text in ["a", ":+1:", "👍👍", "👍 ", "<b>"] {
        answers.push(app.react(&bob, Method::PUT, room, &message, text).await);
    }
    let by_frame = sockets[1]
        .refused(
            json!({ "type": "react", "message_id": message["id"], "emoji": "yes" }),
            "r",
        )
        .await;

    for (status, answer) in answers {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["detail"], "Not an emoji");
    }
    assert_eq!(by_frame["detail"], "Not an emoji");
    let shown = app.message_in(&bob, room, &message["id"]).await;
    assert!(shown.get("reactions").is_none(), "{shown}");
}

#[tokio::test]
async fn notices_and_deleted_messages_cannot_be_reacted_to() {
    let Room {
        app,
        alice,
        bob,
        room,
        message,
        ..
    } = room().await;
    let notice = app.page(&bob, room, "").await[0].clone();
    assert!(notice["notice"].is_object(), "{notice}");
    app.react(&bob, Method::PUT, room, &message, "👍").await;
    app.delete_message_as(&alice, room, message["id"].as_i64().unwrap())
        .await;

    let (on_notice, notice_detail) = app.react(&bob, Method::PUT, room, &notice, "👍").await;
    let (on_deleted, _) = app.react(&bob, Method::PUT, room, &message, "🎉").await;
    let (back_from_deleted, _) = app.react(&bob, Method::DELETE, room, &message, "👍").await;

    assert_eq!(on_notice, StatusCode::CONFLICT);
    assert_eq!(
        notice_detail["detail"],
        "Notices and deleted messages cannot be reacted to"
    );
    assert_eq!(on_deleted, StatusCode::CONFLICT);
    assert_eq!(back_from_deleted, StatusCode::CONFLICT);
    let tombstone = app.message_in(&bob, room, &message["id"]).await;
    assert!(
        tombstone.get("reactions").is_none(),
        "a deleted message keeps none: {tombstone}"
    );
}

#[tokio::test]
async fn outsiders_cannot_react_and_their_reactions_are_not_stored() {
    let Room {
        app,
        alice,
        bob,
        room,
        message,
        mut sockets,
        ..
    } = room().await;
    let eve = app.user("eve").await;
    for ws in &mut sockets {
        let joined = ws.expect_message().await;
        assert_eq!(joined["notice"]["action"], "joined", "eve joins General");
    }
    let group = app.create(&alice, "group", "Inner", &[&bob]).await;
    sockets[0].expect_message().await; // the group's notice
    let in_group = sockets[0].say(group, "members only").await;
    sockets[1].expect_message().await;
    sockets[1].expect_message().await;

    let (in_room, room_detail) = app.react(&eve, Method::PUT, room, &message, "👍").await;
    let (in_a_group, _) = app.react(&eve, Method::PUT, group, &in_group, "👍").await;
    let (via_other, _) = app.react(&bob, Method::PUT, group, &message, "👍").await;
    let mut e = app.ws_subscribed(&eve).await;
    let frame = e
        .refused(
            json!({ "type": "react", "message_id": message["id"], "emoji": "👍" }),
            "e",
        )
        .await;
    let marker = sockets[1].say(room, "marker").await;

    assert_eq!(in_room, StatusCode::FORBIDDEN);
    assert_eq!(
        room_detail["detail"],
        "You are not a member of this conversation"
    );
    assert_eq!(
        in_a_group,
        StatusCode::NOT_FOUND,
        "a group is not there for her"
    );
    assert_eq!(
        via_other,
        StatusCode::NOT_FOUND,
        "not a message of that group"
    );
    assert_eq!(frame["detail"], "You are not a member of this conversation");
    let next = sockets[0].expect_message().await;
    assert_eq!(next["id"], marker["id"], "no reaction reached the members");
    let shown = app.message_in(&alice, room, &message["id"]).await;
    assert!(shown.get("reactions").is_none(), "{shown}");
}
