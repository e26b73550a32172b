//! Profile pictures, the About text, files sent into conversations, and
//! everything served from disk or from the embedded pages.

use std::{collections::BTreeSet, path::Path};

use reqwest::{StatusCode, header, multipart::Form};
use serde_json::{Value, json};

use crate::helpers::{
    TINY_GIF, TINY_JPEG, TINY_PNG, TINY_WEBP, TestApp, TestUser, Ws, chat_files, detail, file_form,
    file_part, files_in, partials, spawn_app, spawn_app_with, uploads,
};

const MIB: usize = 1024 * 1024;

// Helpers of this file.

/// Opens `user`'s WebSocket and waits until the hub has it: a socket hears
/// its own user come online only once it is subscribed, so nothing published
/// after this returns can miss it.
async fn online(app: &TestApp, user: &TestUser) -> Ws {
    let mut ws = app.ws(&user.token).await;
    loop {
        let frame = ws.expect("presence").await;
        if frame["user_id"] == user.id && frame["is_online"] == true {
            return ws;
        }
    }
}

/// `user`'s entry in `GET /users`, as `viewer` sees it.
async fn profile_of(app: &TestApp, viewer: &TestUser, user: &TestUser) -> Value {
    let response = app.get_as(viewer, "/users").await;
    assert_eq!(response.status(), StatusCode::OK);
    let users: Vec<Value> = response.json().await.expect("json");
    users
        .into_iter()
        .find(|u| u["id"] == user.id)
        .expect("user listed")
}

async fn upload_picture(app: &TestApp, user: &TestUser, name: &str, bytes: &[u8]) -> Value {
    let form = Form::new()
        .text("token", user.token.clone())
        .part("file", file_part(name, bytes.to_vec()));
    let response = app.post_multipart("/upload-profile", form).await;
    assert_eq!(response.status(), StatusCode::OK, "upload {name}");
    response.json().await.expect("json")
}

async fn send_file(
    app: &TestApp,
    sender: &TestUser,
    receiver: &TestUser,
    name: &str,
    bytes: &[u8],
) -> Value {
    let response = app
        .upload_file(sender, receiver.id, file_form(name, bytes.to_vec()))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "upload {name:?}");
    response.json().await.expect("json")
}

fn header_of(response: &reqwest::Response, name: header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("ascii header").to_owned())
        .unwrap_or_default()
}

/// Asserts `path` is `static/{folder}/{owner}_{16 hex}_{safe name}` and
/// returns the stored file name.
fn assert_stored_name<'a>(path: &'a str, folder: &str, owner: i64) -> &'a str {
    let stored = path
        .strip_prefix(&format!("static/{folder}/"))
        .unwrap_or_else(|| panic!("{path} is not under static/{folder}/"));
    let mut parts = stored.splitn(3, '_');
    let (id, random, safe) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    assert_eq!(id, owner.to_string(), "{stored} starts with the owner's id");
    assert_eq!(random.len(), 16, "{stored} has a 16-digit random part");
    assert!(random.chars().all(|c| c.is_ascii_hexdigit()), "{stored}");
    assert!(!safe.is_empty() && !safe.starts_with('.'), "{stored}");
    assert!(
        safe.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')),
        "{stored} has only safe characters"
    );
    assert!(stored.len() <= 255, "{stored} fits any file system");
    stored
}

/// Every file under `dir`, as paths relative to it.
fn all_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("readable dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("inside dir");
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

/// Fetches a served picture and checks it is shown inline, as the bytes sent.
async fn assert_served_inline(
    app: &TestApp,
    viewer: &TestUser,
    path: &str,
    bytes: &[u8],
    mime: &str,
) {
    let response = app.get_file(viewer, path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    assert_eq!(header_of(&response, header::CONTENT_TYPE), mime);
    assert_eq!(
        header_of(&response, header::X_CONTENT_TYPE_OPTIONS),
        "nosniff"
    );
    assert!(
        !header_of(&response, header::CONTENT_DISPOSITION).contains("attachment"),
        "{path} is shown inline"
    );
    assert_eq!(response.bytes().await.expect("body"), bytes);
}

// Profile pictures.

#[tokio::test]
async fn a_profile_picture_sent_with_the_token_field_first_becomes_the_profile() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let form = Form::new().text("token", alice.token.clone()).part(
        "file",
        file_part("me.png", TINY_PNG).mime_str("image/png").unwrap(),
    );

    // Act
    let response = app.post_multipart("/upload-profile", form).await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["message"], "Profile updated");
    let path = body["path"].as_str().expect("path");
    assert!(assert_stored_name(path, "uploads", alice.id).ends_with("me.png"));
    assert_eq!(profile_of(&app, &alice, &alice).await["profile_pic"], path);
    assert_served_inline(&app, &alice, path, TINY_PNG, "image/png").await;
}

