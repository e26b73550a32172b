//! Search: what every store finds, for whom, in what order.

use chrono::{DateTime, TimeZone, Utc};
use server_core::store::{
    Body, ConversationKind, FileMeta, MembershipChange, MessageId, NewMessage, Posted, SearchPage,
    SearchQuery, Segment, Store, UserId, now,
};

use super::{Subject, file_meta, group_of, post, text, user};

const NOTHING: [MessageId; 0] = [];

fn words(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        limit: 20,
        ..SearchQuery::default()
    }
}

async fn search(store: &dyn Store, viewer: UserId, query: SearchQuery) -> SearchPage {
    store.search(viewer, query).await.expect("searched")
}

/// The ids found, best first.
async fn found(store: &dyn Store, viewer: UserId, query: SearchQuery) -> Vec<MessageId> {
    search(store, viewer, query)
        .await
        .results
        .iter()
        .map(|found| found.message.id)
        .collect()
}

fn segment(text: &str, hit: bool) -> Segment {
    Segment {
        text: text.into(),
        hit,
    }
}

pub async fn search_ranks_the_most_relevant_first_and_marks_the_words_found(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let room = group_of(&subject, ConversationKind::Room, alice, vec![]).await;
    let (_, once) = post(store, text(room, alice, "a budget review")).await;
    let (_, often) = post(
        store,
        text(room, alice, "budget, budget: the budget is over budget"),
    )
    .await;
    post(store, text(room, alice, "nothing to see")).await;
    let (_, older_twin) = post(store, text(room, alice, "same budget words")).await;
    let (_, newer_twin) = post(store, text(room, alice, "same budget words")).await;

    let page = search(store, alice, words("budget")).await;

    let ids: Vec<_> = page.results.iter().map(|f| f.message.id).collect();
    assert_eq!(ids[0], often, "the most occurrences first: {ids:?}");
    let twins: Vec<_> = ids
        .iter()
        .filter(|id| [older_twin, newer_twin].contains(id))
        .collect();
    assert_eq!(twins, [&newer_twin, &older_twin], "the newer on a tie");
    assert!(ids.contains(&once) && ids.len() == 4, "{ids:?}");
    let review = page.results.iter().find(|f| f.message.id == once).unwrap();
    assert_eq!(
        review.snippet,
        [
            segment("a ", false),
            segment("budget", true),
            segment(" review", false)
        ]
    );
    assert!(!page.more);
    assert_eq!(page.conversations.len(), 1);
    assert_eq!(page.conversations[0].id, room);
}

pub async fn search_takes_the_last_word_as_it_is_being_typed(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let room = group_of(&subject, ConversationKind::Room, alice, vec![]).await;
    let (_, meeting) = post(store, text(room, alice, "Team meeting moved to Friday")).await;
    let (_, cafe) = post(store, text(room, alice, "Lunch at the Café Müller")).await;

    assert_eq!(found(store, alice, words("meet")).await, [meeting]);
    assert_eq!(found(store, alice, words("friday te")).await, [meeting]);
    assert_eq!(
        found(store, alice, words("meet friday")).await,
        NOTHING,
        "words before the last are whole words"
    );
    assert_eq!(found(store, alice, words("cafe muller")).await, [cafe]);
    assert_eq!(found(store, alice, words("CAFÉ")).await, [cafe]);
}

pub async fn search_finds_files_by_name_and_follows_edits_and_deletes(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let room = group_of(&subject, ConversationKind::Room, alice, vec![]).await;
    let (_, edited) = post(store, text(room, alice, "the old wording")).await;
    let (_, deleted) = post(store, text(room, alice, "soon gone wording")).await;
    let file = NewMessage {
        body: Body::File(file_meta()),
        ..text(room, alice, "")
    };
    let (_, file) = post(store, file).await;
    let by_name = search(store, alice, words("final")).await;
    assert_eq!(by_name.results.len(), 1);
    assert_eq!(by_name.results[0].message.id, file);
    assert_eq!(
        by_name.results[0].snippet,
        [
            segment("report (", false),
            segment("final", true),
            segment(").pdf", false)
        ]
    );

    store
        .edit_message(alice, edited, "the new phrasing", now())
        .await
        .unwrap();
    store
        .delete_message(alice, Some(room), deleted, now())
        .await
        .unwrap();
    store
        .delete_message(alice, Some(room), file, now())
        .await
        .unwrap();

    assert_eq!(found(store, alice, words("wording")).await, NOTHING);
    assert_eq!(found(store, alice, words("gone")).await, NOTHING);
    assert_eq!(found(store, alice, words("report")).await, NOTHING);
    let page = search(store, alice, words("phrasing")).await;
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].message.id, edited);
    assert_eq!(
        page.results[0].message.body,
        Body::Text("the new phrasing".into())
    );
    assert_eq!(
        page.results[0].snippet,
        [segment("the new ", false), segment("phrasing", true)]
    );
}

