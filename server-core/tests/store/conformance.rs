//! What every [`Store`] must do, written against the trait alone so that
//! each implementation runs the same cases: `suite!(open)` expands to one
//! test per case over the stores `open` makes.

use std::{any::Any, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use server_core::store::{
    Body, Change, Committed, ConversationId, ConversationKind, FileMeta, NewMessage, Page, Posted,
    Store, StoreError, UserId, now,
};

/// A fresh, empty store and the feed of the events it commits.
pub struct Subject {
    pub store: Arc<dyn Store>,
    pub committed: flume::Receiver<Committed>,
    /// Whatever must live as long as the store (a temporary directory...).
    pub _guard: Box<dyn Any + Send>,
}

#[macro_export]
macro_rules! suite {
    ($open:path) => {
        $crate::suite!(@cases $open;
            users_are_unique_regardless_of_case,
            a_password_change_keeps_only_the_named_session,
            sessions_are_found_by_token_hash_touched_and_deleted,
            expired_sessions_are_forgotten_when_a_new_one_starts,
            profiles_keep_picture_about_and_last_seen,
            a_direct_conversation_is_one_whatever_the_order,
            a_note_to_self_is_a_conversation_of_one,
            a_direct_conversation_needs_both_people_to_exist,
            messages_are_stored_and_their_events_fed_in_log_order,
            only_members_may_post,
            a_resend_with_the_same_client_id_is_stored_once,
            only_the_sender_may_edit_and_only_text,
            history_pages_walk_back_by_id,
            history_is_for_members_only,
            summaries_come_most_recent_first_with_unread_counts,
            a_stored_file_reads_back_whole,
        );
    };
    (@cases $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::conformance::$case($open().await).await;
            }
        )*
    };
}

fn hash(n: u8) -> [u8; 32] {
    [n; 32]
}

/// A new user; the events of their joining General are drained, so that a
/// case sees only the events it causes.
async fn user(subject: &Subject, name: &str) -> UserId {
    let id = subject
        .store
        .create_user(name, "hash", now())
        .await
        .expect("user created");
    drain(subject);
    id
}

/// Forgets the events fed so far. A store feeds a change's events before it
/// answers, so after an `await` they are all there.
fn drain(subject: &Subject) {
    while subject.committed.try_recv().is_ok() {}
}

fn text(conversation: ConversationId, sender: UserId, content: &str) -> NewMessage {
    NewMessage {
        conversation,
        sender,
        body: Body::Text(content.into()),
        client_id: None,
    }
}

/// The next committed event, which must come promptly.
async fn next_event(subject: &Subject) -> Committed {
    tokio::time::timeout(Duration::from_secs(10), subject.committed.recv_async())
        .await
        .expect("an event in time")
        .expect("the feed is open")
}

async fn post(store: &dyn Store, message: NewMessage) -> (i64, i64) {
    match store.post_message(message, now()).await.expect("posted") {
        Posted::New { seq, message, .. } => (seq, message.id),
        Posted::Duplicate(message) => panic!("unexpected duplicate of {}", message.id),
    }
}

pub async fn users_are_unique_regardless_of_case(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "Alice").await;

    let again = store.create_user("alice", "other", now()).await;

    assert!(matches!(again, Err(StoreError::UsernameTaken)), "{again:?}");
    assert_eq!(
        store.credentials("ALICE").await.unwrap(),
        Some((alice, "hash".to_owned()))
    );
    assert_eq!(store.credentials("nobody").await.unwrap(), None);
    assert_eq!(store.password_hash(alice).await.unwrap(), "hash");
    assert!(matches!(
        store.password_hash(alice + 100).await,
        Err(StoreError::UserNotFound)
    ));
    let users = store.users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].username, "Alice");
}

pub async fn a_password_change_keeps_only_the_named_session(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let t = Utc::now().timestamp();
    let kept = store
        .create_session(alice, hash(1), t, t + 60)
        .await
        .unwrap();
    store
        .create_session(alice, hash(2), t, t + 60)
        .await
        .unwrap();

    store.set_password(alice, "new hash", kept).await.unwrap();

    assert_eq!(store.password_hash(alice).await.unwrap(), "new hash");
    assert_eq!(
        store.session(hash(1)).await.unwrap().map(|s| s.id),
        Some(kept)
    );
    assert_eq!(store.session(hash(2)).await.unwrap(), None);
}