#[tokio::test]
async fn a_profile_picture_sent_with_the_token_field_after_the_file_is_accepted() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let form = Form::new()
        .part("file", file_part("me.png", TINY_PNG))
        .text("token", alice.token.clone());

    // Act
    let response = app.post_multipart("/upload-profile", form).await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["message"], "Profile updated");
    let path = body["path"].as_str().expect("path");
    assert_stored_name(path, "uploads", alice.id);
    assert_eq!(profile_of(&app, &bob, &alice).await["profile_pic"], path);
    assert_served_inline(&app, &alice, path, TINY_PNG, "image/png").await;
}

#[tokio::test]
async fn a_profile_picture_can_be_sent_with_a_bearer_token() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    // Act
    let response = app
        .client
        .post(app.url("/upload-profile"))
        .bearer_auth(&alice.token)
        .multipart(file_form("me.png", TINY_PNG))
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    let path = body["path"].as_str().expect("path");
    assert_stored_name(path, "uploads", alice.id);
    assert_eq!(profile_of(&app, &alice, &alice).await["profile_pic"], path);
}

#[tokio::test]
async fn png_jpeg_gif_and_webp_pictures_are_served_with_the_type_their_bytes_have() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    // The GIF and the WebP carry misleading names: the bytes decide.
    let pictures = [
        ("a.png", TINY_PNG, "image/png"),
        ("b.jpg", TINY_JPEG, "image/jpeg"),
        ("c.png", TINY_GIF, "image/gif"),
        ("d", TINY_WEBP, "image/webp"),
    ];

    for (name, bytes, mime) in pictures {
        // Act
        let body = upload_picture(&app, &alice, name, bytes).await;

        // Assert
        let path = body["path"].as_str().expect("path");
        assert_stored_name(path, "uploads", alice.id);
        assert_served_inline(&app, &alice, path, bytes, mime).await;
    }
}

#[tokio::test]
async fn a_profile_picture_that_is_not_an_image_is_refused_and_leaves_no_file() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let kept = upload_picture(&app, &alice, "me.png", TINY_PNG).await["path"].clone();
    let before = uploads(&app);
    let impostors: [(&str, &[u8], &str); 3] = [
        ("evil.png", b"just some text, not a picture", "image/png"),
        (
            "page.html",
            b"<!doctype html><script>alert(document.cookie)</script>",
            "text/html",
        ),
        (
            "logo.svg",
            br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
            "image/svg+xml",
        ),
    ];

    for (name, bytes, claimed) in impostors {
        // Act
        let form = Form::new()
            .text("token", alice.token.clone())
            .part("file", file_part(name, bytes).mime_str(claimed).unwrap());
        let response = app.post_multipart("/upload-profile", form).await;

        // Assert
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{name}"
        );
        assert!(!detail(response).await.is_empty());
        assert_eq!(profile_of(&app, &alice, &alice).await["profile_pic"], kept);
        assert_eq!(uploads(&app), before, "{name} left nothing in uploads/");
        assert!(partials(&app).is_empty(), "{name} left nothing in partial/");
    }
}

#[tokio::test]
async fn replacing_a_profile_picture_deletes_the_old_file() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let old = upload_picture(&app, &alice, "old.png", TINY_PNG).await;
    let old = old["path"].as_str().expect("path").to_owned();
    let old_file = app
        .dir
        .path()
        .join("uploads")
        .join(assert_stored_name(&old, "uploads", alice.id));
    assert!(old_file.exists());

    // Act
    let new = upload_picture(&app, &alice, "new.gif", TINY_GIF).await;

    // Assert
    let new = new["path"].as_str().expect("path");
    assert_ne!(new, old);
    assert!(!old_file.exists(), "the old picture is deleted");
    assert_eq!(
        uploads(&app),
        [assert_stored_name(new, "uploads", alice.id)]
    );
    assert_eq!(
        app.get_file(&alice, &old).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(profile_of(&app, &alice, &alice).await["profile_pic"], new);
}

