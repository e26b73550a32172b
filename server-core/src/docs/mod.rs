//! The documents that describe ChatterBox to those who build on it, served
//! by the server itself so that they work on a LAN without the internet:
//!
//! - `/openapi.json`: OpenAPI 3.1 for every HTTP route, made from the
//!   handlers' own types and annotations as the routers are assembled
//!   ([`utoipa_axum`]), so a route cannot be added without its entry.
//! - `/asyncapi.json`: AsyncAPI 3 for the WebSocket's frames, both ways
//!   ([`asyncapi`]); the same frames are listed on the `/ws` operation.
//! - `/docs`: Swagger UI over the first, its assets embedded in the binary.

mod asyncapi;

use std::sync::Arc;

use axum::{
    Extension, Router,
    body::Bytes,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::{
    state::AppState,
    ws::protocol::{ClientFrame, ServerEvent},
};

/// Where the interactive docs are.
const VIEWER: &str = "/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ChatterBox",
        description = "A private real-time chat for a home, office or classroom network.\n\n\
            Every error answers `{\"detail\": \"…\"}` with its status. A session token comes \
            from `POST /login`; send it as `Authorization: Bearer <token>`, or, as the original \
            ChatterBox did, in the `token` query parameter, form field or JSON body field. \
            Pages and `<img>` tags use the `chatterbox_session` cookie that login sets, for files \
            only.\n\nThe WebSocket's frames are under `GET /ws` below and in \
            [/asyncapi.json](/asyncapi.json).",
    ),
    tags(
        (name = "accounts", description = "Registering, sessions and the list of people"),
        (name = "messages", description = "The original contract's direct messages and files"),
        (name = "conversations", description = "Ours: rooms, groups, history, read positions, backfill"),
        (name = "profile", description = "Pictures and About"),
        (name = "files", description = "Files people sent, for whoever may have them"),
        (name = "websocket", description = "The live connection"),
        (name = "pages", description = "The web pages"),
        (name = "operations", description = "For whoever runs the server"),
        (name = "docs", description = "These documents"),
    ),
    components(schemas(ClientFrame, ServerEvent)),
    modifiers(&SecuritySchemes),
)]
struct ApiDoc;

/// The ways a caller proves who they are.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "The original's way: the token as a query parameter. Routes whose original took \
                 it in a form or JSON body also read a `token` field there.",
            ))),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "chatterbox_session",
                "Set by `POST /login`; sent by pages for files only.",
            ))),
        );
    }
}

/// The documents as served, made once per server.
struct Published {
    openapi: Bytes,
    asyncapi: Bytes,
}

/// Joins the application's routes, documented, with the documents' own
/// routes and the viewer.
pub fn assemble(routes: OpenApiRouter<AppState>) -> Router<AppState> {
    let (documents, documents_paths) = OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(asyncapi_json))
        .split_for_parts();
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes)
        .split_for_parts();
    openapi.merge(documents_paths);
    let mut openapi = serde_json::to_value(openapi).expect("an OpenAPI document serializes");
    let frames = asyncapi::Frames::from_schemas(&openapi);
    complete(&mut openapi, &frames);
    let published = Arc::new(Published {
        asyncapi: Bytes::from(frames.document(&openapi).to_string()),
        openapi: Bytes::from(openapi.to_string()),
    });
    let viewer = SwaggerUi::new(VIEWER).config(
        Config::new(["/openapi.json"])
            // Swagger UI would otherwise ask validator.swagger.io about the
            // document: no request leaves the LAN.
            .validator_url("none")
            .try_it_out_enabled(true)
            .persist_authorization(true),
    );
    router
        .merge(documents.layer(Extension(published)))
        .merge(viewer)
}

/// This OpenAPI document.
#[utoipa::path(get, path = "/openapi.json", tag = "docs", responses(
    (status = 200, description = "OpenAPI 3.1", content_type = "application/json", body = Object),
))]
async fn openapi_json(Extension(published): Extension<Arc<Published>>) -> Response {
    json_document(published.openapi.clone())
}

