//! Serving uploaded files under `/static/uploads` and `/static/files`, so
//! that nothing a user uploaded can run as a page on our origin: no type
//! sniffing, a sandboxing CSP, and anything but an inline image downloads.
//!
//! Requests are screened before they reach the disk: only a name that
//! [`Files::keep`](crate::files::Files::keep) could have made is looked up,
//! so a long or deep path is a plain 404, never a file-system error (a
//! 256-character name used to get a 500, logged at ERROR with the path).

use std::path::PathBuf;

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{map_request_with_state, map_response},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::ServeFile;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::Path;
use crate::{
    auth::{AuthUser, Token, cookie_token},
    error::{AppError, Problem},
    files::{Folder, INLINE_IMAGES, is_stored_name},
    state::AppState,
};

/// Longest name a file system takes for one path component.
const MAX_NAME_BYTES: usize = 255;

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // The last layer added runs first: screen, then serve, then harden.
    OpenApiRouter::new()
        .routes(routes!(profile_picture))
        .routes(routes!(chat_file))
        .layer(map_response(harden))
        .layer(map_request_with_state(state.clone(), screen))
}

/// A profile picture, for anyone logged in: from a page, the session
/// cookie set at login does.
#[utoipa::path(
    get,
    path = "/static/uploads/{name}",
    tag = "files",
    params(("name" = String, Path, description = "The stored name, as in `profile_pic`")),
    security(("bearer" = []), ("token" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The picture", content_type = "image/*", body = Vec<u8>),
        (status = 206, description = "The byte range asked for", content_type = "image/*", body = Vec<u8>),
        (status = 304, description = "Not modified since the copy the client has"),
        (status = 404, description = "No such file", body = Problem),
        (status = 412, description = "`If-Unmodified-Since` does not hold", body = Problem),
        (status = 416, description = "The range starts past the end", body = Problem),
    )
)]
async fn profile_picture(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    serve(state.files.dir(Folder::Profiles).join(name), request).await
}

/// A file sent in a conversation, for its members only. Images show
/// inline; anything else downloads as opaque bytes.
#[utoipa::path(
    get,
    path = "/static/files/{name}",
    tag = "files",
    params(("name" = String, Path, description = "The stored name, as in a message's `file_path`")),
    security(("bearer" = []), ("token" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "The file: an image as itself, anything else as opaque bytes to download", content_type = "*/*", body = Vec<u8>),
        (status = 206, description = "The byte range asked for", content_type = "*/*", body = Vec<u8>),
        (status = 304, description = "Not modified since the copy the client has"),
        (status = 404, description = "No such file, or not in a conversation of the caller's", body = Problem),
        (status = 412, description = "`If-Unmodified-Since` does not hold", body = Problem),
        (status = 416, description = "The range starts past the end", body = Problem),
    )
)]
async fn chat_file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    serve(state.files.dir(Folder::Chat).join(name), request).await
}

/// One stored file, with ranges and conditional requests; `screen` has
/// checked the name, so the path stays in its folder.
async fn serve(path: PathBuf, request: Request) -> Response {
    match ServeFile::new(path).oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// Refuses names we never store and those who may not have the file, and
/// drops a `Range` we would not honour. A chat file is for the members of
/// its conversation, a profile picture for anyone logged in; the caller
/// proves who they are with the token (header or query) or, from a
/// browser's `<img>` or link, the session cookie. Anonymous callers get
/// 401; a file one may not have is as absent as one that does not exist.
async fn screen(State(state): State<AppState>, mut request: Request) -> Result<Request, AppError> {
    let path = request.uri().path().to_owned();
    let (folder, name) = path
        .strip_prefix("/static/")
        .and_then(|rest| rest.split_once('/'))
        .unwrap_or_default();
    if name.len() > MAX_NAME_BYTES || !is_stored_name(name) {
        return Err(AppError::NotFound("File not found"));
    }
    // Other methods get their 405 from the router, whoever asks.
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return Ok(request);
    }
    let stored = format!("static/{folder}/{name}");
    let (mut parts, body) = request.into_parts();
    let Ok(Token(token)) = Token::from_request_parts(&mut parts, &state).await;
    let token = token.or_else(|| cookie_token(&parts.headers));
    let user: AuthUser = state
        .auth
        .authenticate(token.as_deref(), "Log in to download files")
        .await?;
    if folder == Folder::Chat.dir_name() && !state.store.may_download(user.user_id, &stored).await?
    {
        return Err(AppError::NotFound("File not found"));
    }
    request = Request::from_parts(parts, body);
    ignore_unusable_range(request.headers_mut());
    Ok(request)
}