pub async fn search_finds_only_what_the_viewer_may_read(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, carol, dave) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "carol").await,
        user(&subject, "dave").await,
    );
    let group = group_of(&subject, ConversationKind::Group, alice, vec![bob]).await;
    let room = group_of(&subject, ConversationKind::Room, alice, vec![]).await;
    let direct = store.direct_conversation(alice, bob).await.unwrap();
    let mut secrets = Vec::new();
    for conversation in [group, room, direct] {
        secrets.push(
            post(store, text(conversation, alice, "secret plans"))
                .await
                .1,
        );
    }
    let (_, before_removal) = post(store, text(group, alice, "removal ahead")).await;

    store
        .change_membership(alice, group, MembershipChange::Remove(bob), now())
        .await
        .unwrap();
    post(store, text(group, alice, "removal done")).await;
    store
        .change_membership(dave, room, MembershipChange::Join, now())
        .await
        .unwrap();
    let (_, after_joining) = post(store, text(room, alice, "secret later")).await;

    assert_eq!(found(store, carol, words("secret")).await, NOTHING);
    for conversation in [group, room, direct] {
        let query = SearchQuery {
            conversation: Some(conversation),
            ..words("secret")
        };
        assert_eq!(found(store, carol, query).await, NOTHING, "{conversation}");
    }
    assert_eq!(
        found(store, bob, words("secret plans")).await,
        [secrets[2], secrets[0]],
        "bob was in the group and the direct conversation, never in the room"
    );
    assert_eq!(
        found(store, bob, words("removal")).await,
        [before_removal],
        "a removed member keeps what came before, nothing after"
    );
    assert_eq!(
        found(store, dave, words("secret")).await,
        [after_joining],
        "nothing from before one joined"
    );
    assert_eq!(found(store, alice, words("secret")).await.len(), 4);

    store
        .change_membership(alice, group, MembershipChange::Add(bob), now())
        .await
        .unwrap();
    let (_, after_return) = post(store, text(group, alice, "removal undone")).await;
    assert_eq!(
        found(store, bob, words("removal")).await,
        [after_return],
        "back in, one reads from the return on, as in the history"
    );
}

fn day(n: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, n, 12, 0, 0).unwrap()
}

