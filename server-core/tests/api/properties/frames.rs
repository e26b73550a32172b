//! Whatever a client sends on its socket, the socket answers and stays
//! usable: a frame the parser refuses gets exactly its `error` frame, with
//! the frame's tag; one the server reads gets at most one.

use futures_util::SinkExt;
use proptest::prelude::*;
use serde_json::{Value, json};
use server_core::ws::protocol::parse;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

use super::check;
use crate::helpers::{TestApp, Ws, spawn_app};

/// The frame types the server knows, and two it does not.
const TYPES: [&str; 8] = [
    "private_message",
    "send_message",
    "edit_message",
    "delete_message",
    "mark_read",
    "typing",
    "shout",
    "",
];

/// The keys client frames use, and one they do not.
const KEYS: [&str; 9] = [
    "type",
    "client_id",
    "receiver_id",
    "conversation_id",
    "message_id",
    "content",
    "new_content",
    "is_typing",
    "extra",
];

/// The tag of the frame sent after each case: its answer closes the case.
const BARRIER: &str = "property-barrier";

struct Fixture {
    /// Keeps the server running.
    _app: TestApp,
    socket: Mutex<Ws>,
}

fn any_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..80).prop_map(String::from_iter)
}

/// JSON values made of the frames' own keys and types, and of small ids
/// that name the users, conversations and messages of the test now and then.
fn values() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-2i64..8).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(TYPES.to_vec()).prop_map(Value::from),
        any_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            objects(inner),
        ]
    })
}

fn objects(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    let key = prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned);
    prop::collection::btree_map(key, values, 0..6)
        .prop_map(|object| Value::Object(object.into_iter().collect()))
}

/// What a client may send: any text, any such JSON, objects of the frames'
/// keys (frames, valid or nearly), any bytes.
fn sent() -> impl Strategy<Value = Message> {
    prop_oneof![
        1 => any_text().prop_map(Message::text),
        1 => values().prop_map(|value| Message::text(value.to_string())),
        2 => objects(values()).prop_map(|value| Message::text(value.to_string())),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Message::binary),
    ]
}

/// The tag the server reads from `sent`, and the `error` frame it owes
/// if `sent` is no frame at all.
fn expected(sent: &Message) -> (Option<String>, Option<Value>) {
    let (tag, refused) = match sent {
        Message::Text(text) => {
            let (tag, frame) = parse(text.as_str());
            (tag, frame.err())
        }
        _ => (None, Some("Frames must be JSON text".to_owned())),
    };
    let refusal = refused.map(|detail| {
        let mut error = json!({ "type": "error", "detail": detail });
        if let Some(tag) = &tag {
            error["client_id"] = tag.as_str().into();
        }
        error
    });
    (tag, refusal)
}

#[test]
fn every_frame_is_answered_and_the_socket_keeps_working() {
    let setup = async || {
        let app = spawn_app().await;
        let alice = app.user("alice").await;
        app.user("bob").await;
        let socket = Mutex::new(app.ws_online(&alice).await);
        Fixture { _app: app, socket }
    };

    check(64, setup, sent(), async |fixture, sent| {
        let mut ws = fixture.socket.lock().await;
        let (tag, refusal) = expected(&sent);

        ws.stream.send(sent).await.expect("send the frame");
        ws.send_json(&json!({ "type": "barrier", "client_id": BARRIER }))
            .await;
        // Answers come in the order of the frames; other frames (echoes,
        // receipts) may come whenever.
        let mut errors = Vec::new();
        loop {
            let frame = ws.next_json().await;
            if frame["type"] != "error" {
                continue;
            }
            if frame["client_id"] == BARRIER {
                break;
            }
            errors.push(frame);
        }

        match refusal {
            Some(error) => prop_assert_eq!(errors, vec![error]),
            None => {
                prop_assert!(errors.len() <= 1, "{errors:?}");
                let tag = tag.map(Value::from);
                for error in errors {
                    prop_assert_eq!(error.get("client_id"), tag.as_ref());
                }
            }
        }
        Ok(())
    });
}
