//! Cursors over history and the event log (docs/protocol.md). For any
//! `before`, `after` and `limit`, nonsense included, the answer is 200
//! with exactly the page the protocol describes, or a 422; and walking
//! the pages either way, at any size, visits everything exactly once.

use std::str::FromStr;

use proptest::{prelude::*, sample::Index};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::check;
use crate::helpers::{TestApp, TestUser, spawn_app};

/// Messages in the conversation: more than a default page.
const MESSAGES: usize = 60;
/// Pages when the client names no size, and the most it may ask for.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 1000;
/// Events in one answer when the client names no size, and at most.
const MAX_EVENTS: u32 = 5000;

/// One conversation between alice and bob, some of it deleted, and
/// alice's event log.
struct Fixture {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    conversation: i64,
    /// Every message, oldest first.
    messages: Vec<i64>,
    deleted: Vec<i64>,
    /// The `seq` of every event alice may see, in order.
    seqs: Vec<i64>,
    /// Where the log stands.
    head: i64,
}

async fn conversation_with_history() -> Fixture {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut ws = app.ws_online(&alice).await;
    let (mut conversation, mut messages) = (0, Vec::new());
    for n in 0..MESSAGES {
        let echo = ws.send_and_confirm(bob.id, &format!("m{n}")).await;
        conversation = echo["conversation_id"].as_i64().expect("conversation_id");
        messages.push(echo["id"].as_i64().expect("id"));
    }
    let deleted: Vec<i64> = messages.iter().copied().step_by(9).collect();
    for &message in &deleted {
        let (status, body) = app.delete_message_as(&alice, conversation, message).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    ws.close_and_wait().await;
    let mut synced = app
        .ws_at(&format!("/ws?token={}&sync=1", alice.token), None)
        .await
        .expect("websocket opens");
    let head = synced.expect("synced").await["seq"].as_i64().expect("seq");
    synced.close_and_wait().await;
    let (status, log) = app.call(&alice, Method::GET, "/events?after=0", None).await;
    assert_eq!(
        (status, &log["complete"]),
        (StatusCode::OK, &Value::Bool(true))
    );
    let events = log["events"].as_array().expect("events");
    let posted: Vec<i64> = events
        .iter()
        .filter(|event| event["type"] == "private_message")
        .map(|event| event["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(posted, messages, "the log holds every message, in order");
    let seqs = events.iter().map(seq).collect();
    Fixture {
        app,
        alice,
        bob,
        conversation,
        messages,
        deleted,
        seqs,
        head,
    }
}

fn seq(event: &Value) -> i64 {
    event["seq"].as_i64().expect("seq")
}

fn ids(page: &Value) -> Vec<i64> {
    page.as_array()
        .expect("a list")
        .iter()
        .map(|message| message["id"].as_i64().expect("id"))
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum Route {
    /// `GET /conversations/{id}/messages`: deleted messages too.
    Conversation,
    /// `GET /messages/{receiver_id}`: never deleted ones; everything when
    /// no `limit` is named.
    Contract,
}

impl Route {
    fn path(self, fixture: &Fixture) -> String {
        match self {
            Self::Conversation => format!("/conversations/{}/messages", fixture.conversation),
            Self::Contract => format!("/messages/{}", fixture.bob.id),
        }
    }

    /// What this route lists, oldest first.
    fn listed(self, fixture: &Fixture) -> Vec<i64> {
        let shown = |id: &i64| match self {
            Self::Conversation => true,
            Self::Contract => !fixture.deleted.contains(id),
        };
        fixture.messages.iter().copied().filter(shown).collect()
    }

    fn default_limit(self) -> Option<u32> {
        match self {
            Self::Conversation => Some(DEFAULT_PAGE),
            Self::Contract => None,
        }
    }
}

fn routes() -> impl Strategy<Value = Route> {
    prop_oneof![Just(Route::Conversation), Just(Route::Contract)]
}

/// A query parameter as a client may write it.
#[derive(Debug, Clone)]
enum Param {
    Absent,
    /// One of the fixture's own ids or seqs, or one off it.
    Near(Index, i64),
    Number(i64),
    Raw(String),
}

impl Param {
    fn text(&self, known: &[i64]) -> Option<String> {
        match self {
            Self::Absent => None,
            Self::Near(index, off) => Some((*index.get(known) + off).to_string()),
            Self::Number(number) => Some(number.to_string()),
            Self::Raw(text) => Some(text.clone()),
        }
    }
}

fn raw() -> impl Strategy<Value = Param> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "abc",
            "1.5",
            "1e3",
            "0x10",
            " 5",
            "+5",
            "-0",
            "٣",
            "99999999999999999999",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,6}",
    ]
    .prop_map(Param::Raw)
}

/// A cursor: absent, near a real one, any number, or not a number.
fn cursors() -> impl Strategy<Value = Param> {
    prop_oneof![
        2 => Just(Param::Absent),
        4 => (any::<Index>(), -1i64..=1).prop_map(|(index, off)| Param::Near(index, off)),
        1 => prop_oneof![Just(i64::MIN), Just(-1), Just(0), Just(i64::MAX), any::<i64>()]
            .prop_map(Param::Number),
        1 => raw(),
    ]
}

/// A page size: absent, small, at the edges (0 reads as 1), past the
/// most allowed or past a `u32`, or not a number.
fn limits() -> impl Strategy<Value = Param> {
    let large = [
        1000,
        1001,
        5000,
        5001,
        i64::from(u32::MAX),
        i64::from(u32::MAX) + 1,
    ];
    prop_oneof![
        2 => Just(Param::Absent),
        4 => (0i64..=70).prop_map(Param::Number),
        1 => prop::sample::select(vec![-1, 0, 1]).prop_map(Param::Number),
        1 => prop::sample::select(large.to_vec()).prop_map(Param::Number),
        1 => raw(),
    ]
}

/// What a parameter reads as: `Err` if it is there but not a `T`.
fn read<T: FromStr>(text: &Option<String>) -> Result<Option<T>, T::Err> {
    text.as_deref().map(str::parse).transpose()
}

/// `path` with the parameters that are there as its query, encoded.
fn with_query(path: &str, params: &[(&str, &Option<String>)]) -> String {
    let mut url = Url::parse("http://localhost/").expect("a URL");
    url.query_pairs_mut().extend_pairs(
        params
            .iter()
            .filter_map(|(name, value)| value.as_ref().map(|value| (name, value))),
    );
    format!("{path}?{}", url.query().unwrap_or_default())
}

/// The page of `listed` the protocol describes: the messages strictly
/// between the cursors, oldest first; the oldest `limit` of them after
/// `after`, else the newest. A limit reads as 1 to 1000.
fn page(listed: &[i64], before: Option<i64>, after: Option<i64>, limit: Option<u32>) -> Vec<i64> {
    let within: Vec<i64> = listed
        .iter()
        .copied()
        .filter(|&id| {
            before.is_none_or(|before| id < before) && after.is_none_or(|after| id > after)
        })
        .collect();
    let Some(limit) = limit else { return within };
    let limit = limit.clamp(1, MAX_PAGE) as usize;
    if after.is_some() {
        within[..limit.min(within.len())].to_vec()
    } else {
        within[within.len().saturating_sub(limit)..].to_vec()
    }
}

#[test]
fn any_page_query_gets_exactly_its_page_or_a_422() {
    let queries = (routes(), cursors(), cursors(), limits());
    check(
        64,
        conversation_with_history,
        queries,
        async |fixture, query| {
            let (route, before, after, limit) = query;
            let before = before.text(&fixture.messages);
            let after = after.text(&fixture.messages);
            let limit = limit.text(&[]);
            let params = [("before", &before), ("after", &after), ("limit", &limit)];
            let path = with_query(&route.path(fixture), &params);

            let (status, body) = fixture
                .app
                .call(&fixture.alice, Method::GET, &path, None)
                .await;

            let (Ok(before), Ok(after), Ok(limit)) = (read(&before), read(&after), read(&limit))
            else {
                prop_assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{}: {}",
                    path,
                    body
                );
                prop_assert!(body["detail"].is_string(), "{body}");
                return Ok(());
            };
            prop_assert_eq!(status, StatusCode::OK, "{}: {}", path, body);
            let expected = page(
                &route.listed(fixture),
                before,
                after,
                limit.or(route.default_limit()),
            );
            prop_assert_eq!(ids(&body), expected, "{}", path);
            Ok(())
        },
    );
}

