//! The web pages of `ui/`, embedded in the binary so the server runs from any
//! directory, served at the contract's routes.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{AppError, Problem},
    http::extract::Path,
    state::AppState,
};

#[derive(RustEmbed)]
#[folder = "../ui"]
struct Ui;

/// Our pages run only our own scripts and styles, and talk only to us.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login_page))
        .routes(routes!(register_page))
        .routes(routes!(chat_page))
        .routes(routes!(static_file))
        .routes(routes!(script))
}

/// The login page.
#[utoipa::path(get, path = "/", tag = "pages", responses(
    (status = 200, description = "The page", content_type = "text/html", body = String),
    (status = 304, description = "The client's copy is current (`If-None-Match`)"),
))]
async fn login_page(headers: HeaderMap) -> Response {
    asset("login.html", &headers)
}

/// The registration page.
#[utoipa::path(get, path = "/register-page", tag = "pages", responses(
    (status = 200, description = "The page", content_type = "text/html", body = String),
    (status = 304, description = "The client's copy is current (`If-None-Match`)"),
))]
async fn register_page(headers: HeaderMap) -> Response {
    asset("register.html", &headers)
}

/// The chat page.
#[utoipa::path(get, path = "/chat-page", tag = "pages", responses(
    (status = 200, description = "The page", content_type = "text/html", body = String),
    (status = 304, description = "The client's copy is current (`If-None-Match`)"),
))]
async fn chat_page(headers: HeaderMap) -> Response {
    asset("chat.html", &headers)
}

/// A style sheet or image of the pages (`login.css`, `chat.css`,
/// `default.png`...).
#[utoipa::path(get, path = "/static/{name}", tag = "pages",
    params(("name" = String, Path, description = "The file")),
    responses(
        (status = 200, description = "The file, with its own type", content_type = "*/*", body = Vec<u8>),
        (status = 304, description = "The client's copy is current (`If-None-Match`)"),
        (status = 404, description = "No such file", body = Problem),
    )
)]
async fn static_file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    asset(&name, &headers)
}

/// A script module of the pages.
#[utoipa::path(get, path = "/static/js/{name}", tag = "pages",
    params(("name" = String, Path, description = "The module")),
    responses(
        (status = 200, description = "The module", content_type = "text/javascript", body = String),
        (status = 304, description = "The client's copy is current (`If-None-Match`)"),
        (status = 404, description = "No such module", body = Problem),
    )
)]
async fn script(Path(name): Path<String>, headers: HeaderMap) -> Response {
    asset(&format!("js/{name}"), &headers)
}

/// One embedded file, revalidated by its hash so an upgraded server's pages
/// are never stale.
fn asset(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = Ui::get(path) else {
        return AppError::NotFound("Not Found").into_response();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tag| tag.as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, file.metadata.mimetype())],
            file.data,
        )
            .into_response()
    };
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if path.ends_with(".html") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_POLICY),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    response
}
