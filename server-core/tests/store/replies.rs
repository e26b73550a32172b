//! Conformance cases for replies, mentions and reactions, run with the rest
//! of the suite (`suite!` in `conformance.rs`).

use server_core::store::{
    Body, Catchup, Change, ConversationId, ConversationKind, LARGE_CONVERSATION, MAX_REACTIONS,
    MembershipChange, Message, MessageId, NewMessage, Page, Posted, Quote, Quoted, Reaction, Store,
    StoreError, UserId, excerpt, now,
};

use crate::conformance::{Subject, drain, file_meta, group_of, next_event, post, text, user};

fn reply(message: NewMessage, to: MessageId) -> NewMessage {
    NewMessage {
        reply_to: Some(to),
        ..message
    }
}

/// Posts and returns the message as stored.
async fn posted(store: &dyn Store, message: NewMessage) -> Message {
    match store.post_message(message, now()).await.expect("posted") {
        Posted::New { message, .. } => message,
        Posted::Duplicate(message) => panic!("unexpected duplicate of {}", message.id),
    }
}

/// Message `id` as `viewer`'s history shows it.
async fn shown(
    store: &dyn Store,
    viewer: UserId,
    conversation: ConversationId,
    id: MessageId,
) -> Message {
    let (_, history) = store
        .history(viewer, conversation, Page::default())
        .await
        .expect("history");
    history
        .into_iter()
        .find(|m| m.id == id)
        .expect("in the history")
}

fn reaction(emoji: &str, user_ids: &[UserId]) -> Reaction {
    Reaction {
        emoji: emoji.into(),
        user_ids: user_ids.to_vec(),
    }
}

pub async fn a_reply_quotes_what_it_answers_as_that_is_now(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob]).await;
    let (_, question) = post(store, text(room, alice, "\n  Lunch on Friday?\nOr later")).await;
    let (_, plan) = post(
        store,
        NewMessage {
            body: Body::File(file_meta()),
            ..text(room, alice, "")
        },
    )
    .await;
    // Past the excerpt's length, in characters of two bytes, and a CRLF.
    let long_text = format!("{}\r\nsecond line", "é".repeat(150));
    let (_, long) = post(store, text(room, alice, &long_text)).await;
    drain(&subject);

    let answer = posted(store, reply(text(room, bob, "Friday"), question)).await;
    let fed = next_event(&subject).await;
    let to_file = posted(store, reply(text(room, bob, "Got it"), plan)).await;
    let to_long = posted(store, reply(text(room, bob, "Long"), long)).await;
    store
        .delete_message(alice, None, question, now())
        .await
        .unwrap();

    assert_eq!(
        answer.reply_to,
        Some(Quote {
            message_id: question,
            sender_id: alice,
            quoted: Quoted::Text("Lunch on Friday?".into()),
        })
    );
    assert_eq!(
        fed.change,
        Change::Posted(answer.clone()),
        "members hear the quote"
    );
    assert_eq!(
        to_file.reply_to.as_ref().map(|q| &q.quoted),
        Some(&Quoted::File(file_meta().name))
    );
    let long_quote = Quoted::Text(excerpt(&long_text));
    assert_eq!(
        to_long.reply_to.as_ref().map(|q| &q.quoted),
        Some(&long_quote)
    );
    // Read later, each quote is of its original as that is now.
    let answered = shown(store, bob, room, answer.id).await;
    assert_eq!(
        answered.reply_to,
        Some(Quote {
            message_id: question,
            sender_id: alice,
            quoted: Quoted::Deleted,
        })
    );
    assert_eq!(
        shown(store, alice, room, to_file.id).await.reply_to,
        to_file.reply_to
    );
    assert_eq!(
        shown(store, alice, room, to_long.id).await.reply_to,
        to_long.reply_to,
        "a stored text quotes as the text it was posted with"
    );
    let backfill = store
        .events_after(bob, 0, Catchup::Page(1000))
        .await
        .unwrap();
    let backfilled = backfill
        .events
        .iter()
        .find_map(|event| match &event.change {
            Change::Posted(message) if message.id == answer.id => Some(message),
            _ => None,
        })
        .expect("the reply is backfilled");
    assert_eq!(backfilled.reply_to, answered.reply_to);
}

