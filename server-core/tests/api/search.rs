//! `GET /search`: ranked, highlighted, filtered full-text search over what
//! the caller may read, and nothing else (docs/protocol.md, "Search").

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, Ws, detail, encoded, spawn_app};

impl TestApp {
    /// `GET /search?{query}` as `user`: the status and the body.
    async fn search(&self, user: &TestUser, query: &str) -> (StatusCode, Value) {
        self.call(user, Method::GET, &format!("/search?{query}"), None)
            .await
    }

    /// The ids `user` finds with `query`, best first.
    async fn found(&self, user: &TestUser, query: &str) -> Vec<i64> {
        let (status, body) = self.search(user, query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|result| result["message"]["id"].as_i64().expect("an id"))
            .collect()
    }
}

fn q(text: &str) -> String {
    format!("q={}", encoded(text))
}

async fn say(ws: &mut Ws, conversation: i64, content: &str) -> i64 {
    ws.say(conversation, content).await["id"]
        .as_i64()
        .expect("an id")
}

const NOTHING: [i64; 0] = [];

#[tokio::test]
async fn you_must_be_logged_in_to_search() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(app.url("/search?q=anything"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_best_match_comes_first_with_the_words_found_marked() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create(&alice, "room", "Finance", &[]).await;
    let mut a = app.ws_online(&alice).await;
    let once = say(&mut a, room, "Is the budget ready?").await;
    let often = say(&mut a, room, "Budget, budget: the budget is over budget").await;
    say(&mut a, room, "Lunch at noon").await;

    let (status, body) = app
        .search(&alice, &format!("{}&token={}", q("budget"), alice.token))
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{body}");
    assert_eq!(results[0]["message"]["id"], often, "more occurrences first");
    assert_eq!(results[1]["message"]["id"], once);
    assert_eq!(results[1]["conversation_id"], room);
    assert_eq!(results[1]["message"]["content"], "Is the budget ready?");
    assert_eq!(results[1]["message"]["conversation_id"], room);
    assert_eq!(
        results[1]["snippet"],
        json!([
            { "text": "Is the ", "hit": false },
            { "text": "budget", "hit": true },
            { "text": " ready?", "hit": false },
        ])
    );
    assert_eq!(body["more"], false);
}

#[tokio::test]
async fn results_come_while_the_last_word_is_being_typed() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create(&alice, "room", "Team", &[]).await;
    let mut a = app.ws_online(&alice).await;
    let meeting = say(&mut a, room, "The weekly meeting moved to Friday").await;
    let cafe = say(&mut a, room, "Lunch at Café Müller?").await;

    for typed in ["me", "meet", "meeti", "meeting", "weekly mee", "Friday wee"] {
        assert_eq!(app.found(&alice, &q(typed)).await, [meeting], "{typed}");
    }
    assert_eq!(app.found(&alice, &q("cafe mul")).await, [cafe]);
    assert_eq!(
        app.found(&alice, &q("meet friday")).await,
        NOTHING,
        "only the last word is taken as a beginning"
    );
}

#[tokio::test]
async fn each_filter_narrows_the_results() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let group = app.create(&alice, "group", "Launch", &[&bob]).await;
    let room = app.create(&alice, "room", "Everyone", &[&bob]).await;
    let mut a = app.ws_online(&alice).await;
    let in_group = say(&mut a, group, "launch checklist").await;
    let in_room = say(&mut a, room, "launch retrospective").await;
    // Opened now, Bob's socket hears nothing before his own echo.
    let mut b = app.ws_online(&bob).await;
    let by_bob = b.say(room, "launch party").await;
    let by_bob_id = by_bob["id"].as_i64().unwrap();
    let file = app.send_file(&bob, room, "launch-plan.txt").await["id"]
        .as_i64()
        .expect("the file message's id");
    let all = q("launch");
    let mut every = app.found(&alice, &all).await;
    every.sort_unstable();
    assert_eq!(every, [in_group, in_room, by_bob_id, file]);
    let sorted = |mut ids: Vec<i64>| {
        ids.sort_unstable();
        ids
    };
    let since = encoded(by_bob["timestamp"].as_str().unwrap());

    let narrowed = [
        (format!("{all}&conversation_id={group}"), vec![in_group]),
        (format!("{all}&sender_id={}", bob.id), vec![by_bob_id, file]),
        (format!("{all}&has_file=true"), vec![file]),
        (
            format!("{all}&has_file=false"),
            vec![in_group, in_room, by_bob_id],
        ),
        (format!("{all}&after={since}"), vec![by_bob_id, file]),
        (format!("{all}&before={since}"), vec![in_group, in_room]),
        (format!("{all}&after={since}&before={since}"), Vec::new()),
        (
            format!(
                "{all}&conversation_id={room}&sender_id={}&has_file=true",
                bob.id
            ),
            vec![file],
        ),
        (format!("{all}&before=2000-01-01"), Vec::new()),
        (
            format!("{all}&after=0000-01-01&before=0000-01-01"),
            Vec::new(),
        ),
        (
            format!("{all}&after=0000-01-01&before=9999-12-31"),
            every.clone(),
        ),
        (
            format!("{all}&after=2000-01-01&before=2999-12-31"),
            every.clone(),
        ),
    ];

    for (query, expected) in narrowed {
        assert_eq!(sorted(app.found(&alice, &query).await), expected, "{query}");
    }
}