pub async fn search_filters_by_conversation_sender_time_and_files(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob) = (user(&subject, "alice").await, user(&subject, "bob").await);
    let group = group_of(&subject, ConversationKind::Group, alice, vec![bob]).await;
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob]).await;
    let at = |message: NewMessage, when| async move {
        match store.post_message(message, when).await.unwrap() {
            Posted::New { message, .. } => message.id,
            other => panic!("{other:?}"),
        }
    };
    let alpha = at(text(group, alice, "launch alpha"), day(1)).await;
    let beta = at(text(group, bob, "launch beta"), day(2)).await;
    let gamma = at(text(room, alice, "launch gamma"), day(3)).await;
    let file = NewMessage {
        body: Body::File(FileMeta {
            name: "launch-plan.pdf".into(),
            ..file_meta()
        }),
        ..text(room, bob, "")
    };
    let plan = at(file, day(4)).await;
    let late_february = Utc.with_ymd_and_hms(2026, 2, 28, 23, 0, 0).unwrap();
    let epsilon = at(text(room, alice, "launch epsilon"), late_february).await;
    let all = || words("launch");
    let sorted = |mut ids: Vec<MessageId>| {
        ids.sort_unstable();
        ids
    };
    let matching = |query| async move { sorted(found(store, alice, query).await) };

    assert_eq!(matching(all()).await, [alpha, beta, gamma, plan, epsilon]);
    let in_group = SearchQuery {
        conversation: Some(group),
        ..all()
    };
    assert_eq!(matching(in_group).await, [alpha, beta]);
    let by_bob = SearchQuery {
        sender: Some(bob),
        ..all()
    };
    assert_eq!(matching(by_bob).await, [beta, plan]);
    let from_day_two = SearchQuery {
        after: Some(day(2)),
        ..all()
    };
    assert_eq!(matching(from_day_two).await, [beta, gamma, plan]);
    let before_day_three = SearchQuery {
        before: Some(day(3)),
        ..all()
    };
    assert_eq!(matching(before_day_three).await, [alpha, beta, epsilon]);
    let files = SearchQuery {
        has_file: Some(true),
        ..all()
    };
    assert_eq!(matching(files).await, [plan]);
    let texts = SearchQuery {
        has_file: Some(false),
        ..all()
    };
    assert_eq!(matching(texts).await, [alpha, beta, gamma, epsilon]);
    let across_months = SearchQuery {
        after: Some(late_february),
        before: Some(day(2)),
        ..all()
    };
    assert_eq!(matching(across_months).await, [alpha, epsilon]);
    let everything = SearchQuery {
        conversation: Some(room),
        sender: Some(bob),
        after: Some(day(4)),
        before: Some(day(5)),
        has_file: Some(true),
        ..all()
    };
    assert_eq!(matching(everything).await, [plan]);
}

pub async fn search_pages_through_the_results(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let room = group_of(&subject, ConversationKind::Room, alice, vec![]).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(post(store, text(room, alice, &format!("page {n}"))).await.1);
    }
    ids.reverse();
    let page = |limit, offset| SearchQuery {
        limit,
        offset,
        ..words("page")
    };

    let first = search(store, alice, page(2, 0)).await;
    let last = search(store, alice, page(2, 4)).await;
    let past = search(store, alice, page(2, 9)).await;

    let ids_of = |page: &SearchPage| {
        page.results
            .iter()
            .map(|f| f.message.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids_of(&first), ids[..2]);
    assert!(first.more);
    assert_eq!(ids_of(&last), ids[4..]);
    assert!(!last.more);
    assert!(past.results.is_empty() && !past.more);
}

pub async fn search_takes_any_text_as_plain_words(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let room = group_of(&subject, ConversationKind::Room, alice, vec![]).await;
    let (_, tricky) = post(
        store,
        text(
            room,
            alice,
            r#"NEAR(x y) AND -minus OR star* "quoted" (parens) col:on ^caret 東京 🎉"#,
        ),
    )
    .await;

    for typed in [
        "\"",
        "\"\"",
        "*",
        "**",
        "(",
        ")",
        "-",
        "^",
        ":",
        "{",
        "}",
        "+",
        "NEAR",
        "NEAR(",
        "AND",
        "OR",
        "NOT",
        "a OR",
        "x AND",
        "NOT x",
        "NEAR(x y, 1)",
        "col:on",
        "{content}: x",
        "\"unclosed",
        "star*",
        "-minus",
        "^caret",
        "\u{0}",
        "\u{FDD0}",
        "🎉",
        "東京",
        "x\"y",
        "rowid",
        "message_index",
        "'; DROP TABLE messages; --",
    ] {
        let page = store.search(alice, words(typed)).await;
        assert!(page.is_ok(), "{typed:?}: {page:?}");
    }
    for typed in [
        "AND",
        "NEAR",
        "\"quoted\"",
        "star*",
        "(parens)",
        "col:on",
        "東京",
        "-minus",
    ] {
        assert_eq!(found(store, alice, words(typed)).await, [tricky], "{typed}");
    }
    for typed in ["*", "\"", "-", "()", "🎉"] {
        assert_eq!(found(store, alice, words(typed)).await, NOTHING, "{typed}");
    }
}
