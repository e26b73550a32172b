//! Notification settings: do not disturb and sound beside read receipts in
//! `/settings`, a level per conversation, and the frames that carry both to
//! the owner's other devices and to nobody else (docs/protocol.md).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, Ws, spawn_app};

impl TestApp {
    async fn put_settings(&self, user: &TestUser, body: Value) -> (StatusCode, Value) {
        self.call(user, Method::PUT, "/settings", Some(body)).await
    }

    async fn settings_of(&self, user: &TestUser) -> Value {
        let (status, body) = self.call(user, Method::GET, "/settings", None).await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    async fn set_notify(
        &self,
        user: &TestUser,
        conversation: i64,
        body: Value,
    ) -> (StatusCode, Value) {
        let path = format!("/conversations/{conversation}/notifications");
        self.call(user, Method::PUT, &path, Some(body)).await
    }

    /// `user`'s level for `conversation`, as its summary shows it.
    async fn notify_level(&self, user: &TestUser, conversation: i64) -> Value {
        let (status, shown) = self
            .call(
                user,
                Method::GET,
                &format!("/conversations/{conversation}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{shown}");
        shown["notify"].clone()
    }
}

impl Ws {
    /// The next frame that is not presence or a delivery.
    async fn expect_any(&mut self) -> Value {
        loop {
            let frame = self.next_json().await;
            if frame["type"] != "presence" && frame["type"] != "delivered" {
                return frame;
            }
        }
    }
}

const DEFAULTS: fn() -> Value =
    || json!({ "read_receipts": true, "dnd_until": null, "sound": false });

#[tokio::test]
async fn a_new_account_shares_read_receipts_and_is_neither_on_do_not_disturb_nor_loud() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    assert_eq!(app.settings_of(&alice).await, DEFAULTS());
}

#[tokio::test]
async fn a_put_changes_only_the_settings_it_names_and_answers_all_of_them() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let (loud, sound) = app.put_settings(&alice, json!({ "sound": true })).await;
    let (quiet, dnd) = app
        .put_settings(&alice, json!({ "dnd_until": "2031-05-01T10:00:00+02:00" }))
        .await;
    // What a client of read receipts alone sends, as before.
    let (private, receipts) = app
        .put_settings(&alice, json!({ "read_receipts": false }))
        .await;
    let (_, empty) = app.put_settings(&alice, json!({})).await;
    let (awake, off) = app.put_settings(&alice, json!({ "dnd_until": null })).await;

    assert_eq!(
        (loud, quiet, private, awake),
        (
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK
        )
    );
    assert_eq!(
        sound,
        json!({ "read_receipts": true, "dnd_until": null, "sound": true })
    );
    assert_eq!(
        dnd,
        json!({ "read_receipts": true, "dnd_until": "2031-05-01T08:00:00.000000Z", "sound": true }),
        "kept in UTC, as every timestamp"
    );
    assert_eq!(
        receipts,
        json!({ "read_receipts": false, "dnd_until": "2031-05-01T08:00:00.000000Z", "sound": true })
    );
    assert_eq!(empty, receipts, "nothing named, nothing changed");
    assert_eq!(
        off,
        json!({ "read_receipts": false, "dnd_until": null, "sound": true })
    );
    assert_eq!(app.settings_of(&alice).await, off);
}

#[tokio::test]
async fn a_dnd_until_that_is_not_a_time_is_refused_with_422_and_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let mut a = app.ws_online(&alice).await;

    for bad in [
        json!({ "dnd_until": "tomorrow", "sound": true }),
        json!({ "dnd_until": "2031-13-01T10:00:00Z" }),
        json!({ "dnd_until": 1_900_000_000 }),
        json!({ "sound": "yes" }),
        json!({ "read_receipts": null }),
        json!({ "sound": null }),
    ] {
        let (status, body) = app.put_settings(&alice, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
    }
    let (_, body) = app
        .put_settings(&alice, json!({ "dnd_until": "soon" }))
        .await;
    assert_eq!(
        body["detail"],
        "dnd_until must be a time such as 2026-12-02T08:00:00Z, or null"
    );

    assert_eq!(app.settings_of(&alice).await, DEFAULTS());
    // No frame for the refusals: the first is that of a good change.
    app.put_settings(&alice, json!({ "sound": true })).await;
    assert_eq!(
        a.expect_any().await,
        json!({ "type": "settings", "read_receipts": true, "dnd_until": null, "sound": true })
    );
}