#[tokio::test]
async fn an_edited_message_is_found_by_its_new_words_only() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create(&alice, "room", "Team", &[]).await;
    let mut a = app.ws_online(&alice).await;
    let id = say(&mut a, room, "see you on Tuesdy").await;
    assert_eq!(app.found(&alice, &q("tuesdy")).await, [id]);

    a.send_json(
        &json!({ "type": "edit_message", "message_id": id, "new_content": "see you on Tuesday" }),
    )
    .await;
    a.expect("message_edited").await;

    assert_eq!(app.found(&alice, &q("tuesdy")).await, NOTHING);
    let (_, body) = app.search(&alice, &q("tuesday")).await;
    assert_eq!(body["results"][0]["message"]["id"], id);
    assert_eq!(body["results"][0]["message"]["is_edited"], 1);
    assert_eq!(body["results"][0]["snippet"][1]["text"], "Tuesday");
}

#[tokio::test]
async fn a_deleted_message_or_file_is_not_found_any_more() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create(&alice, "room", "Team", &[]).await;
    let mut a = app.ws_online(&alice).await;
    let text = say(&mut a, room, "the door code is 4711").await;
    let file = app.send_file(&alice, room, "door-codes.txt").await["id"]
        .as_i64()
        .expect("the file message's id");
    a.expect_message().await;
    assert_eq!(app.found(&alice, &q("door")).await, [file, text]);

    for id in [text, file] {
        let (status, _) = app.delete_message_as(&alice, room, id).await;
        assert_eq!(status, StatusCode::OK);
    }

    assert_eq!(app.found(&alice, &q("door")).await, NOTHING);
    assert_eq!(app.found(&alice, &q("4711")).await, NOTHING);
}

#[tokio::test]
async fn nobody_finds_what_is_said_in_a_conversation_they_are_not_in() {
    let app = spawn_app().await;
    let (alice, bob, eve) = (
        app.user("alice").await,
        app.user("bob").await,
        app.user("eve").await,
    );
    let room = app.create(&alice, "room", "Open", &[&bob]).await;
    let group = app.create(&alice, "group", "Closed", &[&bob]).await;
    let mut a = app.ws_online(&alice).await;
    let direct = a.send_and_confirm(bob.id, "secret handshake").await["conversation_id"]
        .as_i64()
        .unwrap();
    say(&mut a, room, "secret handshake").await;
    say(&mut a, group, "secret handshake").await;
    assert_eq!(app.found(&bob, &q("secret")).await.len(), 3);

    assert_eq!(app.found(&eve, &q("secret handshake")).await, NOTHING);
    for conversation in [room, group, direct] {
        let query = format!("{}&conversation_id={conversation}", q("secret"));
        assert_eq!(app.found(&eve, &query).await, NOTHING, "{conversation}");
    }
}