#[tokio::test]
async fn removing_the_profile_picture_clears_it_and_deletes_its_file() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let path = upload_picture(&app, &alice, "me.png", TINY_PNG).await["path"]
        .as_str()
        .expect("path")
        .to_owned();

    // Act
    let response = app
        .client
        .post(app.url(&format!("/remove-profile?token={}", alice.token)))
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({ "message": "Profile removed" }));
    assert!(profile_of(&app, &alice, &alice).await["profile_pic"].is_null());
    assert!(uploads(&app).is_empty(), "the file is deleted");
    assert_eq!(
        app.get_file(&alice, &path).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn profile_routes_refuse_bad_tokens_with_the_contract_wording() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let path = upload_picture(&app, &alice, "me.png", TINY_PNG).await["path"].clone();
    let before = uploads(&app);

    // Act
    let field_first = app
        .post_multipart(
            "/upload-profile",
            Form::new()
                .text("token", "not-a-token")
                .part("file", file_part("x.png", TINY_PNG)),
        )
        .await;
    let field_after = app
        .post_multipart(
            "/upload-profile",
            Form::new()
                .part("file", file_part("x.png", TINY_PNG))
                .text("token", "not-a-token"),
        )
        .await;
    let no_token = app
        .post_multipart("/upload-profile", file_form("x.png", TINY_PNG))
        .await;
    let bad_bearer = app
        .client
        .post(app.url("/upload-profile"))
        .bearer_auth("not-a-token")
        .multipart(file_form("x.png", TINY_PNG))
        .send()
        .await
        .expect("request");
    let remove_bad = app
        .client
        .post(app.url("/remove-profile?token=not-a-token"))
        .send()
        .await
        .expect("request");
    let remove_none = app
        .client
        .post(app.url("/remove-profile"))
        .send()
        .await
        .expect("request");
    let about_bad = app
        .post_json(
            "/update-about",
            &json!({ "token": "not-a-token", "about": "hi" }),
        )
        .await;
    let about_none = app
        .post_json("/update-about", &json!({ "about": "hi" }))
        .await;

    // Assert
    for (what, response, wording) in [
        ("upload, token field first", field_first, "Invalid token"),
        ("upload, token field after", field_after, "Invalid token"),
        ("upload, no token", no_token, "Invalid token"),
        ("upload, bad bearer", bad_bearer, "Invalid token"),
        ("remove, bad token", remove_bad, "Unauthorized"),
        ("remove, no token", remove_none, "Unauthorized"),
        ("about, bad token", about_bad, "Unauthorized"),
        ("about, no token", about_none, "Unauthorized"),
    ] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(detail(response).await, wording, "{what}");
    }
    let profile = profile_of(&app, &alice, &alice).await;
    assert_eq!(profile["profile_pic"], path);
    assert!(profile["about"].is_null());
    assert_eq!(uploads(&app), before);
    assert!(partials(&app).is_empty());
}

#[tokio::test]
async fn a_profile_picture_over_the_upload_limit_is_refused_with_413() {
    // Arrange
    let app = spawn_app_with(|c| c.max_upload_mb = 1).await;
    let alice = app.user("alice").await;
    let mut big = TINY_PNG.to_vec();
    big.resize(MIB + 1, 0);
    let form = Form::new()
        .text("token", alice.token.clone())
        .part("file", file_part("big.png", big));

    // Act
    let response = app.post_multipart("/upload-profile", form).await;

    // Assert
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(!detail(response).await.is_empty());
    assert!(profile_of(&app, &alice, &alice).await["profile_pic"].is_null());
    assert!(uploads(&app).is_empty());
    assert!(partials(&app).is_empty());
}

// About.

#[tokio::test]
async fn an_updated_about_text_is_shown_in_the_user_list() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;

    // Act
    let response = app
        .post_json(
            "/update-about",
            &json!({ "token": alice.token, "about": "Gardening, chess — et café ☕" }),
        )
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({ "message": "About updated" }));
    assert_eq!(
        profile_of(&app, &bob, &alice).await["about"],
        "Gardening, chess — et café ☕"
    );
}

#[tokio::test]
async fn an_about_text_over_500_characters_is_refused_with_400() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let longest = "é".repeat(500);
    let accepted = app
        .post_json(
            "/update-about",
            &json!({ "token": alice.token, "about": longest }),
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::OK, "500 characters are fine");

    // Act
    let response = app
        .post_json(
            "/update-about",
            &json!({ "token": alice.token, "about": "é".repeat(501) }),
        )
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(!detail(response).await.is_empty());
    assert_eq!(profile_of(&app, &alice, &alice).await["about"], longest);
}

