//! The notification path against a real server: frames off a real socket,
//! read as `ServerEvent` and decided on, and the directory's lookups over
//! HTTP with the session's token. Only the popup itself (D-Bus) is left to
//! the smoke test.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use server_core::{
    store::{ConversationId, UserId},
    ws::protocol::{MessageView, ServerEvent},
};
use tokio_tungstenite::tungstenite::Message;

use super::{
    OpenConversation, Place, Situation, Viewing, directory::Directory, listener, should_notify,
    title,
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
        title(Some(&sender.username), Place::Shared(room_title.as_deref())),
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