pub async fn a_reply_must_be_to_a_text_or_file_the_sender_sees_in_the_same_conversation(
    subject: Subject,
) {
    let store = &*subject.store;
    let (alice, bob, carol) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "carol").await,
    );
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob]).await;
    let other = group_of(&subject, ConversationKind::Room, alice, vec![bob, carol]).await;
    let (_, elsewhere) = post(store, text(other, alice, "elsewhere")).await;
    let (_, before_carol) = post(store, text(room, alice, "before carol")).await;
    store
        .change_membership(alice, room, MembershipChange::Add(carol), now())
        .await
        .unwrap();
    let (_, doomed) = post(store, text(room, alice, "doomed")).await;
    store
        .delete_message(alice, None, doomed, now())
        .await
        .unwrap();
    let (_, history) = store.history(bob, room, Page::default()).await.unwrap();
    let notice = history
        .iter()
        .find(|m| matches!(m.body, Body::Notice(_)))
        .expect("the room's notice")
        .id;
    drain(&subject);

    let mut refused = Vec::new();
    for target in [elsewhere, doomed, notice, doomed + 1000] {
        refused.push(
            store
                .post_message(reply(text(room, bob, "re"), target), now())
                .await,
        );
    }
    refused.push(
        store
            .post_message(reply(text(room, carol, "re"), before_carol), now())
            .await,
    );

    for attempt in refused {
        assert!(
            matches!(attempt, Err(StoreError::ReplyTargetNotFound)),
            "{attempt:?}"
        );
    }
    assert!(subject.committed.is_empty(), "nothing was fed");
    let (_, after) = store.history(bob, room, Page::default()).await.unwrap();
    assert_eq!(after, history, "nothing was stored");
}

pub async fn mentions_are_the_members_a_text_names(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, carol, dave) = (
        user(&subject, "alice").await,
        user(&subject, "Bob").await,
        user(&subject, "carol").await,
        user(&subject, "dave").await,
    );
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob, carol]).await;
    let direct = store.direct_conversation(alice, dave).await.unwrap();

    let named = posted(
        store,
        text(
            room,
            alice,
            "@carol @BOB, and @dave @nobody. carol@example.com",
        ),
    )
    .await;
    let fed = next_event(&subject).await;
    let in_direct = posted(store, text(direct, alice, "@room, @Dave")).await;
    let file = posted(
        store,
        NewMessage {
            body: Body::File(file_meta()),
            ..text(room, alice, "")
        },
    )
    .await;

    assert_eq!(named.mentions, vec![bob, carol], "members only, ascending");
    assert!(!named.mentions_room);
    assert_eq!(fed.change, Change::Posted(named.clone()));
    let shown_named = shown(store, carol, room, named.id).await;
    assert_eq!(shown_named.mentions, vec![bob, carol]);
    assert_eq!(in_direct.mentions, vec![dave]);
    assert!(
        !in_direct.mentions_room,
        "@room is plain text in a direct conversation"
    );
    assert!(file.mentions.is_empty() && !file.mentions_room);
}

pub async fn an_edit_recomputes_mentions_and_the_room(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, carol) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "carol").await,
    );
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob, carol]).await;
    let (_, id) = post(store, text(room, bob, "@alice look")).await;
    drain(&subject);

    let edited = store
        .edit_message(bob, id, "@carol look, @room", now())
        .await
        .unwrap();
    let fed = next_event(&subject).await;
    let shown_edited = shown(store, alice, room, id).await;
    let plain = store.edit_message(bob, id, "look", now()).await.unwrap();

    let Change::Edited(message) = &edited.change else {
        panic!("an edit is fed as Edited");
    };
    assert_eq!(message.mentions, vec![carol]);
    assert!(message.mentions_room);
    assert_eq!(fed, edited);
    assert_eq!(shown_edited.mentions, vec![carol]);
    assert!(shown_edited.mentions_room);
    let Change::Edited(message) = &plain.change else {
        panic!("an edit is fed as Edited");
    };
    assert!(message.mentions.is_empty() && !message.mentions_room);
    let shown_plain = shown(store, alice, room, id).await;
    assert!(shown_plain.mentions.is_empty() && !shown_plain.mentions_room);
}