pub async fn sessions_are_found_by_token_hash_touched_and_deleted(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let t = Utc::now().timestamp();
    let id = store
        .create_session(alice, hash(1), t, t + 60)
        .await
        .unwrap();

    let found = store.session(hash(1)).await.unwrap().expect("found");
    assert_eq!((found.id, found.user_id), (id, alice));
    assert_eq!((found.expires_at, found.last_used_at), (t + 60, t));

    store.touch_session(id, t + 5, t + 120).await.unwrap();
    let touched = store.session(hash(1)).await.unwrap().expect("found");
    assert_eq!((touched.expires_at, touched.last_used_at), (t + 120, t + 5));

    store.delete_session(id).await.unwrap();
    assert_eq!(store.session(hash(1)).await.unwrap(), None);
}

pub async fn expired_sessions_are_forgotten_when_a_new_one_starts(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let t = Utc::now().timestamp();
    store
        .create_session(alice, hash(1), t - 100, t - 1)
        .await
        .unwrap();

    store
        .create_session(alice, hash(2), t, t + 60)
        .await
        .unwrap();

    assert_eq!(store.session(hash(1)).await.unwrap(), None);
    assert!(store.session(hash(2)).await.unwrap().is_some());
}

pub async fn profiles_keep_picture_about_and_last_seen(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let seen: DateTime<Utc> = now();

    let none = store
        .set_profile_pic(alice, Some("static/uploads/a.png".into()))
        .await
        .unwrap();
    let previous = store
        .set_profile_pic(alice, Some("static/uploads/b.png".into()))
        .await
        .unwrap();
    store.set_about(alice, "Hello").await.unwrap();
    store.set_last_seen(alice, seen).await.unwrap();

    assert_eq!(none, None);
    assert_eq!(previous.as_deref(), Some("static/uploads/a.png"));
    let stored = store.user(alice).await.unwrap().expect("found");
    assert_eq!(stored.profile_pic.as_deref(), Some("static/uploads/b.png"));
    assert_eq!(stored.about.as_deref(), Some("Hello"));
    assert_eq!(stored.last_seen, Some(seen));
    assert!(matches!(
        store.set_profile_pic(alice + 100, None).await,
        Err(StoreError::UserNotFound)
    ));
    assert_eq!(store.user(alice + 100).await.unwrap(), None);
}

pub async fn a_direct_conversation_is_one_whatever_the_order(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    assert_eq!(
        store.find_direct_conversation(alice, bob).await.unwrap(),
        None
    );

    let first = store.direct_conversation(alice, bob).await.unwrap();
    let second = store.direct_conversation(bob, alice).await.unwrap();

    assert_eq!(first, second);
    assert_eq!(
        store.find_direct_conversation(bob, alice).await.unwrap(),
        Some(first)
    );
    let conversation = store.conversation(first).await.unwrap().expect("found");
    assert_eq!(conversation.kind, ConversationKind::Direct);
    let mut members = conversation.members.clone();
    members.sort_unstable();
    assert_eq!(members, vec![alice, bob]);
    assert_eq!(conversation.peer_of(alice), bob);
    assert_eq!(store.conversation(first + 100).await.unwrap(), None);
}

pub async fn a_note_to_self_is_a_conversation_of_one(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;

    let notes = store.direct_conversation(alice, alice).await.unwrap();

    let conversation = store.conversation(notes).await.unwrap().expect("found");
    assert_eq!(conversation.members, vec![alice]);
    assert_eq!(conversation.peer_of(alice), alice);
}

pub async fn a_direct_conversation_needs_both_people_to_exist(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;

    let refused = store.direct_conversation(alice, alice + 100).await;

    assert!(
        matches!(refused, Err(StoreError::UserNotFound)),
        "{refused:?}"
    );
    assert_eq!(
        store
            .find_direct_conversation(alice, alice + 100)
            .await
            .unwrap(),
        None
    );
}

