//! What a notification says about who wrote and where: people's names and
//! pictures (`GET /users`, pictures under `/static/uploads/`) and the
//! titles of rooms and groups (`GET /conversations/{id}`); and how the
//! person wants to be notified (`GET /conversations`, `GET /settings`),
//! which is not cached here but kept by the listener. Everything is
//! asked with the session's token (the server shows none of it to anonymous
//! clients) and kept for the session: names and titles in memory, pictures
//! as files, because notification daemons take a path, not a URL.
//!
//! Cached answers go stale on the frames that change them: `user_updated`
//! (a new display name or picture) forgets a person, and a `renamed`
//! notice carries the new title.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::{Deserialize, de::DeserializeOwned};
use server_core::{
    store::{ConversationId, Notice, NoticeAction, UserId},
    ws::protocol::Settings,
};

use super::policy::{Listed, Preferences};

/// How long one lookup may take; a notification is late, not lost, without it.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Someone who may send us messages, as `GET /users` lists them.
#[derive(Debug, Clone, Deserialize)]
pub struct Person {
    pub id: UserId,
    pub username: String,
    /// Left out by a server older than display names.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub profile_pic: Option<String>,
}

impl Person {
    /// The name to show for them, as the pages show it: their display name
    /// if they chose one, else their username.
    pub fn name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }
}

/// The part of `GET /conversations/{id}` a notification needs.
#[derive(Debug, Deserialize)]
struct ConversationInfo {
    title: Option<String>,
}

pub struct Directory {
    /// One client per session: its connections are reused for every lookup.
    http: reqwest::Client,
    base: String,
    token: String,
    people: HashMap<UserId, Person>,
    titles: HashMap<ConversationId, String>,
    /// This server's pictures, apart from other servers' (names may clash).
    avatars: PathBuf,
}

impl Directory {
    pub fn new(base: &str, token: &str, avatars: PathBuf) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token: token.to_owned(),
            people: HashMap::new(),
            titles: HashMap::new(),
            avatars,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// A sender's name and picture; everyone is asked for at once, since
    /// `GET /users` is the one way to ask.
    pub async fn person(&mut self, id: UserId) -> Option<Person> {
        if !self.people.contains_key(&id) {
            match self.get_json::<Vec<Person>>("users").await {
                Ok(people) => self.people = people.into_iter().map(|p| (p.id, p)).collect(),
                Err(e) => tracing::warn!("cannot look up who sent a message: {e}"),
            }
        }
        self.people.get(&id).cloned()
    }

    pub fn forget_person(&mut self, id: UserId) {
        self.people.remove(&id);
    }

    /// A room's or group's title. A failed lookup is not remembered: the
    /// next message asks again.
    pub async fn title(&mut self, id: ConversationId) -> Option<String> {
        if let Some(title) = self.titles.get(&id) {
            return Some(title.clone());
        }
        let info = self
            .get_json::<ConversationInfo>(&format!("conversations/{id}"))
            .await
            .inspect_err(|e| tracing::warn!(conversation = id, "cannot look up a title: {e}"))
            .ok()?;
        let title = info.title?;
        self.titles.insert(id, title.clone());
        Some(title)
    }

    /// Keeps titles current from a conversation's notices.
    pub fn noticed(&mut self, conversation: ConversationId, notice: &Notice) {
        if notice.action != NoticeAction::Renamed {
            return;
        }
        match &notice.title {
            Some(title) => {
                self.titles.insert(conversation, title.clone());
            }
            // Not what the server sends, but then ask again.
            None => {
                self.titles.remove(&conversation);
            }
        }
    }

    /// The person's levels and settings as the server has them now.
    pub async fn preferences(&self) -> Result<Preferences, reqwest::Error> {
        let conversations = self.get_json::<Vec<Listed>>("conversations").await?;
        let settings = self.get_json::<Settings>("settings").await?;
        Ok(Preferences::new(&conversations, &settings))
    }

    /// A profile picture (`/static/uploads/…`) as a local file, downloaded
    /// once.
    pub async fn picture(&self, server_path: &str) -> Option<PathBuf> {
        let name = server_path.rsplit('/').next().filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })?;
        let path = self.avatars.join(name);
        if tokio::fs::metadata(&path).await.is_ok() {
            return Some(path);
        }
        let bytes = async {
            self.get(server_path)
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await
        }
        .await
        .inspect_err(|e| tracing::warn!("cannot fetch a profile picture: {e}"))
        .ok()?;
        write_atomically(&path, &bytes).await.ok()?;
        Some(path)
    }

    /// A GET of `path` on this server with the session's token. Appended to
    /// the base (which ends in `/`), never joined: whatever the path says,
    /// the token goes to this server only.
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{}", self.base, path.trim_start_matches('/')))
            .bearer_auth(&self.token)
            .timeout(LOOKUP_TIMEOUT)
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, reqwest::Error> {
        self.get(path)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }
}

/// Writes beside `path` and renames, so a reader never sees half a file.
pub async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let temp = path.with_extension("part");
    tokio::fs::write(&temp, bytes).await?;
    tokio::fs::rename(&temp, path).await
}
