//! The WebSocket's frames, documented from the same schemas as the HTTP
//! API ([`ClientFrame`] and [`ServerEvent`] derive them), with an example
//! of each: as an AsyncAPI 3 document, and as Markdown on the `/ws`
//! operation of the OpenAPI document, which the `/docs` viewer shows.
//!
//! [`ClientFrame`]: crate::ws::protocol::ClientFrame
//! [`ServerEvent`]: crate::ws::protocol::ServerEvent

use serde_json::{Map, Value, json};

/// Who sends a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The client; the server receives it.
    In,
    /// The server.
    Out,
}

impl Direction {
    /// The schema in the OpenAPI document that lists these frames.
    fn schema(self) -> &'static str {
        match self {
            Self::In => "ClientFrame",
            Self::Out => "ServerEvent",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::In => "client",
            Self::Out => "server",
        }
    }
}

/// One kind of frame.
pub struct Frame {
    pub direction: Direction,
    /// Its `type`.
    pub name: String,
    description: String,
    schema: Value,
    pub example: Option<Value>,
}

impl Frame {
    /// The key of its message in the AsyncAPI document.
    fn key(&self) -> String {
        format!("{}.{}", self.direction.prefix(), self.name)
    }
}

/// Every frame both ways, in the order the schemas list them.
pub struct Frames(pub Vec<Frame>);