/// HTTP lets a server ignore a `Range` it cannot parse or will not serve
/// and send the whole file; ServeDir would answer 416 instead. We serve a
/// single well-formed byte range and ignore anything else (other units,
/// bad syntax, several ranges).
fn ignore_unusable_range(headers: &mut HeaderMap) {
    let usable = headers
        .get(header::RANGE)
        .map(|value| value.to_str().is_ok_and(is_single_byte_range));
    if usable == Some(false) {
        headers.remove(header::RANGE);
    }
}

/// `bytes=first-last`, `bytes=first-` or `bytes=-suffix`, in the strict
/// syntax ServeDir parses (no leading zeros, first ≤ last, suffix > 0).
fn is_single_byte_range(value: &str) -> bool {
    let number = |text: &str| {
        let canonical = text.len() == 1 || !text.starts_with('0');
        (1..=19).contains(&text.len()) && canonical && text.bytes().all(|b| b.is_ascii_digit())
    };
    let Some((first, last)) = value
        .strip_prefix("bytes=")
        .and_then(|spec| spec.split_once('-'))
    else {
        return false;
    };
    match (first, last) {
        ("", suffix) => number(suffix) && suffix != "0",
        (first, "") => number(first),
        (first, last) => {
            number(first) && number(last) && first.parse::<u64>().ok() <= last.parse::<u64>().ok()
        }
    }
}

async fn harden(mut response: Response) -> Response {
    match response.status() {
        StatusCode::NOT_FOUND => return AppError::NotFound("File not found").into_response(),
        // ServeDir's own refusals have empty bodies: give the contract's
        // JSON, keeping the headers that matter.
        StatusCode::PRECONDITION_FAILED => return AppError::PreconditionFailed.into_response(),
        StatusCode::RANGE_NOT_SATISFIABLE => {
            let range = response.headers_mut().remove(header::CONTENT_RANGE);
            let mut refusal = AppError::RangeNotSatisfiable.into_response();
            if let Some(range) = range {
                refusal.headers_mut().insert(header::CONTENT_RANGE, range);
            }
            return refusal;
        }
        // ServeDir has logged the I/O error (without the path).
        StatusCode::INTERNAL_SERVER_ERROR => {
            return AppError::internal("cannot read an uploaded file").into_response();
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = response.headers_mut().remove(header::ALLOW);
            let mut refusal = AppError::MethodNotAllowed.into_response();
            if let Some(allow) = allow {
                refusal.headers_mut().insert(header::ALLOW, allow);
            }
            return refusal;
        }
        _ => {}
    }
    let headers = response.headers_mut();
    let inline = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| INLINE_IMAGES.contains(&value));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if !inline {
        // Opaque bytes to download: no browser or webview renders these.
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::is_single_byte_range;

    #[test]
    fn only_one_well_formed_byte_range_is_honoured() {
        for usable in [
            "bytes=0-0",
            "bytes=0-",
            "bytes=-5",
            "bytes=10-20",
            "bytes=7-7",
        ] {
            assert!(is_single_byte_range(usable), "{usable}");
        }
        for unusable in [
            "bytes=",
            "bytes=abc",
            "bytes=5-2",
            "bytes=-0",
            "bytes=01-5",
            "bytes=0-1,3-4",
            "bytes= 0-1",
            "items=0-1",
            "bytes=99999999999999999999-",
            "bytes=--1",
        ] {
            assert!(!is_single_byte_range(unusable), "{unusable}");
        }
    }
}
