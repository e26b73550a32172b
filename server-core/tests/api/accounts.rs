//! Registering, logging in and out, passwords, sessions and throttling.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, detail, spawn_app, spawn_app_with};

fn database(app: &TestApp) -> rusqlite::Connection {
    rusqlite::Connection::open(app.dir.path().join("chatterbox.db")).expect("open test database")
}

#[tokio::test]
async fn registering_creates_an_account_that_can_log_in() {
    let app = spawn_app().await;

    let response = app.register("alice", "correct horse").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "message": "User created" }));
    let login = app.login("alice", "correct horse").await;
    assert_eq!(login.status(), StatusCode::OK);
    let login: Value = login.json().await.unwrap();
    assert!(login["user_id"].as_i64().unwrap() > 0);
    let token = login["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256 bits in unpadded base64");
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
}

#[tokio::test]
async fn a_username_can_be_taken_only_once_whatever_its_case() {
    let app = spawn_app().await;
    app.register("alice", "correct horse").await;

    for name in ["alice", "ALICE", "Alice"] {
        let response = app.register(name, "another password").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(detail(response).await, "User exists");
    }
    let login = app.login("alice", "another password").await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn usernames_and_passwords_must_follow_the_rules() {
    let app = spawn_app().await;
    let long_name = "a".repeat(33);
    let long_password = "p".repeat(129);
    let cases = [
        ("al", "correct horse", "Username"),
        (long_name.as_str(), "correct horse", "Username"),
        ("al ice", "correct horse", "Username"),
        ("<b>x</b>", "correct horse", "Username"),
        ("alice", "short", "Password"),
        ("alice", long_password.as_str(), "Password"),
    ];

    for (username, password, rule) in cases {
        let response = app.register(username, password).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{username:?}/{password:?}"
        );
        assert!(detail(response).await.starts_with(rule));
    }
    let count: i64 = database(&app)
        .query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 0, "no account was created");
}