#[tokio::test]
async fn an_about_update_without_the_about_field_is_refused_with_422() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    // Act
    let response = app
        .post_json("/update-about", &json!({ "token": alice.token }))
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!detail(response).await.is_empty());
}

// Files sent into a conversation.

#[tokio::test]
async fn a_sent_file_is_answered_pushed_to_both_parties_and_kept_in_history() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let mut alice_ws = online(&app, &alice).await;
    let mut bob_ws = online(&app, &bob).await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();

    // Act
    let response = app
        .upload_file(&alice, bob.id, file_form("report.pdf", bytes.clone()))
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["type"], "private_message");
    assert!(answer["id"].is_i64());
    assert_eq!(answer["sender_id"], alice.id);
    assert_eq!(answer["receiver_id"], bob.id);
    assert!(
        answer.get("content").is_some_and(Value::is_null),
        "content: null"
    );
    let timestamp = answer["timestamp"].as_str().expect("timestamp");
    assert!(timestamp.ends_with('Z'), "{timestamp} is marked UTC");
    assert_eq!(answer["file_name"], "report.pdf");
    assert_eq!(answer["file_size"], bytes.len());
    assert_eq!(answer["mime_type"], "application/pdf");
    let path = answer["file_path"].as_str().expect("file_path");
    assert!(assert_stored_name(path, "files", alice.id).ends_with("report.pdf"));

    assert_eq!(alice_ws.expect("private_message").await, answer);
    assert_eq!(bob_ws.expect("private_message").await, answer);

    let history = app.history(&bob, alice.id).await;
    let listed = history
        .iter()
        .find(|m| m["id"] == answer["id"])
        .expect("file message in history");
    assert_eq!(listed["file_path"], path);
    assert!(listed["content"].is_null());

    let served = app.get_file(&alice, path).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.expect("body"), bytes);
}

#[tokio::test]
async fn html_and_svg_files_are_served_as_downloads_never_as_pages() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let html: &[u8] = b"<!doctype html><script>fetch('/users')</script>";
    let svg: &[u8] = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    // HTML in a picture's clothes must not become a page either.
    let disguised: &[u8] = b"<html><script>alert(1)</script></html>";

    for (name, bytes) in [
        ("page.html", html),
        ("logo.svg", svg),
        ("x.htm", html),
        ("cat.png", disguised),
    ] {
        let sent = send_file(&app, &alice, &bob, name, bytes).await;
        let path = sent["file_path"].as_str().expect("file_path");

        // Act
        let response = app.get_file(&alice, path).await;

        // Assert
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert_eq!(
            header_of(&response, header::X_CONTENT_TYPE_OPTIONS),
            "nosniff",
            "{name}"
        );
        let policy = header_of(&response, header::CONTENT_SECURITY_POLICY);
        assert!(
            policy.contains("sandbox"),
            "{name} runs no script even if shown: {policy}"
        );
        let content_type = header_of(&response, header::CONTENT_TYPE);
        if name == "cat.png" {
            assert!(!content_type.contains("html"), "{name}: {content_type}");
        } else {
            assert!(
                header_of(&response, header::CONTENT_DISPOSITION).starts_with("attachment"),
                "{name} ({content_type}) is downloaded"
            );
            assert_eq!(content_type, "application/octet-stream", "{name}");
        }
        assert_eq!(response.bytes().await.expect("body"), bytes, "{name}");
    }
}

#[tokio::test]
async fn pictures_sent_as_files_are_shown_inline() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;

    for (name, bytes, mime) in [
        ("photo.png", TINY_PNG, "image/png"),
        ("photo.jpeg", TINY_JPEG, "image/jpeg"),
        ("anim.gif", TINY_GIF, "image/gif"),
        ("pic.webp", TINY_WEBP, "image/webp"),
    ] {
        // Act
        let sent = send_file(&app, &alice, &bob, name, bytes).await;

        // Assert
        assert_eq!(sent["mime_type"], mime, "{name}");
        let path = sent["file_path"].as_str().expect("file_path");
        assert_served_inline(&app, &alice, path, bytes, mime).await;
    }
}

