//! A person's settings and how each conversation notifies them: stored,
//! then told to that person's own sockets (every device follows at once;
//! nobody else hears of it).

use super::DomainResult;
use crate::{
    bus::Event,
    state::AppState,
    store::{ConversationId, NotifyLevel, SettingsChange, UserId, UserSettings},
};

pub async fn settings(state: &AppState, user: UserId) -> DomainResult<UserSettings> {
    Ok(state.store.settings(user).await?)
}

/// Applies `change`; returns every setting as it now is.
pub async fn change_settings(
    state: &AppState,
    user: UserId,
    change: SettingsChange,
) -> DomainResult<UserSettings> {
    let settings = state.store.change_settings(user, change).await?;
    state
        .bus
        .publish(Event::SettingsChanged {
            user,
            settings: settings.clone(),
        })
        .await?;
    Ok(settings)
}

/// Sets which messages of `conversation` notify `user`, a member of it.
pub async fn set_notify(
    state: &AppState,
    user: UserId,
    conversation: ConversationId,
    notify: NotifyLevel,
) -> DomainResult<()> {
    state.store.set_notify(user, conversation, notify).await?;
    state
        .bus
        .publish(Event::NotifyChanged {
            user,
            conversation,
            notify,
        })
        .await?;
    Ok(())
}
