//! The API's own documents: `/openapi.json` lists every route the server
//! has, each as it answers; `/asyncapi.json` every WebSocket frame; `/docs`
//! serves the viewer from the binary.

use std::path::Path;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

async fn openapi(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Routes are added only with `routes!`, which takes a handler's
/// `#[utoipa::path]` into the document with it: a route added any other
/// way would be missing from the document, so none may be.
#[test]
fn no_route_is_added_without_its_documentation() {
    let mut undocumented = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    visit(&src, &mut |path, text| {
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for call in [
                ".route(",
                ".route_service(",
                ".nest(",
                ".nest_service(",
                ".fallback_service(",
            ] {
                if code.contains(call) {
                    undocumented.push(format!(
                        "{}:{}: {}",
                        path.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    });
    assert!(
        undocumented.is_empty(),
        "routes added without `routes!`:\n{}",
        undocumented.join("\n")
    );
}

fn visit(dir: &Path, check: &mut dyn FnMut(&Path, &str)) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, check);
        } else if path.extension().is_some_and(|e| e == "rs") {
            check(&path, &std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// A request to every documented operation reaches a handler (not the
/// "no such route" or "method not allowed" answers), and every method a
/// documented path does not list is refused with 405.
#[tokio::test]
async fn every_documented_route_exists_with_exactly_its_methods() {
    let app = spawn_app().await;
    let spec = openapi(&app).await;
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() > 30, "{paths:?}");
    let methods = ["get", "post", "put", "patch", "delete"];
    for (template, item) in paths {
        let path = sample_path(template);
        for method in methods {
            let response = app
                .client
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    app.url(&path),
                )
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            if item.get(method).is_some() {
                let unrouted = status == 405 || (status == 404 && body.contains("\"Not Found\""));
                assert!(
                    !unrouted,
                    "{method} {path} is documented but answers {status} {body}"
                );
            } else if method != "get" || !item.as_object().unwrap().contains_key("get") {
                // HEAD follows GET; anything else undocumented is refused.
                assert_eq!(
                    status, 405,
                    "{method} {path} is not documented but answers {status} {body}"
                );
            }
        }
    }
    app.shutdown().await;
}

/// A concrete path for a template: ids of things that exist (conversation 1
/// is General), and names of files the pages have.
fn sample_path(template: &str) -> String {
    match template {
        "/static/{name}" => "/static/chat.css".into(),
        "/static/js/{name}" => "/static/js/chat.js".into(),
        other => other
            .replace("{name}", "1_0123456789abcdef_x.png")
            .replace(['{', '}'], "")
            .split('/')
            .map(|segment| {
                if segment.ends_with("id") {
                    "1"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/"),
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_both_auth_schemes_and_error_bodies() {
    let app = spawn_app().await;
    let spec = openapi(&app).await;

    assert_eq!(spec["openapi"], "3.1.0");
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["token"]["in"], "query");
    assert_eq!(schemes["token"]["name"], "token");
    assert_eq!(
        spec["components"]["schemas"]["Problem"]["required"][0],
        "detail"
    );
    // The contract's routes that take the token in a body say so.
    for (path, field_holder) in [
        ("/change-password", "WithToken_PasswordChange"),
        ("/update-about", "WithToken_AboutUpdate"),
        ("/update-display-name", "WithToken_DisplayNameUpdate"),
    ] {
        let body = &spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"];
        assert_eq!(
            body,
            &format!("#/components/schemas/{field_holder}"),
            "{path}"
        );
    }
    let form = &spec["components"]["schemas"]["UploadForm"]["properties"];
    assert!(
        form["token"].is_object() && form["file"].is_object(),
        "{form}"
    );

    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let errors: Vec<_> = responses
                .keys()
                .filter(|s| s.starts_with('4') || s.starts_with('5'))
                .collect();
            assert!(!errors.is_empty(), "{method} {path} documents no error");
            for status in errors {
                let schema = &responses[status]["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/Problem",
                    "{method} {path} {status}"
                );
            }
            let secured = operation["security"]
                .as_array()
                .is_some_and(|ways| !ways.is_empty());
            if secured {
                assert!(responses.contains_key("401"), "{method} {path}");
            }
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_viewer_and_its_assets_are_served_by_the_server() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("swagger-ui-bundle.js"), "{page}");

    for asset in [
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-initializer.js",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/docs/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let text = response.text().await.unwrap();
        assert!(!text.is_empty(), "{asset}");
        if asset == "swagger-initializer.js" {
            assert!(text.contains("/openapi.json"), "{text}");
            // Swagger UI asks an online validator unless told not to.
            assert!(text.contains("\"validatorUrl\": \"none\""), "{text}");
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_asyncapi_document_has_every_frame_both_ways_with_an_example() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/asyncapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();

    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["channels"]["socket"]["address"], "/ws");
    assert!(
        doc["channels"]["socket"]["bindings"]["ws"]["query"]["properties"]["after"].is_object()
    );
    let names = |operation: &str| -> Vec<String> {
        doc["operations"][operation]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                m["$ref"]
                    .as_str()
                    .unwrap()
                    .rsplit('.')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let received = names("receiveClientFrames");
    let sent = names("sendServerFrames");
    for frame in [
        "private_message",
        "send_message",
        "edit_message",
        "delete_message",
        "mark_read",
        "typing",
    ] {
        assert!(
            received.contains(&frame.to_owned()),
            "{frame} in {received:?}"
        );
    }
    for frame in [
        "private_message",
        "message",
        "message_deleted",
        "read",
        "delivered",
        "synced",
        "reset",
        "error",
    ] {
        assert!(sent.contains(&frame.to_owned()), "{frame} in {sent:?}");
    }
    for (key, message) in doc["components"]["messages"].as_object().unwrap() {
        assert!(message["payload"].is_object(), "{key}");
        let example = &message["examples"][0]["payload"];
        assert_eq!(example["type"], message["name"], "{key}: {example}");
    }
    // Every schema a frame refers to is in the document.
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(doc["components"]["schemas"][name].is_object(), "{name}");
    }
    app.shutdown().await;
}