#[tokio::test]
async fn malformed_bodies_get_a_readable_422_or_413() {
    let app = spawn_app().await;
    let send = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/register"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    for (body, content_type) in [
        ("{\"username\":", "application/json"),
        ("{\"username\": \"alice\"}", "application/json"),
        (
            "{\"username\": 5, \"password\": \"correct horse\"}",
            "application/json",
        ),
        ("[]", "application/json"),
        (
            "{\"username\": \"alice\", \"password\": \"correct horse\"}",
            "text/plain",
        ),
    ] {
        let response = send(body, content_type).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        assert!(!detail(response).await.is_empty());
    }
    let huge = json!({ "username": "alice", "password": "x".repeat(100_000) });
    let response = app.post_json("/register", &huge).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(detail(response).await, "Request body too large");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_refusal() {
    let app = spawn_app().await;
    app.register("alice", "correct horse").await;

    for (username, password) in [
        ("alice", "wrong horse"),
        ("nobody", "correct horse"),
        ("alice", ""),
    ] {
        let response = app.login(username, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(detail(response).await, "Invalid credentials");
    }
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes_and_tokens_as_digests() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let db = database(&app);
    let hash: String = db
        .query_row(
            "SELECT password_hash FROM users WHERE id = ?1",
            [alice.id],
            |row| row.get(0),
        )
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(&alice.password));
    let stored: Vec<u8> = db
        .query_row(
            "SELECT token_hash FROM sessions WHERE user_id = ?1",
            [alice.id],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert_ne!(stored, alice.token.as_bytes());
}

#[tokio::test]
async fn repeated_logins_for_one_username_are_throttled_with_retry_after() {
    let app = spawn_app_with(|config| config.login_burst = 3).await;
    app.register("alice", "correct horse").await;
    app.register("bob", "correct horse").await;

    for _ in 0..3 {
        assert_eq!(
            app.login("alice", "wrong horse").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = app.login("alice", "correct horse").await;

    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    assert!(detail(throttled).await.starts_with("Too many attempts"));
    // Throttling one name leaves the others alone.
    assert_eq!(
        app.login("bob", "correct horse").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_address_trying_many_usernames_is_throttled_too() {
    let app = spawn_app_with(|config| config.login_burst = 2).await;

    // Four times the per-name burst is allowed from one address.
    for n in 0..8 {
        let response = app.login(&format!("guess{n}"), "whatever pw").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let response = app.login("guess-last", "whatever pw").await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_user_list_needs_a_token_and_includes_the_caller() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;

    let anonymous = app.client.get(app.url("/users")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let bad = app
        .client
        .get(app.url("/users?token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

    for response in [
        app.get_as(&alice, "/users").await,
        app.client
            .get(app.url(&format!("/users?token={}", alice.token)))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(response.status(), StatusCode::OK);
        let users: Vec<Value> = response.json().await.unwrap();
        let ids: Vec<i64> = users.iter().map(|u| u["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, vec![alice.id, bob.id]);
        assert_eq!(
            users[1],
            json!({
                "id": bob.id, "username": "bob", "is_online": 0, "last_seen": null,
                "profile_pic": null, "about": null, "display_name": null,
            })
        );
    }
}

#[tokio::test]
async fn logging_out_revokes_only_that_session() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let other: Value = app
        .login("alice", &alice.password)
        .await
        .json()
        .await
        .unwrap();
    let other_token = other["token"].as_str().unwrap();

    let response = app
        .client
        .post(app.url("/logout"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "message": "Logged out" })
    );
    assert_eq!(
        app.get_as(&alice, "/users").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let again = app
        .client
        .post(app.url(&format!("/logout?token={}", alice.token)))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let still = app
        .client
        .get(app.url(&format!("/users?token={other_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), StatusCode::OK);
}

#[tokio::test]
async fn you_must_be_logged_in_to_change_your_password() {
    let app = spawn_app().await;
    app.user("alice").await;

    let body = json!({ "old_password": "alice-secret-pw", "new_password": "brand new pw" });
    let response = app.post_json("/change-password", &body).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(detail(response).await, "Unauthorized");

    let body = json!({ "token": "forged", "old_password": "alice-secret-pw", "new_password": "brand new pw" });
    let response = app.post_json("/change-password", &body).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login("alice", "alice-secret-pw").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_wrong_old_password_or_a_weak_new_one_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let wrong = json!({ "token": alice.token, "old_password": "not it at all", "new_password": "brand new pw" });
    let response = app.post_json("/change-password", &wrong).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(detail(response).await, "Wrong old password");

    let weak =
        json!({ "token": alice.token, "old_password": alice.password, "new_password": "short" });
    let response = app.post_json("/change-password", &weak).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(detail(response).await.starts_with("Password"));

    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("alice", "brand new pw").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn changing_the_password_revokes_the_other_sessions() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let other: Value = app
        .login("alice", &alice.password)
        .await
        .json()
        .await
        .unwrap();
    let other_token = other["token"].as_str().unwrap().to_owned();

    let response = app
        .client
        .post(app.url("/change-password"))
        .bearer_auth(&alice.token)
        .json(&json!({ "old_password": alice.password, "new_password": "brand new pw" }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "message": "Password changed" })
    );
    assert_eq!(
        app.get_as(&alice, "/users").await.status(),
        StatusCode::OK,
        "this session stays"
    );
    let revoked = app
        .client
        .get(app.url(&format!("/users?token={other_token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("alice", "brand new pw").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    database(&app)
        .execute(
            "UPDATE sessions SET expires_at = 0 WHERE user_id = ?1",
            [alice.id],
        )
        .unwrap();

    let response = app.get_as(&alice, "/users").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(detail(response).await, "Invalid token");
}

#[tokio::test]
async fn accounts_survive_a_restart() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let app = app.restart().await;

    assert_eq!(
        app.get_as(&alice, "/users").await.status(),
        StatusCode::OK,
        "sessions persist"
    );
    assert_eq!(
        app.login("alice", &alice.password).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.register("alice", "whatever pw").await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_first_run_makes_its_data_directory() {
    let parent = tempfile::tempdir().expect("temp dir");
    let fresh = parent.path().join("not").join("there").join("yet");
    let mut config = server_core::Config::new(&fresh);
    config.bind = "127.0.0.1:0".parse().expect("address");

    let server = server_core::Server::start(config)
        .await
        .expect("a server starts on a data directory that does not exist yet");

    assert!(fresh.join("chatterbox.db").is_file());
    server.shutdown().await.expect("clean shutdown");
}
