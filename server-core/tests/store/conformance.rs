//! What every [`Store`] must do, written against the trait alone so that
//! each implementation runs the same cases: `suite!(open)` expands to one
//! test per case over the stores `open` makes.

mod search;

use std::{any::Any, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use server_core::store::{
    Body, Catchup, Change, Committed, ConversationId, ConversationKind, FileMeta, MembershipChange,
    NewConversation, NewMessage, Notice, NoticeAction, Page, Posted, Role, SettingsChange, Store,
    StoreError, UserId, now,
};

// Replies, mentions and reactions have a file of their own.
pub use crate::replies::*;

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
            rooms_and_groups_start_with_their_creator_as_admin_and_a_notice,
            only_open_rooms_may_be_joined_and_direct_conversations_not_left,
            only_admins_change_membership_and_an_admin_remains,
            deleting_leaves_a_tombstone_and_hands_back_the_file,
            read_positions_only_move_forward_and_reach_those_who_share,
            a_backfill_shows_each_member_their_window_of_the_log,
            deliveries_are_kept_for_direct_conversations_for_the_senders_ticks,
            a_rename_is_a_notice_and_the_new_title,
            members_may_download_their_conversations_files,
            a_closed_store_finishes_what_it_took_and_refuses_the_rest,
            a_probe_write_succeeds_until_the_store_is_closed,
            a_reply_quotes_what_it_answers_as_that_is_now,
            a_reply_must_be_to_a_text_or_file_the_sender_sees_in_the_same_conversation,
            mentions_are_the_members_a_text_names,
            an_edit_recomputes_mentions_and_the_room,
            only_admins_notify_everyone_in_a_conversation_of_more_than_fifty,
            unread_mentions_count_what_names_the_reader_or_the_room_until_read,
            reactions_are_kept_per_person_and_emoji_in_the_order_they_came,
            only_members_react_to_texts_and_files_they_see_and_to_twenty_emoji_at_most,
            settings_start_at_their_defaults_and_change_only_where_named,
            a_member_chooses_how_each_conversation_notifies_them,
            search_ranks_the_most_relevant_first_and_marks_the_words_found,
            search_takes_the_last_word_as_it_is_being_typed,
            search_finds_files_by_name_and_follows_edits_and_deletes,
            search_finds_only_what_the_viewer_may_read,
            search_filters_by_conversation_sender_time_and_files,
            search_pages_through_the_results,
            search_takes_any_text_as_plain_words,
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

mod notifications;
pub use notifications::*;
pub use search::*;

fn hash(n: u8) -> [u8; 32] {
    [n; 32]
}

/// A new user; the events of their joining General are drained, so that a
/// case sees only the events it causes.
pub(crate) async fn user(subject: &Subject, name: &str) -> UserId {
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
pub(crate) fn drain(subject: &Subject) {
    while subject.committed.try_recv().is_ok() {}
}

pub(crate) fn text(conversation: ConversationId, sender: UserId, content: &str) -> NewMessage {
    NewMessage {
        conversation,
        sender,
        body: Body::Text(content.into()),
        client_id: None,
        reply_to: None,
    }
}

/// The next committed event, which must come promptly.
pub(crate) async fn next_event(subject: &Subject) -> Committed {
    tokio::time::timeout(Duration::from_secs(10), subject.committed.recv_async())
        .await
        .expect("an event in time")
        .expect("the feed is open")
}

pub(crate) async fn post(store: &dyn Store, message: NewMessage) -> (i64, i64) {
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
    let unnamed = store
        .user(alice)
        .await
        .unwrap()
        .expect("found")
        .display_name;
    store
        .set_display_name(alice, Some("Alice O"))
        .await
        .unwrap();

    assert_eq!(none, None);
    assert_eq!(previous.as_deref(), Some("static/uploads/a.png"));
    let stored = store.user(alice).await.unwrap().expect("found");
    assert_eq!(stored.profile_pic.as_deref(), Some("static/uploads/b.png"));
    assert_eq!(stored.about.as_deref(), Some("Hello"));
    assert_eq!(stored.last_seen, Some(seen));
    assert_eq!(unnamed, None);
    assert_eq!(stored.display_name.as_deref(), Some("Alice O"));
    store.set_display_name(alice, None).await.unwrap();
    let cleared = store.user(alice).await.unwrap().expect("found");
    assert_eq!(cleared.display_name, None);
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

pub(crate) fn file_meta() -> FileMeta {
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

pub(crate) async fn group_of(
    subject: &Subject,
    kind: ConversationKind,
    creator: UserId,
    members: Vec<UserId>,
) -> ConversationId {
    let new = NewConversation {
        creator,
        kind,
        title: "Team".into(),
        members,
    };
    let id = subject
        .store
        .create_conversation(new, now())
        .await
        .expect("created");
    drain(subject);
    id
}

pub async fn rooms_and_groups_start_with_their_creator_as_admin_and_a_notice(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);

    let group = store
        .create_conversation(
            NewConversation {
                creator: alice,
                kind: ConversationKind::Group,
                title: "Team".into(),
                members: vec![bob],
            },
            now(),
        )
        .await
        .unwrap();
    let direct = store
        .create_conversation(
            NewConversation {
                creator: alice,
                kind: ConversationKind::Direct,
                title: "no".into(),
                members: vec![bob],
            },
            now(),
        )
        .await;

    let event = next_event(&subject).await;
    assert_eq!(event.conversation.id, group);
    assert_eq!(event.conversation.kind, ConversationKind::Group);
    assert_eq!(event.conversation.title.as_deref(), Some("Team"));
    assert_eq!(event.audience, vec![alice, bob]);
    let Change::Posted(notice) = &event.change else {
        panic!("a notice is posted");
    };
    assert!(matches!(&notice.body, Body::Notice(n) if n.action == NoticeAction::Created));
    assert!(matches!(direct, Err(StoreError::NotARoom)), "{direct:?}");
    let (summary, members) = store.summary(bob, group).await.unwrap();
    assert_eq!(summary.role, Role::Member);
    let roles: Vec<(UserId, Role)> = members.iter().map(|m| (m.user_id, m.role)).collect();
    assert_eq!(roles, vec![(alice, Role::Admin), (bob, Role::Member)]);
}

pub async fn only_open_rooms_may_be_joined_and_direct_conversations_not_left(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let room = group_of(&subject, ConversationKind::Room, alice, vec![]).await;
    let group = group_of(&subject, ConversationKind::Group, alice, vec![]).await;
    let direct = store.direct_conversation(alice, bob).await.unwrap();

    let into_group = store
        .change_membership(bob, group, MembershipChange::Join, now())
        .await;
    let out_of_direct = store
        .change_membership(bob, direct, MembershipChange::Leave, now())
        .await;
    store
        .change_membership(bob, room, MembershipChange::Join, now())
        .await
        .unwrap();
    let joined = next_event(&subject).await;
    store
        .change_membership(bob, room, MembershipChange::Join, now())
        .await
        .unwrap();

    assert!(
        matches!(into_group, Err(StoreError::ConversationNotFound)),
        "{into_group:?}"
    );
    assert!(
        matches!(out_of_direct, Err(StoreError::NotARoom)),
        "{out_of_direct:?}"
    );
    assert_eq!(joined.conversation.members, vec![alice, bob]);
    assert!(
        subject.committed.is_empty(),
        "joining twice changes nothing"
    );
    let rooms = store.open_rooms(bob).await.unwrap();
    assert!(
        rooms
            .iter()
            .any(|r| r.id == room && r.joined && r.member_count == 2)
    );
    assert!(
        rooms.iter().all(|r| r.id != group),
        "private groups are not listed"
    );
}

pub async fn only_admins_change_membership_and_an_admin_remains(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, carol) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "carol").await,
    );
    let group = group_of(&subject, ConversationKind::Group, alice, vec![bob]).await;

    let by_member = store
        .change_membership(bob, group, MembershipChange::Add(carol), now())
        .await;
    let last_admin = store
        .change_membership(
            alice,
            group,
            MembershipChange::SetRole(alice, Role::Member),
            now(),
        )
        .await;
    store
        .change_membership(alice, group, MembershipChange::Leave, now())
        .await
        .unwrap();
    let left = next_event(&subject).await;
    let promoted = next_event(&subject).await;

    assert!(
        matches!(by_member, Err(StoreError::NotAnAdmin)),
        "{by_member:?}"
    );
    assert!(
        matches!(last_admin, Err(StoreError::LastAdmin)),
        "{last_admin:?}"
    );
    assert_eq!(
        left.audience,
        vec![bob, alice],
        "the leaver hears of it too"
    );
    let Change::Posted(notice) = &promoted.change else {
        panic!("a notice");
    };
    assert!(
        matches!(&notice.body, Body::Notice(n) if n.action == NoticeAction::Promoted && n.user_id == Some(bob))
    );
    assert_eq!(store.summary(bob, group).await.unwrap().0.role, Role::Admin);
    assert!(
        matches!(
            store.summary(alice, group).await,
            Err(StoreError::ConversationNotFound)
        ),
        "a private group is not found by those outside it, even former members"
    );
}

