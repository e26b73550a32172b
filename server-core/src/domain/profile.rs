//! A person's picture and About text: stored, then announced to everyone.

use super::{DomainError, DomainResult};
use crate::{
    bus::Event,
    files::{Folder, Partial},
    state::AppState,
    store::UserId,
};

pub const MAX_ABOUT_CHARS: usize = 500;

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

/// Tells everyone connected about `user`'s picture and About as stored.
async fn announce(state: &AppState, user: UserId) -> DomainResult<()> {
    if let Some(user) = state.store.user(user).await? {
        state
            .bus
            .publish(Event::UserUpdated {
                user: user.id,
                profile_pic: user.profile_pic,
                about: user.about,
            })
            .await?;
    }
    Ok(())
}
