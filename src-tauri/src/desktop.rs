//! The app's state: where the mode is saved, and what runs now (the mode,
//! the origin allowed to call commands, the in-process server if hosting).

use std::{
    collections::HashSet,
    path::PathBuf,
    sync::{Mutex, MutexGuard},
};

use serde::Serialize;
use server_core::RunningServer;
use tauri::{AppHandle, Manager, WebviewWindow};
use url::Url;

use crate::{
    host, lock,
    mode::{self, Mode},
    notify::Notifier,
    remote,
};

pub struct Desktop {
    mode_file: PathBuf,
    data_dir: PathBuf,
    // std Mutex: held for a few assignments, never across an await.
    now: Mutex<Now>,
}

#[derive(Default)]
struct Now {
    mode: Option<Mode>,
    /// The pages' base URL, `http://host:port/`, once a mode is applied.
    base: Option<String>,
    title: String,
    server: Option<RunningServer>,
    /// Origins granted a capability already (grants cannot be revoked).
    granted: HashSet<String>,
}

/// What the pages may learn about the app (command `desktop_info`).
#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub mode: Option<Mode>,
    pub server: Option<String>,
    pub title: String,
    pub notifications: bool,
}

impl Desktop {
    pub fn new(mode_file: PathBuf, data_dir: PathBuf) -> Self {
        Self {
            mode_file,
            data_dir,
            now: Mutex::default(),
        }
    }

    fn now(&self) -> MutexGuard<'_, Now> {
        lock(&self.now)
    }

    /// The saved mode; a corrupt file is logged and treated as first run.
    pub fn saved_mode(&self) -> Option<Mode> {
        mode::load(&self.mode_file).unwrap_or_else(|e| {
            tracing::warn!("{e}; showing the first-run page");
            None
        })
    }

    pub fn save(&self, mode: &Mode) -> Result<(), String> {
        mode::save(&self.mode_file, mode).map_err(|e| e.to_string())
    }

    /// Starts (host) or points at (join) the server, grants its origin our
    /// commands, and shows its pages.
    pub async fn apply(&self, app: &AppHandle, mode: Mode) -> Result<(), String> {
        let (base, title) = match &mode {
            Mode::Host => {
                let port = self.ensure_server().await?;
                (
                    format!("http://127.0.0.1:{port}/"),
                    format!("ChatterBox — hosting on {}:{port}", host::lan_address()),
                )
            }
            Mode::Join { server } => {
                // Leaving host mode for join: stop serving.
                app.state::<Notifier>().stop();
                self.stop_server().await;
                (server.clone(), format!("ChatterBox — joined {server}"))
            }
        };
        let already_granted = self.now().granted.contains(&base);
        if !already_granted {
            remote::grant(app, &base)?;
            self.now().granted.insert(base.clone());
        }
        {
            let mut now = self.now();
            now.mode = Some(mode);
            now.base = Some(base.clone());
            now.title = title.clone();
        }
        let window = main_window(app)?;
        window.set_title(&title).map_err(|e| e.to_string())?;
        let url = Url::parse(&base).map_err(|e| e.to_string())?;
        window.navigate(url).map_err(|e| e.to_string())
    }

    /// "Switch mode…": forget the choice, stop serving, show the first-run page.
    pub async fn switch_mode(&self, app: &AppHandle) -> Result<(), String> {
        mode::clear(&self.mode_file).map_err(|e| e.to_string())?;
        {
            let mut now = self.now();
            now.mode = None;
            now.base = None;
            now.title = "ChatterBox".into();
        }
        let window = main_window(app)?;
        window
            .navigate(setup_page_url())
            .map_err(|e| e.to_string())?;
        window.set_title("ChatterBox").map_err(|e| e.to_string())?;
        app.state::<Notifier>().stop();
        self.stop_server().await;
        Ok(())
    }

    /// The in-process server's port, starting it unless it runs already.
    async fn ensure_server(&self) -> Result<u16, String> {
        let running = self.now().server.as_ref().map(|s| s.local_addr.port());
        if let Some(port) = running {
            return Ok(port);
        }
        let server = host::start(&self.data_dir).await?;
        let port = server.local_addr.port();
        tracing::info!(%port, data = %self.data_dir.display(), "hosting");
        let extra = self.now().server.replace(server);
        if let Some(extra) = extra {
            // Two clicks raced; keep the newer one, stop the other.
            let _ = extra.shutdown().await;
        }
        Ok(port)
    }

    /// Shuts the in-process server down gracefully, if one runs.
    pub async fn stop_server(&self) {
        let server = self.now().server.take();
        if let Some(server) = server {
            match server.shutdown().await {
                Ok(()) => tracing::info!("server stopped"),
                Err(e) => tracing::error!("server stopped with an error: {e}"),
            }
        }
    }

    /// The current server's base URL, if `page` is one of its pages. Only
    /// the current server's pages may call server-page commands: an earlier
    /// server keeps its capability after a switch, not its access.
    pub fn base_for(&self, page: &Url) -> Result<String, String> {
        let now = self.now();
        let base = now.base.as_deref();
        match base.and_then(|b| Url::parse(b).ok()) {
            Some(url) if remote::origin_of(&url) == remote::origin_of(page) => {
                Ok(base.unwrap_or_default().to_owned())
            }
            _ => Err(format!(
                "{} is not the current ChatterBox server",
                remote::origin_of(page)
            )),
        }
    }

    /// Whether this app serves others now (closing then asks first).
    pub fn is_hosting(&self) -> bool {
        self.now().server.is_some()
    }

    pub fn info(&self, notifications: bool) -> Info {
        let now = self.now();
        Info {
            mode: now.mode.clone(),
            server: now.base.clone(),
            title: now.title.clone(),
            notifications,
        }
    }
}

fn main_window(app: &AppHandle) -> Result<WebviewWindow, String> {
    app.get_webview_window(remote::WINDOW)
        .ok_or_else(|| "the main window is gone".to_owned())
}

/// Where Tauri serves the bundled first-run page.
fn setup_page_url() -> Url {
    #[cfg(any(windows, target_os = "android"))]
    let url = "http://tauri.localhost/index.html";
    #[cfg(not(any(windows, target_os = "android")))]
    let url = "tauri://localhost/index.html";
    Url::parse(url).expect("a constant URL")
}