pub async fn messages_are_stored_and_their_events_fed_in_log_order(subject: Subject) {
    let store = subject.store.clone();
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let conversation = store.direct_conversation(alice, bob).await.unwrap();

    // Concurrent posts: the feed still hears them in the order of the log.
    let posts = (0..20).map(|n| {
        let store = store.clone();
        async move { post(&*store, text(conversation, alice, &format!("m{n}"))).await }
    });
    let mut stored = futures_util::future::join_all(posts).await;
    stored.sort_unstable();

    let mut fed = Vec::new();
    for _ in 0..20 {
        let event = next_event(&subject).await;
        assert_eq!(event.conversation.id, conversation);
        let Change::Posted(message) = event.change else {
            panic!("a post is fed as Posted");
        };
        fed.push((event.seq, message.id));
    }
    assert_eq!(fed, stored, "every post fed once, in seq order");
    assert!(fed.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    let (_, history) = store
        .history(bob, conversation, Page::default())
        .await
        .unwrap();
    assert_eq!(history.len(), 20);
}

pub async fn only_members_may_post(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, eve) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "eve").await,
    );
    let conversation = store.direct_conversation(alice, bob).await.unwrap();

    let intruder = store
        .post_message(text(conversation, eve, "let me in"), now())
        .await;
    let nowhere = store
        .post_message(text(conversation + 100, alice, "hello?"), now())
        .await;

    assert!(
        matches!(intruder, Err(StoreError::NotAMember)),
        "{intruder:?}"
    );
    assert!(
        matches!(nowhere, Err(StoreError::ConversationNotFound)),
        "{nowhere:?}"
    );
    let (_, history) = store
        .history(alice, conversation, Page::default())
        .await
        .unwrap();
    assert!(history.is_empty());
    assert!(subject.committed.is_empty(), "nothing was fed");
}

pub async fn a_resend_with_the_same_client_id_is_stored_once(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let conversation = store.direct_conversation(alice, bob).await.unwrap();
    let tagged = NewMessage {
        client_id: Some("c-1".into()),
        ..text(conversation, alice, "once")
    };
    let (_, first) = post(store, tagged.clone()).await;
    next_event(&subject).await;

    let again = store.post_message(tagged, now()).await.unwrap();

    let Posted::Duplicate(message) = again else {
        panic!("a resend is a duplicate: {again:?}");
    };
    assert_eq!(message.id, first);
    assert_eq!(message.client_id.as_deref(), Some("c-1"));
    assert!(subject.committed.is_empty(), "a duplicate is not fed");
    // Another sender may use the same id for a message of their own.
    let (_, theirs) = post(
        store,
        NewMessage {
            client_id: Some("c-1".into()),
            ..text(conversation, bob, "mine")
        },
    )
    .await;
    assert_ne!(theirs, first);
}

pub async fn only_the_sender_may_edit_and_only_text(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let conversation = store.direct_conversation(alice, bob).await.unwrap();
    let (posted_seq, id) = post(store, text(conversation, alice, "draft")).await;
    let file = NewMessage {
        body: Body::File(file_meta()),
        ..text(conversation, alice, "")
    };
    let (_, file_id) = post(store, file).await;
    next_event(&subject).await;
    next_event(&subject).await;

    let by_bob = store.edit_message(bob, id, "hacked", now()).await;
    let a_file = store.edit_message(alice, file_id, "text", now()).await;
    let missing = store.edit_message(alice, id + 100, "text", now()).await;
    let edited = store.edit_message(alice, id, "final", now()).await.unwrap();

    assert!(
        matches!(by_bob, Err(StoreError::NotYourMessage)),
        "{by_bob:?}"
    );
    assert!(matches!(a_file, Err(StoreError::NotEditable)), "{a_file:?}");
    assert!(
        matches!(missing, Err(StoreError::MessageNotFound)),
        "{missing:?}"
    );
    assert!(edited.seq > posted_seq);
    assert_eq!(next_event(&subject).await, edited, "the edit is fed");
    let Change::Edited(message) = &edited.change else {
        panic!("an edit is fed as Edited");
    };
    assert_eq!(message.body, Body::Text("final".into()));
    assert!(message.edited_at.is_some());
    let (_, history) = store
        .history(bob, conversation, Page::default())
        .await
        .unwrap();
    assert_eq!(history[0].body, Body::Text("final".into()));
    assert_eq!(history[0].edited_at, message.edited_at);
}

