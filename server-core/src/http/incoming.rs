//! Receiving an upload for the user its token names, checking the token
//! before any file byte reaches the disk: a token in the header or query
//! is checked before the body is read, a `token` form field as soon as it
//! has been read, and a file sent ahead of its token field is held in
//! memory, capped, until the token is known (see [`Files::receive`]).
//!
//! [`Files::receive`]: crate::files::Files::receive

use utoipa::ToSchema;

use super::extract::Multipart;
use crate::{
    auth::{AuthUser, Refusal, Token},
    error::{AppError, AppResult},
    files::{Partial, one_field},
    state::AppState,
};

/// The multipart form of an upload, for the API's documentation: the
/// fields are read one by one as they stream in, never into this type.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file; its name is kept for display, never as the stored name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The session token, if it is not in the header or the query.
    token: Option<String>,
}

/// The sender and their file, on disk but not yet kept; a bad token is
/// refused in the route's words, `W`.
pub async fn receive_upload<W: Refusal>(
    state: &AppState,
    token: Token,
    Multipart(multipart): &mut Multipart,
) -> AppResult<(AuthUser<W>, Partial)> {
    let refusal = W::DETAIL;
    let (user, file) = match token.0 {
        Some(token) => {
            let user = state.auth.authenticate(Some(&token), refusal).await?;
            (user, state.files.receive(multipart, true).await?.file)
        }
        None => {
            let first = state.files.receive(multipart, false).await?;
            let user = state
                .auth
                .authenticate(first.token.as_deref(), refusal)
                .await?;
            // The file follows the token, or it came first and is held.
            let rest = state.files.receive(multipart, true).await?;
            if rest.token.is_some() {
                return Err(one_field("token"));
            }
            let file = match (first.file, rest.file) {
                (Some(_), Some(_)) => return Err(one_field("file")),
                (held, rest) => held.or(rest),
            };
            (user, file)
        }
    };
    let file = file.ok_or_else(|| AppError::Unprocessable("Missing the `file` field".into()))?;
    Ok((user, state.files.settle(file).await?))
}
