//! A real server for tests: server-core on `127.0.0.1:0` with its data in
//! a temporary directory, and people registered on it.

use std::path::Path;

use reqwest::Client;
use serde_json::{Value, json};
use server_core::{RunningServer, store::UserId};

const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub server: RunningServer,
    /// `http://127.0.0.1:PORT/`, as the app's bases end in `/`.
    pub base: String,
    pub http: Client,
}

impl TestServer {
    pub async fn start(dir: &Path) -> Self {
        // As host mode does: server-core does not make its data dir.
        std::fs::create_dir_all(dir).unwrap();
        let mut config = server_core::Config::new(dir);
        config.bind = "127.0.0.1:0".parse().unwrap();
        let server = server_core::Server::start(config).await.unwrap();
        let base = format!("http://{}/", server.local_addr);
        Self {
            server,
            base,
            http: Client::new(),
        }
    }

    /// Registers and logs in `name`: (user id, token).
    pub async fn account(&self, name: &str) -> (UserId, String) {
        let body = json!({"username": name, "password": PASSWORD});
        self.http
            .post(format!("{}register", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let login: Value = self
            .http
            .post(format!("{}login", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            login["user_id"].as_i64().unwrap(),
            login["token"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn shutdown(self) {
        self.server.shutdown().await.unwrap();
    }
}
