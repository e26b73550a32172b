//! Accounts and sessions: registering, logging out, changing a password.
//! Ending a session ends its sockets at once, on every instance.

use std::{net::IpAddr, ops::RangeInclusive};

use super::{DomainError, DomainResult};
use crate::{
    auth::AuthUser,
    bus::{Event, Revoked},
    state::AppState,
    store::{UserId, now},
};

/// How long a username may be, in characters.
pub const USERNAME_LENGTH: RangeInclusive<usize> = 3..=32;

/// Whether a username may hold `c`.
pub fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

fn check_username(username: &str) -> DomainResult<()> {
    let length = username.chars().count();
    let allowed = username.chars().all(is_username_char);
    if USERNAME_LENGTH.contains(&length) && allowed {
        Ok(())
    } else {
        Err(DomainError::Invalid(
            "Username must be 3 to 32 characters: letters, digits, '.', '_' or '-'".into(),
        ))
    }
}

fn check_password(password: &str) -> DomainResult<()> {
    if (8..=128).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(DomainError::Invalid(
            "Password must be 8 to 128 characters".into(),
        ))
    }
}

/// Registers `username`; `from` is the address asking, whose registrations
/// are throttled (each costs a hash).
pub async fn register(
    state: &AppState,
    username: &str,
    password: &str,
    from: IpAddr,
) -> DomainResult<UserId> {
    check_username(username)?;
    check_password(password)?;
    state.auth.throttle_registration(from)?;
    let hash = state.auth.hash(password).await?;
    let id = state.store.create_user(username, &hash, now()).await?;
    tracing::info!(user_id = id, "registered");
    Ok(id)
}

/// Ends the caller's session and closes its sockets.
pub async fn logout(state: &AppState, user: AuthUser) -> DomainResult<()> {
    state.store.delete_session(user.session_id).await?;
    revoke(state, user.user_id, Revoked::One(user.session_id)).await
}

/// Changes the password and ends every other session of the user, with
/// their sockets.
pub async fn change_password(
    state: &AppState,
    user: AuthUser,
    old_password: &str,
    new_password: &str,
) -> DomainResult<()> {
    state.auth.throttle_password_change(user.user_id)?;
    let hash = state.store.password_hash(user.user_id).await?;
    if !state.auth.verify(Some(hash), old_password).await? {
        state.auth.password_change_failed(user.user_id);
        return Err(DomainError::Invalid("Wrong old password".into()));
    }
    check_password(new_password)?;
    let hash = state.auth.hash(new_password).await?;
    state
        .store
        .set_password(user.user_id, &hash, user.session_id)
        .await?;
    tracing::info!(
        user_id = user.user_id,
        "changed password; other sessions revoked"
    );
    revoke(state, user.user_id, Revoked::AllBut(user.session_id)).await
}

async fn revoke(state: &AppState, user: UserId, which: Revoked) -> DomainResult<()> {
    state
        .bus
        .publish(Event::SessionsRevoked { user, which })
        .await?;
    Ok(())
}
