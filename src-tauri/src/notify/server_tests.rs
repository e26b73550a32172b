//! The notification path against a real server: frames off a real socket,
//! read as `ServerEvent` and decided on, and the directory's lookups over
//! HTTP with the session's token. Only the popup itself (D-Bus) is left to
//! the smoke test.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use server_core::{
    store::{ConversationId, NotifyLevel, UserId},
    ws::protocol::{MessageView, ServerEvent},
};
use tokio_tungstenite::tungstenite::Message;

use super::{
    OpenConversation, Place, Preferences, Situation, Viewing,
    directory::{Directory, Person},
    listener, notifies, should_notify, title,
};
use crate::test_server::TestServer;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(server: &TestServer, token: &str) -> Socket {
    let url = listener::socket_url(&server.base, token).unwrap();
    tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap()
        .0
}

/// The next message frame (a message or notice) on `socket`, read as the
/// listener reads it; other frames are skipped.
async fn next_message(socket: &mut Socket) -> MessageView {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("no frame within 10 s")
            .expect("the socket closed")
            .unwrap();
        let Message::Text(text) = frame else {
            continue;
        };
        match listener::read_frame(&text) {
            Some(
                ServerEvent::PrivateMessage { message, .. } | ServerEvent::Message { message, .. },
            ) => {
                return message;
            }
            Some(_) => {}
            None => panic!("a frame the app cannot read: {text}"),
        }
    }
}

async fn ok_json(request: reqwest::RequestBuilder) -> Value {
    request
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A room made by `token`'s owner with `members` in it.
async fn room(server: &TestServer, token: &str, name: &str, members: &[UserId]) -> ConversationId {
    let room = ok_json(
        server
            .http
            .post(format!("{}conversations", server.base))
            .bearer_auth(token)
            .json(&json!({"kind": "room", "title": name, "members": members})),
    )
    .await;
    room["conversation_id"].as_i64().unwrap()
}

fn away(me: UserId) -> Situation {
    Situation {
        me,
        enabled: true,
        focused: false,
        viewing: Viewing::default(),
    }
}

#[tokio::test]
async fn a_room_message_notifies_as_its_sender_in_the_room_and_its_notices_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&dir.path().join("server")).await;
    let (alice, alice_token) = server.account("alice").await;
    let (bob, bob_token) = server.account("bob").await;
    let mut alice_socket = socket(&server, &alice_token).await;
    let mut directory = Directory::new(&server.base, &alice_token, dir.path().join("avatars"));

    // Bob makes a room with alice in it and writes there.
    let design = room(&server, &bob_token, "Design", &[alice]).await;
    let mut bob_socket = socket(&server, &bob_token).await;
    let send = json!({"type": "send_message", "conversation_id": design, "content": "Lunch?"});
    bob_socket
        .send(Message::text(send.to_string()))
        .await
        .unwrap();

    // Alice's frames: the room's notices first, quietly, then the message.
    let mut notices = 0;
    let message = loop {
        let message = next_message(&mut alice_socket).await;
        if message.notice.is_none() {
            break message;
        }
        assert!(!should_notify(&message, &away(alice)), "{message:?}");
        notices += 1;
    };
    assert!(notices > 0, "no notice that alice was added");
    assert_eq!(message.conversation_id, design);
    assert_eq!(message.content.as_deref(), Some("Lunch?"));
    assert!(should_notify(&message, &away(alice)));
    assert!(
        !should_notify(&message, &away(bob)),
        "bob's other devices stay quiet"
    );
    let open = OpenConversation::of(&message, alice);
    assert_eq!((open.conversation_id, open.peer_id), (design, None));

    // What the notification says: asked of the server with alice's token.
    let sender = directory.person(bob).await.expect("bob is listed");
    let room_title = directory.title(design).await;
    assert_eq!(room_title.as_deref(), Some("Design"));
    assert_eq!(
        title(Some(sender.name()), Place::Shared(room_title.as_deref())),
        "bob in Design"
    );

    // A rename reaches alice as a notice, and the title follows it.
    server
        .http
        .patch(format!("{}conversations/{design}", server.base))
        .bearer_auth(&bob_token)
        .json(&json!({"title": "Design team"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let renamed = next_message(&mut alice_socket).await;
    let notice = renamed.notice.as_ref().expect("a rename notice");
    assert!(!should_notify(&renamed, &away(alice)));
    directory.noticed(renamed.conversation_id, notice);
    assert_eq!(
        directory.title(design).await.as_deref(),
        Some("Design team")
    );

    server.shutdown().await;
}

#[tokio::test]
async fn titles_and_pictures_are_fetched_with_the_token_and_refused_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&dir.path().join("server")).await;
    let (alice, alice_token) = server.account("alice").await;
    let (bob, bob_token) = server.account("bob").await;
    let picture_bytes = include_bytes!("../../../icons/32x32.png");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(picture_bytes.to_vec())
            .file_name("bob.png")
            .mime_str("image/png")
            .unwrap(),
    );
    ok_json(
        server
            .http
            .post(format!("{}upload-profile", server.base))
            .bearer_auth(&bob_token)
            .multipart(form),
    )
    .await;
    let design = room(&server, &alice_token, "Design", &[bob]).await;

    let avatars = dir.path().join("avatars");
    let mut directory = Directory::new(&server.base, &alice_token, avatars.clone());
    assert_eq!(directory.title(design).await.as_deref(), Some("Design"));
    let bob_person = directory.person(bob).await.expect("bob is listed");
    assert_eq!(bob_person.username, "bob");
    let server_path = bob_person.profile_pic.expect("bob has a picture");
    let local = directory
        .picture(&server_path)
        .await
        .expect("the picture is fetched with the token");
    assert!(local.starts_with(&avatars));
    assert_eq!(std::fs::read(&local).unwrap(), picture_bytes);
    assert_eq!(directory.person(alice).await.unwrap().username, "alice");

    // Without the token the server shows none of it.
    let anonymous = server
        .http
        .get(format!(
            "{}{}",
            server.base,
            server_path.trim_start_matches('/')
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let mut stranger = Directory::new(&server.base, "not-a-token", dir.path().join("other"));
    assert_eq!(stranger.title(design).await, None);
    assert!(stranger.person(bob).await.is_none());
    assert_eq!(stranger.picture(&server_path).await, None);
    assert!(
        !dir.path().join("other").exists(),
        "nothing is written for a refused picture"
    );

    server.shutdown().await;
}

/// The next frame on `socket` that `wanted` picks, read as the listener
/// reads it.
async fn next_frame(socket: &mut Socket, wanted: impl Fn(&ServerEvent) -> bool) -> ServerEvent {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("no frame within 10 s")
            .expect("the socket closed")
            .unwrap();
        let Message::Text(text) = frame else {
            continue;
        };
        let event = listener::read_frame(&text).unwrap_or_else(|| panic!("unreadable: {text}"));
        if wanted(&event) {
            return event;
        }
    }
}