pub async fn deleting_leaves_a_tombstone_and_hands_back_the_file(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob]).await;
    let (_, bobs) = post(store, text(room, bob, "bob's")).await;
    let file = NewMessage {
        body: Body::File(file_meta()),
        ..text(room, bob, "")
    };
    let (_, file_id) = post(store, file).await;
    drain(&subject);

    let missing = store.delete_message(bob, None, bobs + 1000, now()).await;
    let wrong_room = store
        .delete_message(bob, Some(room + 1000), bobs, now())
        .await;
    let path = store
        .delete_message(bob, None, file_id, now())
        .await
        .unwrap();
    let by_admin = store
        .delete_message(alice, Some(room), bobs, now())
        .await
        .unwrap();
    let again = store.delete_message(alice, None, bobs, now()).await;

    assert!(matches!(missing, Err(StoreError::MessageNotFound)));
    assert!(matches!(wrong_room, Err(StoreError::MessageNotFound)));
    assert_eq!(path, Some(file_meta().path));
    assert_eq!(by_admin, None);
    assert!(matches!(again, Err(StoreError::MessageNotFound)));
    let first = next_event(&subject).await;
    assert_eq!(
        first.change,
        Change::Deleted {
            message_id: file_id,
            deleted_by: bob
        }
    );
    let (_, history) = store.history(alice, room, Page::default()).await.unwrap();
    let tombstones: Vec<_> = history
        .iter()
        .filter(|m| m.id == bobs || m.id == file_id)
        .map(|m| (m.body.clone(), m.deleted_at.is_some()))
        .collect();
    assert_eq!(
        tombstones,
        vec![(Body::Deleted, true), (Body::Deleted, true)]
    );
    assert!(!store.may_download(alice, &file_meta().path).await.unwrap());
}