#[tokio::test]
async fn a_settings_change_reaches_every_device_of_its_owner_and_nobody_else() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut phone = app.ws_online(&alice).await;
    let mut laptop = app.ws_subscribed(&alice).await;
    let mut b = app.ws_online(&bob).await;

    let (_, saved) = app
        .put_settings(&alice, json!({ "dnd_until": "2031-05-01T08:00:00Z" }))
        .await;
    // Bob's own change: the frame that proves alice's never reached him.
    app.put_settings(&bob, json!({ "sound": true })).await;

    let mut expected = saved.clone();
    expected["type"] = json!("settings");
    assert_eq!(phone.expect_any().await, expected);
    assert_eq!(laptop.expect_any().await, expected);
    assert_eq!(
        b.expect_any().await,
        json!({ "type": "settings", "read_receipts": true, "dnd_until": null, "sound": true }),
        "bob hears only his own settings"
    );
}

#[tokio::test]
async fn each_member_sees_their_own_level_in_the_conversation_list_and_detail() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create(&alice, "room", "Design", &[&bob]).await;

    let before = app.notify_level(&bob, room).await;
    let (status, answer) = app
        .set_notify(&bob, room, json!({ "notify": "mentions" }))
        .await;

    assert_eq!(before, "all", "every message notifies at first");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        json!({ "conversation_id": room, "notify": "mentions" })
    );
    assert_eq!(app.notify_level(&bob, room).await, "mentions");
    assert_eq!(
        app.notify_level(&alice, room).await,
        "all",
        "alice's is hers"
    );
    let (_, listed) = app.call(&bob, Method::GET, "/conversations", None).await;
    let levels: Vec<(Value, Value)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["title"].clone(), c["notify"].clone()))
        .collect();
    assert!(
        levels.contains(&(json!("Design"), json!("mentions"))),
        "{levels:?}"
    );
    assert!(
        levels.contains(&(json!("General"), json!("all"))),
        "{levels:?}"
    );

    let (status, answer) = app
        .set_notify(&bob, room, json!({ "notify": "muted" }))
        .await;
    assert_eq!(
        (status, answer["notify"].clone()),
        (StatusCode::OK, json!("muted"))
    );
    assert_eq!(app.notify_level(&bob, room).await, "muted");
}

#[tokio::test]
async fn a_level_reaches_every_device_of_the_member_who_chose_it_and_nobody_else() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create(&alice, "room", "Design", &[&bob]).await;
    let mut a = app.ws_online(&alice).await;
    let mut phone = app.ws_online(&bob).await;
    let mut laptop = app.ws_subscribed(&bob).await;

    app.set_notify(&bob, room, json!({ "notify": "muted" }))
        .await;
    // Alice's own choice: the frame that proves bob's never reached her.
    app.set_notify(&alice, room, json!({ "notify": "mentions" }))
        .await;

    let muted = json!({ "type": "notify_changed", "conversation_id": room, "notify": "muted" });
    assert_eq!(phone.expect_any().await, muted);
    assert_eq!(laptop.expect_any().await, muted);
    assert_eq!(
        a.expect_any().await,
        json!({ "type": "notify_changed", "conversation_id": room, "notify": "mentions" }),
        "alice hears only her own choice"
    );
}