#[tokio::test]
async fn a_removed_member_finds_what_came_before_and_nothing_after() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let group = app.create(&alice, "group", "Project", &[&bob]).await;
    let mut a = app.ws_online(&alice).await;
    let before = say(&mut a, group, "roadmap draft one").await;

    let (status, _) = app
        .call(
            &alice,
            Method::DELETE,
            &format!("/conversations/{group}/members/{}", bob.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    a.expect_message().await;
    let after = say(&mut a, group, "roadmap draft two").await;

    assert_eq!(app.found(&bob, &q("roadmap")).await, [before]);
    assert_eq!(app.found(&alice, &q("roadmap")).await, [after, before]);
    let query = format!("{}&conversation_id={group}", q("draft"));
    assert_eq!(app.found(&bob, &query).await, [before]);
}

#[tokio::test]
async fn messages_from_before_one_joined_are_not_found() {
    let app = spawn_app().await;
    let (alice, carol) = (app.user("alice").await, app.user("carol").await);
    let room = app.create(&alice, "room", "Lobby", &[]).await;
    let mut a = app.ws_online(&alice).await;
    say(&mut a, room, "welcome aboard everyone").await;

    let (status, _) = app
        .call(
            &carol,
            Method::POST,
            &format!("/conversations/{room}/join"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    a.expect_message().await;
    let later = say(&mut a, room, "welcome aboard carol").await;

    assert_eq!(app.found(&carol, &q("welcome")).await, [later]);
}

#[tokio::test]
async fn search_syntax_typed_by_a_person_is_text_and_never_fails() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create(&alice, "room", "Syntax", &[]).await;
    let mut a = app.ws_online(&alice).await;
    let tricky = say(
        &mut a,
        room,
        r#"NEAR(x y) AND -minus OR star* "quoted" (parens) col:on 東京"#,
    )
    .await;

    for typed in [
        "\"",
        "\"\"",
        "*",
        "(",
        ")",
        "-",
        "^",
        ":",
        "{}",
        "NEAR",
        "NEAR(a b, 2)",
        "AND",
        "OR",
        "NOT",
        "a OR b",
        "NOT x",
        "x AND",
        "\"unclosed",
        "col:on",
        "{content}: x",
        "x\"y",
        "'",
        "'; DROP TABLE messages; --",
        "\u{0}",
        "\u{FDD0}",
        "🎉",
        "%",
        "\\",
        "東京",
        "-minus",
    ] {
        let (status, body) = app.search(&alice, &q(typed)).await;
        assert_eq!(status, StatusCode::OK, "{typed:?}: {body}");
    }
    for typed in [
        "AND",
        "near",
        "\"quoted\"",
        "star*",
        "(parens)",
        "col:on",
        "-minus",
        "東京",
    ] {
        assert_eq!(app.found(&alice, &q(typed)).await, [tricky], "{typed}");
    }
    for typed in ["*", "\"", "(", "🎉"] {
        assert_eq!(app.found(&alice, &q(typed)).await, NOTHING, "{typed}");
    }
}

#[tokio::test]
async fn bad_search_parameters_are_refused_and_say_why() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let long = "x".repeat(201);

    for (query, says) in [
        ("", "q"),
        ("q=", "Type something"),
        ("q=%20%20", "Type something"),
        (&*format!("q={long}"), "at most 200"),
        ("q=x&after=yesterday", "`after`"),
        ("q=x&before=2026-13-01", "`before`"),
        ("q=x&conversation_id=general", "conversation_id"),
        ("q=x&sender_id=1.5", "sender_id"),
        ("q=x&has_file=maybe", "has_file"),
        ("q=x&limit=-1", "limit"),
        ("q=x&offset=many", "offset"),
    ] {
        let response = app.get_as(&alice, &format!("/search?{query}")).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        let detail = detail(response).await;
        assert!(detail.contains(says), "{query}: {detail}");
    }
}

#[tokio::test]
async fn results_come_in_pages_of_at_most_fifty() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create(&alice, "room", "Pages", &[]).await;
    let mut a = app.ws_online(&alice).await;
    for n in 0..52 {
        say(&mut a, room, &format!("page {n}")).await;
    }

    let (_, default) = app.search(&alice, &q("page")).await;
    let (_, most) = app
        .search(&alice, &format!("{}&limit=500", q("page")))
        .await;
    let (_, rest) = app
        .search(&alice, &format!("{}&limit=50&offset=50", q("page")))
        .await;

    assert_eq!(default["results"].as_array().unwrap().len(), 20);
    assert_eq!(default["more"], true);
    assert_eq!(most["results"].as_array().unwrap().len(), 50);
    assert_eq!(most["more"], true);
    assert_eq!(rest["results"].as_array().unwrap().len(), 2);
    assert_eq!(rest["more"], false);
    let first = &most["results"][0]["message"]["content"];
    assert_eq!(first, "page 51", "the newest first among equals");
}

#[tokio::test]
async fn a_result_shows_the_message_with_its_reply_and_reactions() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let room = app.create(&alice, "room", "Finance", &[]).await;
    let mut a = app.ws_online(&alice).await;
    let question = say(&mut a, room, "Is the budget ready?").await;
    a.send_json(&json!({
        "type": "send_message", "conversation_id": room,
        "content": "The budget is ready", "reply_to": question,
    }))
    .await;
    let answer = a.expect("message").await["id"].as_i64().unwrap();
    let reacted = app
        .call(
            &alice,
            reqwest::Method::PUT,
            &format!(
                "/conversations/{room}/messages/{answer}/reactions/{}",
                encoded("👍")
            ),
            None,
        )
        .await;
    assert_eq!(reacted.0, StatusCode::OK, "{}", reacted.1);

    let (status, body) = app.search(&alice, &q("ready")).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let shown = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["message"]["id"] == answer)
        .expect("the answer is found");
    assert_eq!(shown["message"]["reply_to"]["message_id"], question);
    assert_eq!(
        shown["message"]["reactions"],
        json!([{ "emoji": "👍", "user_ids": [alice.id] }])
    );
}