pub async fn read_positions_only_move_forward_and_reach_those_who_share(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, carol) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "carol").await,
    );
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob, carol]).await;
    let (_, first) = post(store, text(room, alice, "one")).await;
    let (_, second) = post(store, text(room, alice, "two")).await;
    let off = SettingsChange {
        read_receipts: Some(false),
        ..SettingsChange::default()
    };
    store.change_settings(carol, off).await.unwrap();
    drain(&subject);

    store.mark_read(bob, room, second, now()).await.unwrap();
    let read = next_event(&subject).await;
    store.mark_read(bob, room, first, now()).await.unwrap();
    store
        .mark_read(carol, room, second + 1000, now())
        .await
        .unwrap();
    let carols = next_event(&subject).await;

    assert_eq!(
        read.change,
        Change::Read {
            user_id: bob,
            message_id: second
        }
    );
    assert_eq!(
        read.audience,
        vec![bob, alice],
        "bob's devices and those who share"
    );
    assert_eq!(carols.audience, vec![carol], "carol shares with no one");
    assert_eq!(
        carols.change,
        Change::Read {
            user_id: carol,
            message_id: second
        },
        "never past the newest message"
    );
    assert!(subject.committed.is_empty(), "moving back changes nothing");
    assert_eq!(store.summary(bob, room).await.unwrap().0.last_read, second);
    assert!(!store.settings(carol).await.unwrap().read_receipts);
    let (_, members) = store.summary(alice, room).await.unwrap();
    let seen: Vec<_> = members.iter().map(|m| (m.user_id, m.last_read)).collect();
    assert_eq!(
        seen,
        vec![(alice, Some(0)), (bob, Some(second)), (carol, None)]
    );
}

