//! Notification settings: a person's own settings, and how each of their
//! conversations notifies them. None of it is a conversation event: nothing
//! goes to the feed.

use chrono::{Duration, Utc};
use server_core::store::{
    ConversationKind, MembershipChange, NotifyLevel, SettingsChange, StoreError, UserSettings, now,
};

use super::{Subject, drain, group_of, user};

pub async fn settings_start_at_their_defaults_and_change_only_where_named(subject: Subject) {
    let store = &*subject.store;
    let alice = user(&subject, "alice").await;
    let bob = user(&subject, "bob").await;
    let until = now() + Duration::hours(1);

    let defaults = store.settings(alice).await.unwrap();
    let quiet = store
        .change_settings(
            alice,
            SettingsChange {
                dnd_until: Some(Some(until)),
                ..SettingsChange::default()
            },
        )
        .await
        .unwrap();
    let loud = store
        .change_settings(
            alice,
            SettingsChange {
                sound: Some(true),
                ..SettingsChange::default()
            },
        )
        .await
        .unwrap();
    let nothing = store
        .change_settings(alice, SettingsChange::default())
        .await
        .unwrap();
    let awake = store
        .change_settings(
            alice,
            SettingsChange {
                read_receipts: Some(false),
                dnd_until: Some(None),
                sound: None,
            },
        )
        .await
        .unwrap();

    assert_eq!(
        defaults,
        UserSettings {
            read_receipts: true,
            dnd_until: None,
            sound: false
        }
    );
    assert_eq!(quiet.dnd_until, Some(until), "kept to the microsecond");
    assert!(!quiet.sound && quiet.read_receipts);
    assert_eq!((loud.dnd_until, loud.sound), (Some(until), true));
    assert_eq!(nothing, loud, "an empty change changes nothing");
    assert_eq!(
        awake,
        UserSettings {
            read_receipts: false,
            dnd_until: None,
            sound: true
        }
    );
    assert_eq!(store.settings(alice).await.unwrap(), awake);
    assert_eq!(
        store.settings(bob).await.unwrap(),
        defaults,
        "bob's are his"
    );
    assert!(matches!(
        store.settings(bob + 100).await,
        Err(StoreError::UserNotFound)
    ));
    assert!(matches!(
        store
            .change_settings(bob + 100, SettingsChange::default())
            .await,
        Err(StoreError::UserNotFound)
    ));
    assert!(subject.committed.is_empty(), "settings are no events");
}

pub async fn a_member_chooses_how_each_conversation_notifies_them(subject: Subject) {
    let store = &*subject.store;
    let (alice, bob, carol) = (
        user(&subject, "alice").await,
        user(&subject, "bob").await,
        user(&subject, "carol").await,
    );
    let room = group_of(&subject, ConversationKind::Room, alice, vec![bob]).await;
    let group = group_of(&subject, ConversationKind::Group, alice, vec![bob]).await;
    let level = |user, conversation| async move {
        store.summary(user, conversation).await.unwrap().0.notify
    };

    assert_eq!(
        level(bob, room).await,
        NotifyLevel::All,
        "everything at first"
    );
    store
        .set_notify(bob, room, NotifyLevel::Muted)
        .await
        .unwrap();
    store
        .set_notify(bob, group, NotifyLevel::Mentions)
        .await
        .unwrap();

    assert_eq!(level(bob, room).await, NotifyLevel::Muted);
    assert_eq!(level(bob, group).await, NotifyLevel::Mentions);
    assert_eq!(
        level(alice, room).await,
        NotifyLevel::All,
        "alice's are hers"
    );
    let listed: Vec<_> = store
        .summaries(bob)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.conversation.id == room || s.conversation.id == group)
        .map(|s| (s.conversation.id, s.notify))
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&(room, NotifyLevel::Muted)));
    assert!(listed.contains(&(group, NotifyLevel::Mentions)));

    // Outsiders are refused as history refuses them, and change nothing.
    assert!(matches!(
        store.set_notify(carol, room, NotifyLevel::Muted).await,
        Err(StoreError::NotAMember)
    ));
    assert!(matches!(
        store.set_notify(carol, group, NotifyLevel::Muted).await,
        Err(StoreError::ConversationNotFound)
    ));
    assert!(matches!(
        store.set_notify(bob, group + 100, NotifyLevel::Muted).await,
        Err(StoreError::ConversationNotFound)
    ));
    assert!(subject.committed.is_empty(), "a level is no event");

    // Leaving and coming back keeps the choice.
    let at = Utc::now();
    store
        .change_membership(bob, room, MembershipChange::Leave, at)
        .await
        .unwrap();
    assert!(matches!(
        store.set_notify(bob, room, NotifyLevel::All).await,
        Err(StoreError::NotAMember)
    ));
    store
        .change_membership(bob, room, MembershipChange::Join, at)
        .await
        .unwrap();
    drain(&subject);
    assert_eq!(level(bob, room).await, NotifyLevel::Muted);
}