/// `from` says `content` in a room; the message as `to` reads it, with the
/// mentions the server found in it.
async fn relay(
    from: &mut Socket,
    to: &mut Socket,
    conversation: ConversationId,
    content: &str,
) -> MessageView {
    let send = json!({"type": "send_message", "conversation_id": conversation, "content": content});
    from.send(Message::text(send.to_string())).await.unwrap();
    let event = next_frame(to, |e| matches!(e, ServerEvent::Message { .. })).await;
    let ServerEvent::Message { message, .. } = event else {
        unreachable!()
    };
    assert_eq!(message.content.as_deref(), Some(content));
    message
}

async fn put(server: &TestServer, token: &str, path: &str, body: Value) {
    ok_json(
        server
            .http
            .put(format!("{}{path}", server.base))
            .bearer_auth(token)
            .json(&body),
    )
    .await;
}

#[tokio::test]
async fn levels_and_do_not_disturb_come_from_the_server_at_start_and_from_frames_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&dir.path().join("server")).await;
    let (alice, alice_token) = server.account("alice").await;
    let (_, bob_token) = server.account("bob").await;
    let design = room(&server, &bob_token, "Design", &[alice]).await;
    let lunch = room(&server, &bob_token, "Lunch", &[alice]).await;
    let mut alice_socket = socket(&server, &alice_token).await;
    // Her own arrival: from here on her socket hears everything.
    next_frame(
        &mut alice_socket,
        |e| matches!(e, ServerEvent::Presence(p) if p.user_id == alice),
    )
    .await;
    let directory = Directory::new(&server.base, &alice_token, dir.path().join("avatars"));

    // Alice, in her browser: Design muted, an hour of quiet, with sound.
    put(
        &server,
        &alice_token,
        &format!("conversations/{design}/notifications"),
        json!({"notify": "muted"}),
    )
    .await;
    let until = server_core::store::timestamp(chrono::Utc::now() + chrono::Duration::hours(1));
    put(
        &server,
        &alice_token,
        "settings",
        json!({"dnd_until": until, "sound": true}),
    )
    .await;

    // What the app learns when its socket opens, and what the frames say.
    let mut at_start = directory.preferences().await.expect("levels and settings");
    let mut from_frames = Preferences::default();
    let level = next_frame(&mut alice_socket, |e| {
        matches!(e, ServerEvent::NotifyChanged { .. })
    })
    .await;
    let ServerEvent::NotifyChanged {
        conversation_id,
        notify,
    } = level
    else {
        unreachable!()
    };
    assert_eq!((conversation_id, notify), (design, NotifyLevel::Muted));
    from_frames.set_level(conversation_id, notify);
    let settings = next_frame(&mut alice_socket, |e| matches!(e, ServerEvent::Settings(_))).await;
    let ServerEvent::Settings(settings) = settings else {
        unreachable!()
    };
    from_frames.settings(&settings);

    let mut bob_socket = socket(&server, &bob_token).await;
    let quiet = relay(&mut bob_socket, &mut alice_socket, lunch, "lunch?").await;
    let muted = relay(&mut bob_socket, &mut alice_socket, design, "review at 3").await;
    let mention = relay(&mut bob_socket, &mut alice_socket, design, "@Alice at 3?").await;
    let everyone = relay(&mut bob_socket, &mut alice_socket, design, "@room at 3").await;
    assert!(muted.mentions.is_empty() && !muted.mentions_room);
    assert_eq!(mention.mentions, [alice], "found by the server");
    assert!(everyone.mentions_room, "found by the server");
    let now = chrono::Utc::now();
    for wanted in [&at_start, &from_frames] {
        assert!(wanted.sound());
        for message in [&quiet, &muted, &mention, &everyone] {
            assert!(
                !notifies(message, &away(alice), wanted, now),
                "do not disturb: {message:?}"
            );
        }
    }

    // Do not disturb off, from another device: the frame says so.
    put(
        &server,
        &alice_token,
        "settings",
        json!({"dnd_until": null}),
    )
    .await;
    let settings = next_frame(&mut alice_socket, |e| matches!(e, ServerEvent::Settings(_))).await;
    let ServerEvent::Settings(settings) = settings else {
        unreachable!()
    };
    at_start.settings(&settings);
    from_frames.settings(&settings);
    let now = chrono::Utc::now();
    for wanted in [&at_start, &from_frames] {
        assert!(
            notifies(&quiet, &away(alice), wanted, now),
            "lunch notifies again"
        );
        assert!(
            !notifies(&muted, &away(alice), wanted, now),
            "design stays muted"
        );
        assert!(
            notifies(&mention, &away(alice), wanted, now),
            "but a mention of her gets through"
        );
        assert!(
            notifies(&everyone, &away(alice), wanted, now),
            "and so does @room"
        );
    }

    server.shutdown().await;
}