pub async fn only_admins_notify_everyone_in_a_conversation_of_more_than_fifty(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    // Alice, Bob and 48 more: fifty.
    let mut members = vec![bob];
    for n in 0..LARGE_CONVERSATION - 2 {
        members.push(user(&subject, &format!("member{n}")).await);
    }
    let room = group_of(&subject, ConversationKind::Room, alice, members).await;
    let at_fifty = posted(store, text(room, bob, "@room lunch?")).await;
    let (_, plain) = post(store, text(room, bob, "no one named")).await;
    let one_more = user(&subject, "one_more").await;
    store
        .change_membership(alice, room, MembershipChange::Add(one_more), now())
        .await
        .unwrap();
    let (_, before) = store.history(bob, room, Page::default()).await.unwrap();
    drain(&subject);

    let by_member = store
        .post_message(text(room, bob, "@everyone lunch?"), now())
        .await;
    let edit_by_member = store.edit_message(bob, plain, "now @room", now()).await;
    let (_, after) = store.history(bob, room, Page::default()).await.unwrap();
    let by_admin = posted(store, text(room, alice, "@room lunch!")).await;

    assert_eq!(
        store
            .conversation(room)
            .await
            .unwrap()
            .unwrap()
            .members
            .len(),
        LARGE_CONVERSATION + 1
    );
    assert!(at_fifty.mentions_room, "at fifty, anyone may");
    assert!(
        matches!(by_member, Err(StoreError::RoomMentionNotAllowed)),
        "{by_member:?}"
    );
    assert!(
        matches!(edit_by_member, Err(StoreError::RoomMentionNotAllowed)),
        "{edit_by_member:?}"
    );
    assert_eq!(after, before, "nothing was stored or changed");
    assert!(by_admin.mentions_room);
    let fed = next_event(&subject).await;
    assert_eq!(
        fed.change,
        Change::Posted(by_admin),
        "only the admin's was fed"
    );
}

pub async fn unread_mentions_count_what_names_the_reader_or_the_room_until_read(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, carol) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "carol").await,
    );
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob, carol]).await;
    let (_, to_bob) = post(store, text(room, alice, "@bob one")).await;
    post(store, text(room, alice, "plain")).await;
    post(store, text(room, alice, "@room two")).await;
    post(store, text(room, alice, "@carol three")).await;
    let (_, own) = post(store, text(room, bob, "@bob, note to self")).await;
    let counts = |user: UserId| async move {
        let (summary, _) = store.summary(user, room).await.unwrap();
        let listed = store.summaries(user).await.unwrap();
        let listed = listed
            .iter()
            .find(|s| s.conversation.id == room)
            .expect("listed");
        assert_eq!(
            (listed.unread, listed.unread_mentions),
            (summary.unread, summary.unread_mentions),
            "the list agrees"
        );
        (summary.unread, summary.unread_mentions)
    };

    assert_eq!(counts(bob).await, (4, 2), "not their own");
    assert_eq!(counts(carol).await, (5, 2));
    assert_eq!(counts(alice).await, (1, 0));

    store
        .delete_message(alice, None, to_bob, now())
        .await
        .unwrap();
    assert_eq!(
        counts(bob).await,
        (3, 1),
        "a deleted message counts no more"
    );
    store.mark_read(bob, room, own, now()).await.unwrap();
    assert_eq!(counts(bob).await, (0, 0));
}

