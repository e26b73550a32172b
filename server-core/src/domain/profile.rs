//! A person's picture, display name and About text: stored, then announced
//! to everyone.

use super::{DomainError, DomainResult};
use crate::{
    bus::Event,
    files::{Folder, Partial},
    state::AppState,
    store::UserId,
};

pub const MAX_ABOUT_CHARS: usize = 500;
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;

/// Makes a received picture `user`'s, deleting the one it replaces;
/// returns its path.
pub async fn set_picture(state: &AppState, user: UserId, file: Partial) -> DomainResult<String> {
    if file.sniffed_image().is_none() {
        return Err(DomainError::Unsupported(
            "A profile picture must be a PNG, JPEG, GIF or WebP image",
        ));
    }
    let meta = state.files.keep(file, Folder::Profiles, user).await?;
    let old = match state
        .store
        .set_profile_pic(user, Some(meta.path.clone()))
        .await
    {
        Ok(old) => old,
        Err(err) => {
            state.files.remove(&meta.path).await;
            return Err(err.into());
        }
    };
    state.metrics.upload_kept(Folder::Profiles, meta.size);
    if let Some(old) = old {
        state.files.remove(&old).await;
    }
    announce(state, user).await?;
    Ok(meta.path)
}

pub async fn remove_picture(state: &AppState, user: UserId) -> DomainResult<()> {
    if let Some(old) = state.store.set_profile_pic(user, None).await? {
        state.files.remove(&old).await;
    }
    announce(state, user).await
}

pub async fn set_about(state: &AppState, user: UserId, about: &str) -> DomainResult<()> {
    if about.chars().count() > MAX_ABOUT_CHARS {
        return Err(DomainError::Invalid(format!(
            "About is too long (at most {MAX_ABOUT_CHARS} characters)"
        )));
    }
    state.store.set_about(user, about.trim()).await?;
    announce(state, user).await
}

/// Sets the name shown for `user`: trimmed; as sent, at most 64
/// characters and no control characters. Blank clears it, so that their
/// username shows again.
pub async fn set_display_name(state: &AppState, user: UserId, name: &str) -> DomainResult<()> {
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS || name.contains(char::is_control) {
        return Err(DomainError::Invalid(format!(
            "A display name must be at most {MAX_DISPLAY_NAME_CHARS} characters, without control characters"
        )));
    }
    let name = Some(name.trim()).filter(|name| !name.is_empty());
    state.store.set_display_name(user, name).await?;
    announce(state, user).await
}

/// Tells everyone connected about `user`'s picture, name and About as
/// stored.
async fn announce(state: &AppState, user: UserId) -> DomainResult<()> {
    if let Some(user) = state.store.user(user).await? {
        state
            .bus
            .publish(Event::UserUpdated {
                user: user.id,
                profile_pic: user.profile_pic,
                about: user.about,
                display_name: user.display_name,
            })
            .await?;
    }
    Ok(())
}
