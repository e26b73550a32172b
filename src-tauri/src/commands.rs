//! Commands. The first four serve the first-run page only (capability
//! `setup`, local); `desktop_info` serves the current server's pages
//! (granted at run time to that exact origin, see `remote`).

use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, State, Webview};

use crate::{
    desktop::{Desktop, Info},
    health,
    mode::{self, Mode},
};

/// How long Join listens for DNS-SD answers; servers answer within a second.
const BROWSE_WINDOW: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
pub struct Found {
    name: String,
    url: String,
    version: Option<String>,
}

#[tauri::command]
pub async fn discover_servers() -> Result<Vec<Found>, String> {
    let servers = server_core::discovery::browse(BROWSE_WINDOW)
        .await
        .map_err(|e| format!("Cannot look for servers on the LAN: {e}"))?;
    Ok(servers
        .into_iter()
        .filter_map(|s| {
            Some(Found {
                url: s.url()?,
                name: s.name,
                version: s.version,
            })
        })
        .collect())
}

/// Normalises a typed address and checks a ChatterBox server answers there;
/// returns the base URL to show.
#[tauri::command]
pub async fn check_server(url: String) -> Result<String, String> {
    let base = mode::server_url(&url)?;
    health::check(&base).await?;
    Ok(base)
}

#[tauri::command]
pub async fn choose_host(app: AppHandle, desktop: State<'_, Desktop>) -> Result<(), String> {
    // Applied first: a server that cannot start is not remembered.
    desktop.apply(&app, Mode::Host).await?;
    desktop.save(&Mode::Host)
}

/// Saves join mode only once the server has answered its health check.
#[tauri::command]
pub async fn choose_join(
    app: AppHandle,
    desktop: State<'_, Desktop>,
    url: String,
) -> Result<(), String> {
    let server = check_server(url).await?;
    let mode = Mode::Join { server };
    desktop.save(&mode)?;
    desktop.apply(&app, mode).await
}

#[tauri::command]
pub fn desktop_info(webview: Webview, desktop: State<'_, Desktop>) -> Result<Info, String> {
    let page = webview.url().map_err(|e| e.to_string())?;
    desktop.ensure_current_origin(&page)?;
    Ok(desktop.info())
}