#[tokio::test]
async fn hostile_file_names_cannot_leave_the_files_folder() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let long = format!("{}.txt", "a".repeat(296));
    let names = [
        ("../../x", "x"),
        ("a/b", "b"),
        ("..\\x", "x"),
        (".htaccess", ".htaccess"),
        ("", "file"),
        ("/etc/passwd", "passwd"),
        ("C:\\Windows\\win.ini", "win.ini"),
        ("résumé ünïcode 文件 📄.txt", "résumé ünïcode 文件 📄.txt"),
        (long.as_str(), ""),
    ];

    for (name, shown) in names {
        let bytes = format!("contents of {name:?}").into_bytes();

        // Act
        let sent = send_file(&app, &alice, &bob, name, &bytes).await;

        // Assert
        let path = sent["file_path"].as_str().expect("file_path");
        let stored = assert_stored_name(path, "files", alice.id);
        assert!(
            app.dir.path().join("files").join(stored).is_file(),
            "{name:?}"
        );
        let file_name = sent["file_name"].as_str().expect("file_name");
        assert!(
            !file_name.contains(['/', '\\']),
            "{file_name:?} has no folders"
        );
        if name == long {
            assert!(file_name.chars().count() <= 255, "display name is bounded");
            assert!(long.starts_with(file_name) && !file_name.is_empty());
            assert!(stored.ends_with(".txt"), "{stored} keeps its extension");
        } else {
            assert_eq!(file_name, shown, "{name:?}");
        }
        let served = app.get_file(&alice, path).await;
        assert_eq!(served.status(), StatusCode::OK, "{name:?}");
        assert_eq!(served.bytes().await.expect("body"), bytes, "{name:?}");
    }
    let escaped = app.dir.path().parent().expect("temp parent").join("x");
    let leaked = std::fs::read(&escaped).unwrap_or_default();
    assert!(
        !leaked.starts_with(b"contents of"),
        "../../x escaped to {escaped:?}"
    );
    let everything = all_files(app.dir.path());
    let strays: Vec<_> = everything
        .iter()
        .filter(|f| !f.starts_with("files/") && !f.starts_with("chatterbox.db"))
        .collect();
    assert!(strays.is_empty(), "files outside files/: {strays:?}");
    assert_eq!(chat_files(&app).len(), names.len());
}

#[tokio::test]
async fn a_file_over_the_upload_limit_is_refused_with_413_and_not_kept() {
    // Arrange
    let app = spawn_app_with(|c| c.max_upload_mb = 1).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;

    // Act
    let response = app
        .upload_file(&alice, bob.id, file_form("big.bin", vec![7u8; MIB + 1]))
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(!detail(response).await.is_empty());
    assert!(chat_files(&app).is_empty());
    assert!(partials(&app).is_empty());
    assert!(app.history(&alice, bob.id).await.is_empty());
}

#[tokio::test]
async fn a_file_of_exactly_the_upload_limit_is_accepted() {
    // Arrange
    let app = spawn_app_with(|c| c.max_upload_mb = 1).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let bytes = vec![7u8; MIB];

    // Act
    let sent = send_file(&app, &alice, &bob, "exact.bin", &bytes).await;

    // Assert
    assert_eq!(sent["file_size"], MIB);
    let served = app
        .get_file(&alice, sent["file_path"].as_str().expect("path"))
        .await;
    assert_eq!(served.bytes().await.expect("body").len(), MIB);
    assert!(partials(&app).is_empty());
}

#[tokio::test]
async fn a_file_for_someone_who_does_not_exist_is_refused_with_404_and_not_kept() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    // Act
    let response = app
        .upload_file(&alice, 9999, file_form("note.txt", b"hello".to_vec()))
        .await;

    // Assert
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!detail(response).await.is_empty());
    assert!(chat_files(&app).is_empty());
    assert!(partials(&app).is_empty());
}

#[tokio::test]
async fn malformed_file_uploads_are_refused_with_422() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let upload = format!("/upload-file?token={}&receiver_id={}", alice.token, bob.id);

    // Act
    let no_file_field = app
        .post_multipart(
            &upload,
            Form::new()
                .text("note", "no file here")
                .part("attachment", file_part("x.txt", b"x".to_vec())),
        )
        .await;
    let not_multipart = app.post_json(&upload, &json!({ "file": "x" })).await;
    let no_receiver = app
        .post_multipart(
            &format!("/upload-file?token={}", alice.token),
            file_form("x.txt", b"x".to_vec()),
        )
        .await;
    let bad_receiver = app
        .post_multipart(
            &format!("/upload-file?token={}&receiver_id=bob", alice.token),
            file_form("x.txt", b"x".to_vec()),
        )
        .await;

    // Assert
    for (what, response) in [
        ("no file field", no_file_field),
        ("not multipart", not_multipart),
        ("no receiver_id", no_receiver),
        ("non-integer receiver_id", bad_receiver),
    ] {
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}"
        );
        assert!(!detail(response).await.is_empty(), "{what}");
    }
    assert!(chat_files(&app).is_empty());
    assert!(partials(&app).is_empty());
}