impl Frames {
    /// Reads the frames out of the OpenAPI document's schemas: each variant
    /// of a frame enum is an object (or an `allOf` with one) whose `type`
    /// property has a single value.
    pub fn from_schemas(openapi: &Value) -> Self {
        let mut frames = Vec::new();
        for direction in [Direction::In, Direction::Out] {
            let variants = openapi["components"]["schemas"][direction.schema()]["oneOf"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for schema in variants {
                let Some(name) = frame_type(&schema) else {
                    continue;
                };
                frames.push(Frame {
                    direction,
                    example: example(direction, &name),
                    description: schema["description"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    name,
                    schema,
                });
            }
        }
        Self(frames)
    }

    /// The AsyncAPI 3 document; its schemas are the OpenAPI document's.
    pub fn document(&self, openapi: &Value) -> Value {
        let mut messages = Map::new();
        let mut channel_messages = Map::new();
        let mut refs = |direction: Direction| -> Vec<Value> {
            self.0
                .iter()
                .filter(|frame| frame.direction == direction)
                .map(|frame| {
                    let key = frame.key();
                    let mut message = json!({
                        "name": frame.name,
                        "title": format!("`{}`", frame.name),
                        "payload": frame.schema,
                    });
                    if !frame.description.is_empty() {
                        message["summary"] = frame.description.clone().into();
                    }
                    if let Some(example) = &frame.example {
                        message["examples"] = json!([{ "payload": example }]);
                    }
                    messages.insert(key.clone(), message);
                    channel_messages.insert(
                        key.clone(),
                        json!({ "$ref": format!("#/components/messages/{key}") }),
                    );
                    json!({ "$ref": format!("#/channels/socket/messages/{key}") })
                })
                .collect()
        };
        let received = refs(Direction::In);
        let sent = refs(Direction::Out);
        json!({
            "asyncapi": "3.0.0",
            "info": {
                "title": "ChatterBox WebSocket",
                "version": env!("CARGO_PKG_VERSION"),
                "description": SOCKET,
            },
            "defaultContentType": "application/json",
            "channels": {
                "socket": {
                    "address": "/ws",
                    "title": "The live connection",
                    "description": SOCKET,
                    "messages": channel_messages,
                    "bindings": {"ws": {
                        "method": "GET",
                        "query": {
                            "type": "object",
                            "properties": {
                                "token": {"type": "string", "description": "The session token (or `Authorization: Bearer`)."},
                                "after": {"type": "integer", "description": RESUME},
                                "sync": {"type": "string", "description": "`1`: start with a `synced` frame saying where the log stands."},
                            },
                        },
                    }},
                },
            },
            "operations": {
                "receiveClientFrames": {
                    "action": "receive",
                    "title": "Frames a client sends",
                    "channel": {"$ref": "#/channels/socket"},
                    "messages": received,
                },
                "sendServerFrames": {
                    "action": "send",
                    "title": "Frames the server sends",
                    "channel": {"$ref": "#/channels/socket"},
                    "messages": sent,
                },
            },
            "components": {
                "messages": messages,
                "schemas": openapi["components"]["schemas"],
            },
        })
    }

    /// The frames as Markdown, for the `/ws` operation.
    pub fn markdown(&self) -> String {
        let mut text = format!("{SOCKET}\n\n**Reconnecting**: {RESUME}\n");
        for (direction, heading) in [
            (Direction::In, "Frames the client sends"),
            (Direction::Out, "Frames the server sends"),
        ] {
            text.push_str(&format!("\n### {heading}\n"));
            for frame in self.0.iter().filter(|frame| frame.direction == direction) {
                text.push_str(&format!("\n#### `{}`\n\n", frame.name));
                if !frame.description.is_empty() {
                    text.push_str(&format!("{}\n\n", frame.description.replace('\n', " ")));
                }
                text.push_str(&fields(&frame.schema));
                if let Some(example) = &frame.example {
                    text.push_str(&format!("\n```json\n{example}\n```\n"));
                }
            }
        }
        text
    }
}

const SOCKET: &str = "Open `/ws?token=…` (or send `Authorization: Bearer`). Every frame is a JSON \
    object with a `type`. Any client frame may carry a `client_id` (a string of up to 64 \
    characters): the echo of a message it sent, or the `error` its frame caused, carries the \
    same one, and a message resent with the same `client_id` is stored once. A malformed or \
    refused frame gets an `error` frame; the socket stays open. Frames that change a \
    conversation carry `seq`, their place in the event log.";

const RESUME: &str = "open the socket with `?after=<seq>`, the last `seq` seen: the server first \
    sends everything the user missed since (in log order), then `synced` with the position \
    reached, then live frames. If too much was missed it sends `reset` instead: reload over HTTP.";

/// The `type` a frame's schema fixes.
fn frame_type(schema: &Value) -> Option<String> {
    let own = schema["properties"]["type"]["enum"][0].as_str();
    let composed = || {
        schema["allOf"]
            .as_array()?
            .iter()
            .find_map(|part| part["properties"]["type"]["enum"][0].as_str())
    };
    own.or_else(composed).map(str::to_owned)
}

/// A frame's fields as a Markdown table; those of a shared shape are named
/// by it.
fn fields(schema: &Value) -> String {
    let parts = match schema["allOf"].as_array() {
        Some(parts) => parts.clone(),
        None => vec![schema.clone()],
    };
    let mut rows = Vec::new();
    let mut shared = Vec::new();
    for part in &parts {
        if let Some(name) = part["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
            shared.push(format!("`{name}`"));
        }
        let required: Vec<&str> = part["required"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, property) in part["properties"].as_object().into_iter().flatten() {
            if name == "type" {
                continue;
            }
            let presence = if required.contains(&name.as_str()) {
                "always"
            } else {
                "optional"
            };
            rows.push(format!(
                "| `{name}` | {} | {presence} |",
                type_name(property)
            ));
        }
    }
    let mut text = String::new();
    if !shared.is_empty() {
        text.push_str(&format!("The fields of {}", shared.join(", ")));
        text.push_str(if rows.is_empty() { ".\n" } else { ", and:\n\n" });
    }
    if !rows.is_empty() {
        text.push_str("| field | type | present |\n|---|---|---|\n");
        text.push_str(&rows.join("\n"));
        text.push('\n');
    }
    text
}

/// A property's type in words.
fn type_name(property: &Value) -> String {
    if let Some(options) = property["oneOf"].as_array() {
        return options
            .iter()
            .map(type_name)
            .collect::<Vec<_>>()
            .join(" or ");
    }
    if let Some(name) = property["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        return match name {
            "i64" => "integer".to_owned(),
            other => format!("`{other}`"),
        };
    }
    match &property["type"] {
        Value::String(name) => name.clone(),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

/// An example of each frame. Tests check that each one reads back as its
/// frame type, and that no frame lacks one.
fn example(direction: Direction, name: &str) -> Option<Value> {
    let timestamp = "2026-03-01T10:20:30.123456Z";
    let example = match (direction, name) {
        (Direction::In, "private_message") => {
            json!({"type": "private_message", "receiver_id": 2, "content": "Lunch at noon?", "client_id": "c-17"})
        }
        (Direction::In, "send_message") => json!({
            "type": "send_message", "conversation_id": 1, "content": "Agreed, @bob: Friday",
            "reply_to": 40, "client_id": "c-18",
        }),
        (Direction::In, "edit_message") => {
            json!({"type": "edit_message", "message_id": 41, "new_content": "Lunch at one?"})
        }
        (Direction::In, "delete_message") => json!({"type": "delete_message", "message_id": 41}),
        (Direction::In, "react" | "unreact") => {
            json!({"type": name, "message_id": 41, "emoji": "👍🏽"})
        }
        (Direction::In, "mark_read") => {
            json!({"type": "mark_read", "conversation_id": 3, "message_id": 41})
        }
        (Direction::In, "typing") => json!({"type": "typing", "receiver_id": 2, "is_typing": true}),
        (Direction::Out, "private_message") => json!({
            "type": "private_message", "id": 41, "sender_id": 1, "receiver_id": 2,
            "conversation_id": 3, "content": "Lunch at noon?", "timestamp": timestamp,
            "is_edited": 0, "file_path": null, "file_name": null, "file_size": null,
            "mime_type": null, "edited_at": null, "client_id": "c-17", "seq": 118,
        }),
        (Direction::Out, "message") => json!({
            "type": "message", "id": 42, "sender_id": 1, "receiver_id": null,
            "conversation_id": 1, "content": "Agreed, @bob: Friday", "timestamp": timestamp,
            "is_edited": 0, "file_path": null, "file_name": null, "file_size": null,
            "mime_type": null, "edited_at": null,
            "reply_to": {
                "message_id": 40, "sender_id": 2, "kind": "file", "excerpt": null,
                "file_name": "plan.pdf",
            },
            "mentions": [2],
            "reactions": [{"emoji": "👍", "user_ids": [2, 5]}, {"emoji": "🎉", "user_ids": [7]}],
            "seq": 119,
        }),
        (Direction::Out, "edit_message") => json!({
            "type": name, "message_id": 41, "new_content": "Lunch at one, @bob?", "sender_id": 1,
            "receiver_id": 2, "conversation_id": 3, "edited_at": timestamp, "seq": 120,
            "mentions": [2],
        }),
        (Direction::Out, "message_edited") => json!({
            "type": name, "message_id": 43, "new_content": "Lunch at one, @room?",
            "sender_id": 1, "receiver_id": null, "conversation_id": 1, "edited_at": timestamp,
            "seq": 120, "mentions_room": true,
        }),
        (Direction::Out, "message_deleted") => json!({
            "type": "message_deleted", "conversation_id": 3, "message_id": 41,
            "deleted_by": 1, "seq": 121,
        }),
        (Direction::Out, "read" | "delivered") => json!({
            "type": name, "conversation_id": 3, "user_id": 2, "message_id": 41, "seq": 122,
        }),
        (Direction::Out, "reaction") => json!({
            "type": "reaction", "conversation_id": 3, "message_id": 41, "user_id": 2,
            "emoji": "👍🏽", "added": true, "seq": 123,
        }),
        (Direction::Out, "typing") => {
            json!({"type": "typing", "sender_id": 1, "is_typing": true, "conversation_id": 3})
        }
        (Direction::Out, "presence") => {
            json!({"type": "presence", "user_id": 2, "is_online": false, "last_seen": timestamp})
        }
        (Direction::Out, "presence_batch") => json!({
            "type": "presence_batch",
            "online": [2, 5, 7],
            "offline": [{"user_id": 9, "last_seen": timestamp}],
        }),
        (Direction::Out, "user_updated") => json!({
            "type": "user_updated", "user_id": 2,
            "profile_pic": "static/uploads/2_9b1e0c_me.png", "about": "Maths, room 12",
            "display_name": "Ms Okafor",
        }),
        (Direction::Out, "settings") => json!({
            "type": "settings", "read_receipts": true,
            "dnd_until": "2026-03-02T08:00:00.000000Z", "sound": false,
        }),
        (Direction::Out, "notify_changed") => {
            json!({"type": "notify_changed", "conversation_id": 4, "notify": "mentions"})
        }
        (Direction::Out, "synced") => json!({"type": "synced", "seq": 122}),
        (Direction::Out, "reset") => json!({"type": "reset", "seq": 9000}),
        (Direction::Out, "error") => json!({
            "type": "error", "detail": "You are not a member of this conversation",
            "client_id": "c-18",
        }),
        _ => return None,
    };
    Some(example)
}
