//! Properties of [`parse`](super::parse): any text, any JSON and frames
//! near the protocol's are read as the contract says, and frames read back
//! as they were written.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;

/// The type of one field of a client frame, as the contract has it.
#[derive(Debug, Clone, Copy)]
enum Field {
    Id,
    Text,
    Flag,
    /// An id that may be `null` or left out.
    MaybeId,
}

impl Field {
    /// Whether a frame with `value` (`None`: left out) in this field
    /// is to be read.
    fn accepts(self, value: Option<&Value>) -> bool {
        match (self, value) {
            (Self::Id | Self::MaybeId, Some(value)) if value.is_i64() => true,
            (Self::MaybeId, None | Some(Value::Null)) => true,
            (Self::Text, Some(Value::String(_))) | (Self::Flag, Some(Value::Bool(_))) => true,
            _ => false,
        }
    }
}

/// Every client frame type and its fields (docs/protocol.md).
const FRAMES: [(&str, &[(&str, Field)]); 8] = [
    (
        "private_message",
        &[
            ("receiver_id", Field::Id),
            ("content", Field::Text),
            ("reply_to", Field::MaybeId),
        ],
    ),
    (
        "send_message",
        &[
            ("conversation_id", Field::Id),
            ("content", Field::Text),
            ("reply_to", Field::MaybeId),
        ],
    ),
    (
        "edit_message",
        &[("message_id", Field::Id), ("new_content", Field::Text)],
    ),
    ("delete_message", &[("message_id", Field::Id)]),
    (
        "react",
        &[("message_id", Field::Id), ("emoji", Field::Text)],
    ),
    (
        "unreact",
        &[("message_id", Field::Id), ("emoji", Field::Text)],
    ),
    (
        "mark_read",
        &[("conversation_id", Field::Id), ("message_id", Field::Id)],
    ),
    (
        "typing",
        &[
            ("receiver_id", Field::MaybeId),
            ("conversation_id", Field::MaybeId),
            ("is_typing", Field::Flag),
        ],
    ),
];

/// A frame as a client writes it.
fn wire(frame: &ClientFrame) -> Value {
    match frame {
        ClientFrame::PrivateMessage {
            receiver_id,
            content,
            reply_to,
        } => json!({
            "type": "private_message",
            "receiver_id": receiver_id,
            "content": content,
            "reply_to": reply_to,
        }),
        ClientFrame::SendMessage {
            conversation_id,
            content,
            reply_to,
        } => json!({
            "type": "send_message",
            "conversation_id": conversation_id,
            "content": content,
            "reply_to": reply_to,
        }),
        ClientFrame::EditMessage {
            message_id,
            new_content,
        } => {
            json!({ "type": "edit_message", "message_id": message_id, "new_content": new_content })
        }
        ClientFrame::DeleteMessage { message_id } => {
            json!({ "type": "delete_message", "message_id": message_id })
        }
        ClientFrame::React { message_id, emoji } => {
            json!({ "type": "react", "message_id": message_id, "emoji": emoji })
        }
        ClientFrame::Unreact { message_id, emoji } => {
            json!({ "type": "unreact", "message_id": message_id, "emoji": emoji })
        }
        ClientFrame::MarkRead {
            conversation_id,
            message_id,
        } => {
            json!({ "type": "mark_read", "conversation_id": conversation_id, "message_id": message_id })
        }
        ClientFrame::Typing {
            receiver_id,
            conversation_id,
            is_typing,
        } => json!({
            "type": "typing",
            "receiver_id": receiver_id,
            "conversation_id": conversation_id,
            "is_typing": is_typing,
        }),
    }
}

/// Any text: control characters, NUL, bidi overrides, any plane.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

/// Object keys: mostly the names frames use, so that generated objects
/// come close to frames.
fn key() -> impl Strategy<Value = String> {
    let known = FRAMES
        .iter()
        .flat_map(|(_, fields)| fields.iter().map(|(name, _)| *name))
        .chain(["type", "client_id"])
        .map(str::to_owned)
        .collect::<Vec<_>>();
    prop_oneof![prop::sample::select(known), text(8)]
}