#[tokio::test]
async fn a_file_upload_with_a_bad_token_is_refused_with_401_and_not_kept() {
    // Arrange
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let form = || file_form("x.txt", b"x".to_vec());

    // Act
    let bad_query = app
        .post_multipart(
            &format!("/upload-file?token=nope&receiver_id={}", bob.id),
            form(),
        )
        .await;
    let no_token = app
        .post_multipart(&format!("/upload-file?receiver_id={}", bob.id), form())
        .await;
    let bad_bearer = app
        .client
        .post(app.url(&format!("/upload-file?receiver_id={}", bob.id)))
        .bearer_auth("nope")
        .multipart(form())
        .send()
        .await
        .expect("request");

    // Assert
    for (what, response) in [
        ("bad query token", bad_query),
        ("no token", no_token),
        ("bad bearer", bad_bearer),
    ] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(detail(response).await, "Unauthorized", "{what}");
    }
    assert!(chat_files(&app).is_empty());
    assert!(partials(&app).is_empty());
    assert!(app.history(&bob, bob.id).await.is_empty());
}

// Serving files from disk.

#[tokio::test]
async fn a_missing_uploaded_file_is_a_json_404() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    for path in [
        "static/files/does-not-exist",
        "static/uploads/does-not-exist.png",
        "static/files/",
        "static/nothing-here.css",
    ] {
        // Act
        let response = app.get_file(&alice, path).await;

        // Assert
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!detail(response).await.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn path_traversal_never_reaches_the_database() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    send_file(&app, &alice, &bob, "x.txt", b"x").await;
    upload_picture(&app, &alice, "me.png", TINY_PNG).await;
    assert!(app.dir.path().join("chatterbox.db").is_file());
    let attempts = [
        "/static/files/..%2f..%2fchatterbox.db",
        "/static/files/..%2fchatterbox.db",
        "/static/files/%2e%2e/chatterbox.db",
        "/static/files/%2e%2e%2fchatterbox.db",
        "/static/files/..%5cchatterbox.db",
        "/static/files/....//chatterbox.db",
        "/static/uploads/../chatterbox.db",
        "/static/uploads/..%2fchatterbox.db",
        "/static/uploads/%2E%2E%2Fchatterbox.db",
        "/static/files/../uploads/../chatterbox.db",
        "/static/../chatterbox.db",
        "/static/..%2fchatterbox.db",
        "/static/files//chatterbox.db",
        "/static/files/%2fchatterbox.db",
        "/static/..%2fserver-core%2fCargo.toml",
        "/static/../server-core/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/chatterbox.db",
    ];

    for target in attempts {
        // Act
        let (status, response) = app.raw_get(target).await;

        // Assert
        assert!((400..500).contains(&status), "{target} answered {status}");
        let text = String::from_utf8_lossy(&response);
        assert!(
            !text.contains("SQLite format 3"),
            "{target} leaked the database"
        );
        assert!(
            !text.contains("[package]") && !text.contains("[workspace]"),
            "{target} leaked a source file"
        );
    }
}

#[tokio::test]
async fn uploaded_files_cannot_be_posted_to() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let path = upload_picture(&app, &alice, "me.png", TINY_PNG).await["path"]
        .as_str()
        .expect("path")
        .to_owned();

    // Act
    let response = app
        .client
        .post(app.url(&format!("/{path}")))
        .body("overwrite")
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(header_of(&response, header::ALLOW).contains("GET"));
    assert!(!detail(response).await.is_empty());
    assert_served_inline(&app, &alice, &path, TINY_PNG, "image/png").await;
}

// Pages and their assets.

#[tokio::test]
async fn the_pages_are_html_that_runs_only_our_own_scripts() {
    // Arrange
    let app = spawn_app().await;

    for (route, marker) in [
        ("/", "data-mode=\"login\""),
        ("/register-page", "data-mode=\"register\""),
        ("/chat-page", "id=\"message-list\""),
    ] {
        // Act
        let response = app
            .client
            .get(app.url(route))
            .send()
            .await
            .expect("request");

        // Assert
        assert_eq!(response.status(), StatusCode::OK, "{route}");
        assert!(
            header_of(&response, header::CONTENT_TYPE).starts_with("text/html"),
            "{route}"
        );
        let policy = header_of(&response, header::CONTENT_SECURITY_POLICY);
        assert!(policy.contains("script-src 'self'"), "{route}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{route}: {policy}");
        let html = response.text().await.expect("body");
        assert!(html.contains(marker), "{route} is the right page");
    }
}

