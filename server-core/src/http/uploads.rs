//! Serving uploaded files under `/static/uploads` and `/static/files`, so
//! that nothing a user uploaded can run as a page on our origin: no type
//! sniffing, a sandboxing CSP, and anything but an inline image downloads.

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    middleware::map_response,
    response::{IntoResponse, Response},
};
use tower_http::services::ServeDir;

use crate::{
    error::AppError,
    files::{Folder, INLINE_IMAGES},
    state::AppState,
};

pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for folder in [Folder::Profiles, Folder::Chat] {
        router = router.nest_service(
            &format!("/static/{}", folder.dir_name()),
            ServeDir::new(state.files.dir(folder)),
        );
    }
    router.layer(map_response(harden))
}

async fn harden(mut response: Response) -> Response {
    match response.status() {
        StatusCode::NOT_FOUND => return AppError::NotFound("File not found").into_response(),
        // ServeDir answers other methods with an empty body: give the
        // contract's JSON instead, keeping its `Allow`.
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