#[tokio::test]
async fn only_members_may_choose_how_a_conversation_notifies_them() {
    let app = spawn_app().await;
    let (alice, bob, carol, dave) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("carol").await,
        app.user("dave").await,
    );
    let room = app
        .create(&alice, "room", "Open room", &[&bob, &carol])
        .await;
    let group = app.create(&alice, "group", "Inner circle", &[&bob]).await;
    let mut a = app.ws_online(&alice).await;
    let direct = a.send_and_confirm(bob.id, "hi").await["conversation_id"]
        .as_i64()
        .unwrap();
    app.call(
        &alice,
        Method::DELETE,
        &format!("/conversations/{room}/members/{}", carol.id),
        None,
    )
    .await;
    let mut c = app.ws_online(&carol).await;
    let mut d = app.ws_subscribed(&dave).await;

    let refusals = [
        (&carol, room, StatusCode::FORBIDDEN, "removed from the room"),
        (&dave, room, StatusCode::FORBIDDEN, "never in the room"),
        (
            &dave,
            group,
            StatusCode::NOT_FOUND,
            "a private group is not there for him",
        ),
        (
            &carol,
            direct,
            StatusCode::FORBIDDEN,
            "someone else's direct conversation",
        ),
        (
            &dave,
            group + 1000,
            StatusCode::NOT_FOUND,
            "no such conversation",
        ),
    ];
    for (who, conversation, expected, why) in refusals {
        let (status, body) = app
            .set_notify(who, conversation, json!({ "notify": "muted" }))
            .await;
        assert_eq!(status, expected, "{why}: {body}");
        assert!(body["detail"].is_string(), "{body}");
    }

    for conversation in [room, group, direct] {
        assert_eq!(app.notify_level(&alice, conversation).await, "all");
        assert_eq!(app.notify_level(&bob, conversation).await, "all");
    }
    // No frame for a refusal: their next is that of their own settings.
    for (user, socket) in [(&carol, &mut c), (&dave, &mut d)] {
        app.put_settings(user, json!({ "sound": true })).await;
        assert_eq!(
            socket.expect_any().await["type"],
            "settings",
            "{}",
            user.name
        );
    }
    // A direct conversation is the member's to quieten like any other.
    let (status, _) = app
        .set_notify(&bob, direct, json!({ "notify": "mentions" }))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_level_that_is_not_one_of_the_three_is_refused_with_422() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create(&alice, "room", "Design", &[]).await;

    for bad in [
        json!({ "notify": "loud" }),
        json!({ "notify": "MUTED" }),
        json!({ "notify": null }),
        json!({}),
    ] {
        let (status, body) = app.set_notify(&alice, room, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body["detail"].is_string(), "{body}");
    }
    let (status, _) = app
        .call(
            &alice,
            Method::PUT,
            "/conversations/general/notifications",
            Some(json!({ "notify": "muted" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not an id");

    assert_eq!(app.notify_level(&alice, room).await, "all");
}

#[tokio::test]
async fn settings_and_levels_need_a_session() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create(&alice, "room", "Design", &[]).await;

    let anonymous = [
        app.client.get(app.url("/settings")),
        app.client
            .put(app.url("/settings"))
            .json(&json!({ "sound": true })),
        app.client
            .put(app.url(&format!("/conversations/{room}/notifications")))
            .json(&json!({ "notify": "muted" })),
    ];
    for request in anonymous {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    assert_eq!(app.settings_of(&alice).await, DEFAULTS());
    assert_eq!(app.notify_level(&alice, room).await, "all");
}

#[tokio::test]
async fn settings_and_levels_survive_a_restart() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let room = app.create(&alice, "room", "Design", &[&bob]).await;
    app.put_settings(
        &bob,
        json!({ "dnd_until": "2031-05-01T08:00:00Z", "sound": true }),
    )
    .await;
    app.set_notify(&bob, room, json!({ "notify": "mentions" }))
        .await;

    let app = app.restart().await;

    assert_eq!(
        app.settings_of(&bob).await,
        json!({ "read_receipts": true, "dnd_until": "2031-05-01T08:00:00.000000Z", "sound": true })
    );
    assert_eq!(app.notify_level(&bob, room).await, "mentions");
}