#[tokio::test]
async fn stylesheets_and_the_default_picture_are_served_with_their_types() {
    // Arrange
    let app = spawn_app().await;

    for (path, mime) in [
        ("static/login.css", "text/css"),
        ("static/chat.css", "text/css"),
        ("static/default.png", "image/png"),
    ] {
        // Act
        let response = app.get_file_anonymously(path).await;

        // Assert
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            header_of(&response, header::CONTENT_TYPE).starts_with(mime),
            "{path}"
        );
        let body = response.bytes().await.expect("body");
        assert!(!body.is_empty(), "{path}");
        if mime == "image/png" {
            assert!(body.starts_with(&TINY_PNG[..8]), "default.png is a PNG");
        }
    }
}

/// The values of `attribute="…"` in `html`.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The relative specifiers of `import … from "./x.js"` (either quote) in `js`.
fn relative_imports(js: &str) -> Vec<String> {
    js.match_indices("from ")
        .filter_map(|(at, _)| {
            let rest = js[at + 5..].trim_start();
            let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            let rest = &rest[1..];
            let specifier = &rest[..rest.find(quote)?];
            specifier.starts_with('.').then(|| specifier.to_owned())
        })
        .collect()
}

/// Resolves `./x.js` or `../x.js` against the URL path of a module.
fn resolve(module: &str, specifier: &str) -> String {
    let mut parts: Vec<&str> = module.split('/').collect();
    parts.pop();
    for segment in specifier.split('/') {
        match segment {
            "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[tokio::test]
async fn every_asset_the_pages_and_scripts_reference_is_served() {
    // Arrange
    let app = spawn_app().await;
    let mut pending: Vec<String> = Vec::new();
    for route in ["/", "/register-page", "/chat-page"] {
        let html = app
            .client
            .get(app.url(route))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("body");
        for value in attribute_values(&html, "src")
            .into_iter()
            .chain(attribute_values(&html, "href"))
        {
            if value.starts_with("/static/") {
                pending.push(value.to_owned());
            }
        }
    }
    // Modules no page loads yet must resolve too.
    let ui_js = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/js");
    for name in files_in(&ui_js) {
        if name.ends_with(".js") {
            pending.push(format!("/static/js/{name}"));
        }
    }
    assert!(
        pending.iter().any(|p| p.ends_with(".js")),
        "the pages load scripts"
    );
    let mut checked = BTreeSet::new();

    // Act / Assert: every reference, and every import of every script.
    while let Some(path) = pending.pop() {
        if !checked.insert(path.clone()) {
            continue;
        }
        let response = app
            .client
            .get(app.url(&path))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = header_of(&response, header::CONTENT_TYPE);
        if path.ends_with(".js") {
            assert!(
                content_type.contains("javascript"),
                "{path}: {content_type}"
            );
            let js = response.text().await.expect("body");
            for specifier in relative_imports(&js) {
                pending.push(resolve(&path, &specifier));
            }
        } else if path.ends_with(".css") {
            assert!(
                content_type.starts_with("text/css"),
                "{path}: {content_type}"
            );
        }
    }
    assert!(checked.len() > 5, "checked {checked:?}");
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_get_json_errors() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let unknown = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .expect("request");
    let wrong_methods = [
        app.client.get(app.url("/login")),
        app.client.post(app.url("/")),
        app.client.delete(app.url("/static/chat.css")),
    ];
    let mut refusals = Vec::new();
    for request in wrong_methods {
        refusals.push(request.send().await.expect("request"));
    }

    // Assert
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(detail(unknown).await, "Not Found");
    for refusal in refusals {
        let url = refusal.url().clone();
        assert_eq!(refusal.status(), StatusCode::METHOD_NOT_ALLOWED, "{url}");
        assert!(!detail(refusal).await.is_empty(), "{url}");
    }
}

#[tokio::test]
async fn unchanged_pages_and_assets_revalidate_with_304() {
    // Arrange
    let app = spawn_app().await;

    for route in ["/", "/chat-page", "/static/chat.css", "/static/js/chat.js"] {
        let first = app
            .client
            .get(app.url(route))
            .send()
            .await
            .expect("request");
        assert_eq!(first.status(), StatusCode::OK, "{route}");
        let etag = header_of(&first, header::ETAG);
        assert!(!etag.is_empty(), "{route} has an ETag");

        // Act
        let again = app
            .client
            .get(app.url(route))
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .expect("request");
        let stale = app
            .client
            .get(app.url(route))
            .header(header::IF_NONE_MATCH, "\"something-else\"")
            .send()
            .await
            .expect("request");

        // Assert
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{route}");
        assert!(again.bytes().await.expect("body").is_empty(), "{route}");
        assert_eq!(stale.status(), StatusCode::OK, "{route}");
        assert!(!stale.bytes().await.expect("body").is_empty(), "{route}");
    }
}

#[tokio::test]
async fn the_health_check_says_ok() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let response = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");

    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
}

// Persistence.

#[tokio::test]
async fn pictures_about_texts_and_files_survive_a_restart() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let picture = upload_picture(&app, &alice, "me.gif", TINY_GIF).await["path"]
        .as_str()
        .expect("path")
        .to_owned();
    let about = app
        .post_json(
            "/update-about",
            &json!({ "token": alice.token, "about": "still here" }),
        )
        .await;
    assert_eq!(about.status(), StatusCode::OK);
    let sent = send_file(&app, &alice, &bob, "notes.txt", b"remember me").await;

    // Act
    let app = app.restart().await;

    // Assert
    let profile = profile_of(&app, &bob, &alice).await;
    assert_eq!(profile["profile_pic"], picture);
    assert_eq!(profile["about"], "still here");
    assert_served_inline(&app, &bob, &picture, TINY_GIF, "image/gif").await;
    let path = sent["file_path"].as_str().expect("file_path");
    let file = app.get_file(&bob, path).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.expect("body"), &b"remember me"[..]);
    let history = app.history(&bob, alice.id).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["file_path"], path);
}