/// The WebSocket's frames, both ways, as an AsyncAPI 3 document.
#[utoipa::path(get, path = "/asyncapi.json", tag = "docs", responses(
    (status = 200, description = "AsyncAPI 3.0", content_type = "application/json", body = Object),
))]
async fn asyncapi_json(Extension(published): Extension<Arc<Published>>) -> Response {
    json_document(published.asyncapi.clone())
}

fn json_document(document: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        document,
    )
        .into_response()
}

/// What every operation can answer besides its own responses, the frames on
/// `/ws`, and the viewer's own pages.
fn complete(openapi: &mut Value, frames: &asyncapi::Frames) {
    let problem = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        })
    };
    let Some(paths) = openapi["paths"].as_object_mut() else {
        return;
    };
    paths.insert(
        format!("{VIEWER}/"),
        json!({"get": {
            "tags": ["docs"],
            "summary": "These docs, in Swagger UI (its assets under `/docs/`)",
            "responses": {"200": {
                "description": "The viewer",
                "content": {"text/html": {"schema": {"type": "string"}}},
            }},
        }}),
    );
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (_, operation) in item.iter_mut() {
            let secured = operation["security"]
                .as_array()
                .is_some_and(|ways| !ways.is_empty());
            let has_body = operation.get("requestBody").is_some();
            let takes_input = has_body || operation.get("parameters").is_some();
            let responses = operation["responses"]
                .as_object_mut()
                .expect("every operation has responses");
            let mut add = |status: &str, response: Value| {
                responses.entry(status).or_insert(response);
            };
            if secured {
                add("401", problem("No valid session token"));
            }
            if takes_input {
                add(
                    "422",
                    problem("Input that cannot be read: a malformed body, parameter or form"),
                );
            }
            if has_body {
                add("413", problem("A body larger than the server takes"));
            }
            add(
                "503",
                problem(
                    "Too busy (too many connections, or passwords being hashed), or shutting down; see `Retry-After`",
                ),
            );
            if path == "/ws" {
                let description = operation["description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                operation["description"] =
                    Value::String(format!("{description}\n\n{}", frames.markdown()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::protocol::{ClientFrame, ServerEvent};
    use asyncapi::{Direction, Frames};

    fn frames() -> (Value, Frames) {
        let openapi = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let frames = Frames::from_schemas(&openapi);
        (openapi, frames)
    }

    #[test]
    fn every_variant_of_both_frame_types_is_documented() {
        let (openapi, frames) = frames();
        for (direction, schema) in [
            (Direction::In, "ClientFrame"),
            (Direction::Out, "ServerEvent"),
        ] {
            let variants = openapi["components"]["schemas"][schema]["oneOf"]
                .as_array()
                .unwrap()
                .len();
            let documented = frames.0.iter().filter(|f| f.direction == direction).count();
            assert_eq!(documented, variants, "{schema}");
        }
    }

    /// The examples are frames the server reads, or sends, exactly.
    #[test]
    fn every_frame_has_an_example_that_reads_back_as_that_frame() {
        let (_, frames) = frames();
        for frame in &frames.0 {
            let example = frame
                .example
                .clone()
                .unwrap_or_else(|| panic!("no example for {}", frame.name));
            assert_eq!(example["type"], frame.name.as_str());
            match frame.direction {
                Direction::In => {
                    let (client_id, parsed) = crate::ws::protocol::parse(&example.to_string());
                    parsed.unwrap_or_else(|e| panic!("{}: {e}", frame.name));
                    assert_eq!(client_id.as_deref(), example["client_id"].as_str());
                    let _: ClientFrame = serde_json::from_value(example).unwrap();
                }
                Direction::Out => {
                    let parsed: ServerEvent = serde_json::from_value(example.clone())
                        .unwrap_or_else(|e| panic!("{}: {e}", frame.name));
                    assert_eq!(
                        serde_json::to_value(parsed).unwrap(),
                        example,
                        "{}",
                        frame.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_frames_are_listed_on_the_socket_operation() {
        let (_, frames) = frames();
        let text = frames.markdown();
        for frame in &frames.0 {
            assert!(
                text.contains(&format!("#### `{}`", frame.name)),
                "{}",
                frame.name
            );
        }
        assert!(text.contains("?after=<seq>"), "{text}");
    }
}