pub async fn reactions_are_kept_per_person_and_emoji_in_the_order_they_came(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob]).await;
    let (_, id) = post(store, text(room, alice, "Friday?")).await;
    drain(&subject);

    let first = store
        .react(bob, Some(room), id, "👍", true, now())
        .await
        .unwrap();
    let fed = next_event(&subject).await;
    store
        .react(alice, None, id, "🎉", true, now())
        .await
        .unwrap();
    let both = store
        .react(alice, None, id, "👍", true, now())
        .await
        .unwrap();
    let again = store.react(bob, None, id, "👍", true, now()).await.unwrap();
    let events_before_removal = subject.committed.len();
    let removed = store
        .react(bob, None, id, "👍", false, now())
        .await
        .unwrap();
    let absent = store
        .react(bob, None, id, "👍", false, now())
        .await
        .unwrap();

    assert_eq!(first, vec![reaction("👍", &[bob])]);
    assert_eq!(fed.audience, vec![alice, bob]);
    assert_eq!(
        fed.change,
        Change::Reacted {
            message_id: id,
            user_id: bob,
            emoji: "👍".into(),
            added: true,
        }
    );
    let expected = vec![reaction("👍", &[bob, alice]), reaction("🎉", &[alice])];
    assert_eq!(both, expected);
    assert_eq!(again, expected, "adding what is there changes nothing");
    assert_eq!(events_before_removal, 2, "and feeds nothing");
    // 👍 is first used now by Alice, after her 🎉.
    let after_removal = vec![reaction("🎉", &[alice]), reaction("👍", &[alice])];
    assert_eq!(removed, after_removal);
    assert_eq!(absent, after_removal);
    drain(&subject);
    assert_eq!(shown(store, bob, room, id).await.reactions, after_removal);
    let backfill = store
        .events_after(bob, fed.seq - 1, Catchup::Page(100))
        .await
        .unwrap();
    let logged: Vec<(UserId, &str, bool)> = backfill
        .events
        .iter()
        .map(|event| match &event.change {
            Change::Reacted {
                message_id,
                user_id,
                emoji,
                added,
            } if *message_id == id => (*user_id, emoji.as_str(), *added),
            other => panic!("only reactions: {other:?}"),
        })
        .collect();
    assert_eq!(
        logged,
        [
            (bob, "👍", true),
            (alice, "🎉", true),
            (alice, "👍", true),
            (bob, "👍", false),
        ],
        "each change once, in order"
    );
}

pub async fn only_members_react_to_texts_and_files_they_see_and_to_twenty_emoji_at_most(
    subject: Subject,
) {
    let store = &*subject.store;
    let (alice, bob, eve) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "eve").await,
    );
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob]).await;
    let group = group_of(&subject, ConversationKind::Group, alice, vec![bob]).await;
    let (_, in_room) = post(store, text(room, alice, "room")).await;
    let (_, in_group) = post(store, text(group, alice, "group")).await;
    let (_, doomed) = post(store, text(room, alice, "doomed")).await;
    let (_, history) = store.history(alice, room, Page::default()).await.unwrap();
    let notice = history[0].id;
    store
        .react(bob, None, doomed, "👍", true, now())
        .await
        .unwrap();
    store
        .delete_message(alice, None, doomed, now())
        .await
        .unwrap();
    drain(&subject);

    let outsider = store.react(eve, None, in_room, "👍", true, now()).await;
    let outside_group = store.react(eve, None, in_group, "👍", true, now()).await;
    let wrong_room = store
        .react(bob, Some(group), in_room, "👍", true, now())
        .await;
    let missing = store
        .react(bob, None, in_room + 1000, "👍", true, now())
        .await;
    let to_notice = store.react(bob, None, notice, "👍", true, now()).await;
    let to_deleted = store.react(bob, None, doomed, "👍", false, now()).await;

    assert!(
        matches!(outsider, Err(StoreError::NotAMember)),
        "{outsider:?}"
    );
    assert!(
        matches!(outside_group, Err(StoreError::ConversationNotFound)),
        "{outside_group:?}"
    );
    assert!(
        matches!(wrong_room, Err(StoreError::MessageNotFound)),
        "{wrong_room:?}"
    );
    assert!(matches!(missing, Err(StoreError::MessageNotFound)));
    assert!(
        matches!(to_notice, Err(StoreError::NotReactable)),
        "{to_notice:?}"
    );
    assert!(
        matches!(to_deleted, Err(StoreError::NotReactable)),
        "{to_deleted:?}"
    );
    assert!(subject.committed.is_empty(), "nothing was fed");
    assert!(
        shown(store, alice, room, doomed).await.reactions.is_empty(),
        "a deleted message keeps no reactions"
    );
    assert!(
        shown(store, alice, room, in_room)
            .await
            .reactions
            .is_empty()
    );

    for n in 0..MAX_REACTIONS {
        store
            .react(bob, None, in_room, &format!("e{n}"), true, now())
            .await
            .unwrap();
    }
    drain(&subject);
    let one_more = store.react(bob, None, in_room, "e-new", true, now()).await;
    let existing = store
        .react(alice, None, in_room, "e0", true, now())
        .await
        .unwrap();

    assert!(
        matches!(one_more, Err(StoreError::TooManyReactions)),
        "{one_more:?}"
    );
    assert_eq!(existing.len(), MAX_REACTIONS);
    assert_eq!(existing[0], reaction("e0", &[bob, alice]));
}