/// A form that repeats `file` or `token` is ambiguous: refused, whichever
/// way the sender is known, with nothing kept.
#[tokio::test]
async fn a_form_with_two_files_or_two_tokens_is_refused_and_nothing_is_kept() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let forms = [
        (
            format!("/upload-file?token={}&receiver_id={}", alice.token, bob.id),
            Form::new()
                .part("file", file_part("a.txt", "first"))
                .part("file", file_part("b.txt", "second")),
        ),
        (
            "/upload-profile".to_owned(),
            Form::new()
                .text("token", alice.token.clone())
                .part("file", file_part("me.png", TINY_PNG))
                .text("token", bob.token.clone()),
        ),
        (
            "/upload-profile".to_owned(),
            Form::new()
                .part("file", file_part("me.png", TINY_PNG))
                .text("token", alice.token.clone())
                .part("file", file_part("you.png", TINY_PNG)),
        ),
    ];
    for (path, form) in forms {
        let response = app.post_multipart(&path, form).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
        assert!(detail(response).await.starts_with("Send one"), "{path}");
    }
    assert!(chat_files(&app).is_empty());
    assert!(uploads(&app).is_empty());
    assert!(partials(&app).is_empty());
    app.shutdown().await;
}

/// Files are served with HEAD (headers, no body, the same checks) and
/// answer a conditional GET for an unchanged file with 304.
#[tokio::test]
async fn sent_files_answer_head_and_conditional_requests() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let eve = app.user("eve").await;
    let sent = send_file(&app, &alice, &bob, "notes.txt", b"twelve bytes").await;
    let path = format!("/{}", sent["file_path"].as_str().expect("a path"));

    let head = |user: &TestUser| {
        app.client
            .head(app.url(&path))
            .bearer_auth(&user.token)
            .send()
    };
    let response = head(&bob).await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, header::CONTENT_LENGTH), "12");
    assert_eq!(
        header_of(&response, header::CONTENT_DISPOSITION),
        "attachment"
    );
    let modified = header_of(&response, header::LAST_MODIFIED);
    assert!(response.bytes().await.expect("body").is_empty());
    assert_eq!(
        head(&eve).await.expect("request").status(),
        StatusCode::NOT_FOUND
    );
    let anonymous = app
        .client
        .head(app.url(&path))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    assert!(!modified.is_empty());
    let again = app
        .client
        .get(app.url(&path))
        .bearer_auth(&bob.token)
        .header(header::IF_MODIFIED_SINCE, &modified)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    app.shutdown().await;
}