pub async fn history_pages_walk_back_by_id(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let conversation = store.direct_conversation(alice, bob).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            post(store, text(conversation, alice, &format!("m{n}")))
                .await
                .1,
        );
    }

    let page = |before, limit| Page {
        before,
        limit,
        ..Page::default()
    };
    let newest = store
        .history(alice, conversation, page(None, Some(2)))
        .await
        .unwrap()
        .1;
    let older = store
        .history(alice, conversation, page(Some(newest[0].id), Some(2)))
        .await
        .unwrap()
        .1;
    let all = store
        .history(alice, conversation, Page::default())
        .await
        .unwrap()
        .1;

    let ids_of = |messages: &[server_core::store::Message]| {
        messages.iter().map(|m| m.id).collect::<Vec<_>>()
    };
    assert_eq!(ids_of(&newest), ids[3..5]);
    assert_eq!(ids_of(&older), ids[1..3]);
    assert_eq!(ids_of(&all), ids);
}

pub async fn history_is_for_members_only(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, eve) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "eve").await,
    );
    let conversation = store.direct_conversation(alice, bob).await.unwrap();
    post(store, text(conversation, alice, "secret")).await;

    let peeking = store.history(eve, conversation, Page::default()).await;
    let nowhere = store
        .history(alice, conversation + 100, Page::default())
        .await;

    assert!(
        matches!(peeking, Err(StoreError::NotAMember)),
        "{peeking:?}"
    );
    assert!(
        matches!(nowhere, Err(StoreError::ConversationNotFound)),
        "{nowhere:?}"
    );
}

pub async fn summaries_come_most_recent_first_with_unread_counts(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, carol) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "carol").await,
    );
    let with_bob = store.direct_conversation(alice, bob).await.unwrap();
    let with_carol = store.direct_conversation(carol, alice).await.unwrap();
    let unused = store.direct_conversation(bob, carol).await.unwrap();
    post(store, text(with_bob, alice, "old")).await;
    post(store, text(with_carol, carol, "newer")).await;
    post(store, text(with_bob, bob, "newest")).await;

    let summaries = store.summaries(alice).await.unwrap();

    let seen: Vec<_> = summaries
        .iter()
        .filter(|s| s.conversation.kind == ConversationKind::Direct)
        .map(|s| {
            let last = s.last_message.as_ref().expect("a last message");
            (s.conversation.id, last.body.clone(), s.unread)
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (with_bob, Body::Text("newest".into()), 1),
            (with_carol, Body::Text("newer".into()), 1),
        ],
        "direct conversations with messages, newest first, each with what is unread"
    );
    let bobs = store.summaries(bob).await.unwrap();
    assert!(
        bobs.iter().all(|s| s.conversation.id != unused),
        "a direct conversation without messages is not listed"
    );
}

fn file_meta() -> FileMeta {
    FileMeta {
        path: "static/files/1_00_report.pdf".into(),
        name: "report (final).pdf".into(),
        size: 1234,
        mime_type: "application/pdf".into(),
    }
}

pub async fn a_stored_file_reads_back_whole(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let conversation = store.direct_conversation(alice, bob).await.unwrap();

    post(
        store,
        NewMessage {
            body: Body::File(file_meta()),
            ..text(conversation, alice, "")
        },
    )
    .await;

    let (_, history) = store
        .history(bob, conversation, Page::default())
        .await
        .unwrap();
    assert_eq!(history[0].body, Body::File(file_meta()));
    assert_eq!(history[0].sender_id, alice);
    assert_eq!(history[0].conversation_id, conversation);
}