/// Any JSON value, a few levels deep; strings are often frame types.
fn any_json() -> impl Strategy<Value = Value> {
    let types = FRAMES
        .iter()
        .map(|(kind, _)| Value::from(*kind))
        .collect::<Vec<_>>();
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text(12).prop_map(Value::from),
        prop::sample::select(types),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// What goes in one field of a near-valid frame.
#[derive(Debug, Clone)]
enum Fill {
    Right,
    Missing,
    /// Any JSON, mostly of the wrong type.
    Wrong(Value),
    /// Past what the field's type holds, or far longer than usual.
    Huge,
}

fn fill() -> impl Strategy<Value = Fill> {
    prop_oneof![
        4 => Just(Fill::Right),
        1 => Just(Fill::Missing),
        2 => any_json().prop_map(Fill::Wrong),
        1 => Just(Fill::Huge),
    ]
}

/// A frame of a known type whose fields are each right, missing, of a
/// wrong type or outsized, with any extra fields and tag; now and then
/// written as an array, type first, fields in order.
fn near_frames() -> impl Strategy<Value = Value> {
    (
        0..FRAMES.len(),
        prop::collection::vec((fill(), any::<i64>(), text(40), any::<bool>()), 3),
        prop::collection::btree_map(key(), any_json(), 0..3),
        prop::option::of(text(80)),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(kind, fills, extra, client_id, as_array)| {
            let (kind, fields) = FRAMES[kind];
            let mut values = vec![("type", Value::from(kind))];
            for (&(name, field), (fill, id, text, flag)) in fields.iter().zip(fills) {
                let value = match (fill, field) {
                    (Fill::Missing, _) => continue,
                    (Fill::Wrong(value), _) => value,
                    (Fill::Right, Field::Id | Field::MaybeId) => id.into(),
                    (Fill::Right, Field::Text) => text.into(),
                    (Fill::Right, Field::Flag) => flag.into(),
                    (Fill::Huge, Field::Id | Field::MaybeId) => {
                        ((1u64 << 63) | id.unsigned_abs()).into()
                    }
                    (Fill::Huge, Field::Text) => (text + &"x".repeat(70_000)).into(),
                    (Fill::Huge, Field::Flag) => u64::MAX.into(),
                };
                values.push((name, value));
            }
            if as_array {
                return values.into_iter().map(|(_, value)| value).collect();
            }
            let mut frame: Map<String, Value> = values
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect();
            if let Some(client_id) = client_id {
                frame.insert("client_id".into(), client_id.into());
            }
            frame.extend(extra);
            Value::Object(frame)
        })
}

fn frames() -> impl Strategy<Value = ClientFrame> {
    let id = any::<i64>;
    let maybe_id = || prop::option::of(any::<i64>());
    prop_oneof![
        (id(), text(200), maybe_id()).prop_map(|(receiver_id, content, reply_to)| {
            ClientFrame::PrivateMessage {
                receiver_id,
                content,
                reply_to,
            }
        }),
        (id(), text(200), maybe_id()).prop_map(|(conversation_id, content, reply_to)| {
            ClientFrame::SendMessage {
                conversation_id,
                content,
                reply_to,
            }
        }),
        (id(), text(200)).prop_map(|(message_id, new_content)| ClientFrame::EditMessage {
            message_id,
            new_content
        }),
        id().prop_map(|message_id| ClientFrame::DeleteMessage { message_id }),
        (id(), text(8)).prop_map(|(message_id, emoji)| ClientFrame::React { message_id, emoji }),
        (id(), text(8)).prop_map(|(message_id, emoji)| ClientFrame::Unreact { message_id, emoji }),
        (id(), id()).prop_map(|(conversation_id, message_id)| ClientFrame::MarkRead {
            conversation_id,
            message_id
        }),
        (maybe_id(), maybe_id(), any::<bool>()).prop_map(
            |(receiver_id, conversation_id, is_typing)| ClientFrame::Typing {
                receiver_id,
                conversation_id,
                is_typing
            }
        ),
    ]
}

/// Checks [`parse`] against the contract: a frame is read exactly when
/// it is an object of a known type whose fields are all there with the
/// right types (others are ignored), and then it holds the values
/// sent; the tag is read, frame or not, when it is a short string.
fn read_as_the_contract_says(sent: &Value) -> Result<(), TestCaseError> {
    let (client_id, frame) = parse(&sent.to_string());

    let tag = sent
        .get("client_id")
        .and_then(Value::as_str)
        .filter(|tag| tag.len() <= MAX_CLIENT_ID);
    prop_assert_eq!(client_id.as_deref(), tag);
    let fields = sent
        .get("type")
        .and_then(Value::as_str)
        .and_then(|kind| FRAMES.iter().find(|(name, _)| *name == kind))
        .map(|(_, fields)| *fields);
    let readable = sent.is_object()
        && fields.is_some_and(|fields| {
            fields
                .iter()
                .all(|(name, field)| field.accepts(sent.get(name)))
        });
    match frame {
        Ok(frame) => {
            prop_assert!(readable, "read {sent} as {frame:?}");
            let read = wire(&frame);
            prop_assert_eq!(&read["type"], &sent["type"]);
            for (name, _) in fields.unwrap_or_default() {
                prop_assert_eq!(&read[name], sent.get(name).unwrap_or(&Value::Null));
            }
        }
        Err(detail) => {
            prop_assert!(!readable, "refused {sent}: {detail}");
            prop_assert!(detail.starts_with("Invalid frame: "), "{detail}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_text_is_read_or_refused_and_only_json_can_carry_a_tag(
        text in prop_oneof![
            text(200),
            // JSON cut anywhere.
            any_json().prop_flat_map(|value| {
                let text = value.to_string();
                let len = text.len();
                (Just(text), 0..=len)
            })
            .prop_map(|(text, cut)| {
                let cut = (0..=cut).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0);
                text[..cut].to_owned()
            }),
        ],
    ) {
        let (client_id, frame) = parse(&text);

        if serde_json::from_str::<Value>(&text).is_err() {
            prop_assert_eq!(client_id, None);
            prop_assert!(frame.is_err());
        }
        if let Err(detail) = frame {
            prop_assert!(detail.starts_with("Invalid frame: "), "{detail}");
        }
    }

    #[test]
    fn any_json_is_read_as_the_contract_says(sent in any_json()) {
        read_as_the_contract_says(&sent)?;
    }

    #[test]
    fn near_valid_frames_are_read_as_the_contract_says(sent in near_frames()) {
        read_as_the_contract_says(&sent)?;
    }

    #[test]
    fn frames_read_back_as_the_client_wrote_them(
        frame in frames(),
        client_id in prop::option::of(text(80)),
    ) {
        let mut sent = wire(&frame);
        if let Some(client_id) = &client_id {
            sent["client_id"] = client_id.as_str().into();
        }

        let (tag, read) = parse(&sent.to_string());

        prop_assert_eq!(read, Ok(frame));
        let kept = client_id.filter(|tag| tag.len() <= MAX_CLIENT_ID);
        prop_assert_eq!(tag, kept);
    }
}