async fn set_display_name(server: &TestServer, token: &str, name: &str) {
    ok_json(
        server
            .http
            .post(format!("{}update-display-name", server.base))
            .bearer_auth(token)
            .json(&json!({"display_name": name})),
    )
    .await;
}

/// Waits for `user_updated` of `user` and does what the listener does
/// with it; answers the display name it carries.
async fn forget_updated(
    socket: &mut Socket,
    directory: &mut Directory,
    user: UserId,
) -> Option<String> {
    let updated = next_frame(
        socket,
        |e| matches!(e, ServerEvent::UserUpdated { user_id, .. } if *user_id == user),
    )
    .await;
    let ServerEvent::UserUpdated {
        user_id,
        display_name,
        ..
    } = updated
    else {
        unreachable!()
    };
    directory.forget_person(user_id);
    display_name
}

#[tokio::test]
async fn notifications_name_the_sender_by_their_display_name_and_follow_its_changes() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&dir.path().join("server")).await;
    let (alice, alice_token) = server.account("alice").await;
    let (bob, bob_token) = server.account("bob").await;
    let design = room(&server, &bob_token, "Design", &[alice]).await;
    let mut alice_socket = socket(&server, &alice_token).await;
    // Her own arrival: from here on her socket hears everything.
    next_frame(
        &mut alice_socket,
        |e| matches!(e, ServerEvent::Presence(p) if p.user_id == alice),
    )
    .await;
    let mut directory = Directory::new(&server.base, &alice_token, dir.path().join("avatars"));
    let room_title = directory.title(design).await;
    let in_design = Place::Shared(room_title.as_deref());
    let titled = |person: Option<Person>, place| title(person.as_ref().map(Person::name), place);

    // No display name yet: the username.
    assert_eq!(
        titled(directory.person(bob).await, in_design),
        "bob in Design"
    );

    // Bob chooses one, in his browser; alice's app hears of it at once.
    set_display_name(&server, &bob_token, "Bob Builder").await;
    let frame_says = forget_updated(&mut alice_socket, &mut directory, bob).await;
    assert_eq!(frame_says.as_deref(), Some("Bob Builder"));
    assert_eq!(
        titled(directory.person(bob).await, in_design),
        "Bob Builder in Design"
    );
    assert_eq!(
        titled(directory.person(bob).await, Place::Direct),
        "Bob Builder"
    );
    assert_eq!(
        directory.person(bob).await.unwrap().username,
        "bob",
        "the username stays"
    );

    // And clears it: the username again.
    set_display_name(&server, &bob_token, "").await;
    assert_eq!(
        forget_updated(&mut alice_socket, &mut directory, bob).await,
        None
    );
    assert_eq!(
        titled(directory.person(bob).await, in_design),
        "bob in Design"
    );

    server.shutdown().await;
}