pub async fn a_backfill_shows_each_member_their_window_of_the_log(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let room = group_of(&subject, ConversationKind::Room, alice, vec![]).await;
    let start = store.head().await.unwrap();
    post(store, text(room, alice, "before bob")).await;
    store
        .change_membership(bob, room, MembershipChange::Join, now())
        .await
        .unwrap();
    post(store, text(room, alice, "with bob")).await;
    store
        .change_membership(alice, room, MembershipChange::Remove(bob), now())
        .await
        .unwrap();
    post(store, text(room, alice, "after bob")).await;

    let bobs = store
        .events_after(bob, start, Catchup::Page(100))
        .await
        .unwrap();
    let paged = store
        .events_after(alice, start, Catchup::Page(2))
        .await
        .unwrap();
    let whole = store
        .events_after(alice, start, Catchup::Whole(100))
        .await
        .unwrap();
    let too_much = store
        .events_after(alice, start, Catchup::Whole(2))
        .await
        .unwrap();

    let seen: Vec<Body> = bobs
        .events
        .iter()
        .map(|e| match &e.change {
            Change::Posted(m) => m.body.clone(),
            other => panic!("only posts here: {other:?}"),
        })
        .collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(matches!(&seen[0], Body::Notice(n) if n.action == NoticeAction::Joined));
    assert_eq!(seen[1], Body::Text("with bob".into()));
    assert!(matches!(&seen[2], Body::Notice(n) if n.action == NoticeAction::Removed));
    assert!(bobs.complete);
    assert_eq!(bobs.seq, store.head().await.unwrap());
    assert!(!paged.complete);
    assert_eq!(paged.events.len(), 2);
    assert_eq!(paged.seq, paged.events[1].seq);
    // All of it, or, past the limit, none and the head to start over from.
    assert!(whole.complete);
    assert_eq!(
        whole.events.len(),
        5,
        "three posts, the join and the removal"
    );
    assert!(!too_much.complete);
    assert!(too_much.events.is_empty());
    assert_eq!(too_much.seq, store.head().await.unwrap());
}

pub async fn deliveries_are_kept_for_direct_conversations_for_the_senders_ticks(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let direct = store.direct_conversation(alice, bob).await.unwrap();
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob]).await;
    let (_, sent) = post(store, text(direct, alice, "hi")).await;
    post(store, text(room, alice, "hi all")).await;
    drain(&subject);

    store
        .mark_delivered(bob, direct, sent, now())
        .await
        .unwrap();
    let delivered = next_event(&subject).await;
    store
        .mark_delivered(bob, direct, sent, now())
        .await
        .unwrap();
    store
        .mark_delivered(bob, room, sent + 1, now())
        .await
        .unwrap();

    assert_eq!(
        delivered.change,
        Change::Delivered {
            user_id: bob,
            message_id: sent
        }
    );
    assert_eq!(delivered.audience, vec![alice], "for the sender's ticks");
    assert!(subject.committed.is_empty(), "once, and not in rooms");
    let (_, members) = store.summary(alice, direct).await.unwrap();
    let bobs = members.iter().find(|m| m.user_id == bob).unwrap();
    assert_eq!(bobs.delivered, Some(sent));
}

pub async fn a_rename_is_a_notice_and_the_new_title(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let group = group_of(&subject, ConversationKind::Group, alice, vec![]).await;

    store
        .change_membership(
            alice,
            group,
            MembershipChange::Rename("Renamed".into()),
            now(),
        )
        .await
        .unwrap();

    let event = next_event(&subject).await;
    assert_eq!(event.conversation.title.as_deref(), Some("Renamed"));
    let Change::Posted(notice) = event.change else {
        panic!("a notice");
    };
    assert_eq!(
        notice.body,
        Body::Notice(Notice {
            action: NoticeAction::Renamed,
            user_id: None,
            title: Some("Renamed".into()),
        })
    );
}

pub async fn members_may_download_their_conversations_files(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, eve) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "eve").await,
    );
    let direct = store.direct_conversation(alice, bob).await.unwrap();
    post(
        store,
        NewMessage {
            body: Body::File(file_meta()),
            ..text(direct, alice, "")
        },
    )
    .await;

    assert!(store.may_download(bob, &file_meta().path).await.unwrap());
    assert!(store.may_download(alice, &file_meta().path).await.unwrap());
    assert!(!store.may_download(eve, &file_meta().path).await.unwrap());
    assert!(!store.may_download(bob, "static/files/other").await.unwrap());
}

pub async fn a_closed_store_finishes_what_it_took_and_refuses_the_rest(subject: Subject) {
    let store = subject.store.clone();
    let alice = user(&subject, "alice").await;
    let notes = store.direct_conversation(alice, alice).await.unwrap();

    let posted = post(&*store, text(notes, alice, "before closing")).await;
    store.close().await;
    store.close().await;
    let after = store
        .post_message(text(notes, alice, "after closing"), now())
        .await;

    assert!(posted.1 > 0);
    assert!(
        matches!(after, Err(StoreError::Unavailable(_))),
        "{after:?}"
    );
}

pub async fn a_probe_write_succeeds_until_the_store_is_closed(subject: Subject) {
    let store = &*subject.store;

    store.check_writable().await.expect("writable");
    store.check_writable().await.expect("again");
    store.close().await;

    assert!(matches!(
        store.check_writable().await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(subject.committed.is_empty(), "a probe is no event");
}