#[derive(Debug, Clone, Copy)]
enum Direction {
    /// From the newest, with `before`.
    Back,
    /// From the start, with `after`.
    Forward,
}

/// Walks `route` a page of `size` at a time until a page comes short;
/// everything seen, oldest first.
async fn walk(
    fixture: &Fixture,
    route: Route,
    direction: Direction,
    size: usize,
) -> Result<Vec<i64>, TestCaseError> {
    let (name, mut cursor) = match direction {
        Direction::Back => ("before", None),
        Direction::Forward => ("after", Some("0".to_owned())),
    };
    let limit = Some(size.to_string());
    let mut pages = Vec::new();
    for _ in 0..=MESSAGES + 1 {
        let path = with_query(&route.path(fixture), &[(name, &cursor), ("limit", &limit)]);
        let (status, body) = fixture
            .app
            .call(&fixture.alice, Method::GET, &path, None)
            .await;
        prop_assert_eq!(status, StatusCode::OK, "{}: {}", path, body);
        let page = ids(&body);
        prop_assert!(page.len() <= size, "{path}: {page:?}");
        prop_assert!(page.is_sorted(), "{path}: {page:?}");
        let next = match direction {
            Direction::Back => page.first(),
            Direction::Forward => page.last(),
        };
        cursor = next.map(i64::to_string);
        let short = page.len() < size;
        pages.push(page);
        if short {
            if let Direction::Back = direction {
                pages.reverse();
            }
            return Ok(pages.concat());
        }
    }
    Err(TestCaseError::fail("the pages never came to an end"))
}

#[test]
fn walking_history_either_way_visits_every_message_once() {
    let walks = (
        routes(),
        prop_oneof![Just(Direction::Back), Just(Direction::Forward)],
        1..=MESSAGES + 3,
    );
    check(
        32,
        conversation_with_history,
        walks,
        async |fixture, walks| {
            let (route, direction, size) = walks;

            let seen = walk(fixture, route, direction, size).await?;

            prop_assert_eq!(seen, route.listed(fixture));
            Ok(())
        },
    );
}

#[test]
fn any_events_query_gets_exactly_its_slice_or_a_422() {
    check(
        48,
        conversation_with_history,
        (cursors(), limits()),
        async |fixture, (after, limit)| {
            let after = after.text(&fixture.seqs);
            let limit = limit.text(&[]);
            let path = with_query("/events", &[("after", &after), ("limit", &limit)]);

            let (status, body) = fixture
                .app
                .call(&fixture.alice, Method::GET, &path, None)
                .await;

            let (Ok(Some(after)), Ok(limit)) = (read::<i64>(&after), read::<u32>(&limit)) else {
                prop_assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{}: {}",
                    path,
                    body
                );
                prop_assert!(body["detail"].is_string(), "{body}");
                return Ok(());
            };
            prop_assert_eq!(status, StatusCode::OK, "{}: {}", path, body);
            let limit = limit.unwrap_or(MAX_EVENTS).clamp(1, MAX_EVENTS) as usize;
            let newer: Vec<i64> = fixture
                .seqs
                .iter()
                .copied()
                .filter(|&s| s > after)
                .collect();
            let slice = &newer[..limit.min(newer.len())];
            let complete = newer.len() < limit;
            let events: Vec<i64> = body["events"]
                .as_array()
                .expect("events")
                .iter()
                .map(seq)
                .collect();
            prop_assert_eq!(events.as_slice(), slice, "{}", path);
            prop_assert_eq!(&body["complete"], &Value::Bool(complete), "{}", path);
            // Where to go on from: the last event sent, or, once complete,
            // where the log stands (never behind the cursor given).
            let resume = if complete {
                fixture.head.max(after)
            } else {
                *slice.last().expect("a full page")
            };
            prop_assert_eq!(&body["seq"], &Value::from(resume), "{}", path);
            Ok(())
        },
    );
}

#[test]
fn walking_the_event_log_visits_every_event_once() {
    let sizes = prop::option::weighted(0.9, 0..=MESSAGES + 3);
    check(
        24,
        conversation_with_history,
        sizes,
        async |fixture, size| {
            let limit = size.map(|size| size.to_string());
            let mut seen = Vec::new();
            let mut after = Some("0".to_owned());

            for _ in 0..=fixture.seqs.len() + 1 {
                let path = with_query("/events", &[("after", &after), ("limit", &limit)]);
                let (status, body) = fixture
                    .app
                    .call(&fixture.alice, Method::GET, &path, None)
                    .await;
                prop_assert_eq!(status, StatusCode::OK, "{}: {}", path, body);
                let page: Vec<i64> = body["events"]
                    .as_array()
                    .expect("events")
                    .iter()
                    .map(seq)
                    .collect();
                prop_assert!(
                    page.len() <= size.unwrap_or(usize::MAX).max(1),
                    "{path}: {page:?}"
                );
                seen.extend(page);
                if body["complete"] == true {
                    prop_assert_eq!(seen, fixture.seqs.clone());
                    return Ok(());
                }
                after = body["seq"].as_i64().map(|seq| seq.to_string());
            }
            Err(TestCaseError::fail("the log never came to an end"))
        },
    );
}
