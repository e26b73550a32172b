//! Commands. The first four serve the first-run page only (capability
//! `setup`, local); the rest serve the current server's pages (granted at
//! run time to that exact origin, see `remote`), and each checks that the
//! caller is a page of the current server. `ui/js/desktop.js` is their one
//! caller and documents them for the pages.

use std::time::Duration;

use serde::Serialize;
use server_core::store::{ConversationId, UserId};
use tauri::{AppHandle, State, Webview, ipc::Channel};

use crate::{
    desktop::{Desktop, Info},
    files::{Picked, Progress, TransferError, Transfers},
    health,
    mode::{self, Mode},
    notify::{Notifier, Viewing},
    remote,
};

/// How long Join listens for DNS-SD answers; servers answer within a second.
const BROWSE_WINDOW: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
pub struct Found {
    name: String,
    url: String,
    version: Option<String>,
    /// From its `/healthz`; `None` when it did not answer in time.
    online: Option<u64>,
}

/// The servers announcing themselves on the LAN, each asked at once how
/// many people are online.
#[tauri::command]
pub async fn discover_servers() -> Result<Vec<Found>, String> {
    let servers = server_core::discovery::browse(BROWSE_WINDOW)
        .await
        .map_err(|e| format!("Cannot look for servers on the LAN: {e}"))?;
    let found = servers.into_iter().filter_map(|s| {
        let url = s.url()?;
        Some(async move {
            let online = health::check(&url).await.ok().flatten();
            Found {
                url,
                name: s.name,
                version: s.version,
                online,
            }
        })
    });
    Ok(futures_util::future::join_all(found).await)
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

/// The current server's base URL, if the calling page is one of its pages.
fn base(webview: &Webview, desktop: &Desktop) -> Result<String, String> {
    let page = webview.url().map_err(|e| e.to_string())?;
    desktop.base_for(&page)
}

#[tauri::command]
pub fn desktop_info(
    webview: Webview,
    desktop: State<'_, Desktop>,
    notifier: State<'_, Notifier>,
) -> Result<Info, String> {
    base(&webview, &desktop)?;
    Ok(desktop.info(notifier.enabled()))
}

#[tauri::command]
pub async fn pick_files(
    app: AppHandle,
    webview: Webview,
    desktop: State<'_, Desktop>,
    transfers: State<'_, Transfers>,
    accept: String,
    multiple: bool,
) -> Result<Vec<Picked>, String> {
    base(&webview, &desktop)?;
    transfers.pick(&app, &accept, multiple).await
}

#[tauri::command]
pub async fn picked_preview(
    webview: Webview,
    desktop: State<'_, Desktop>,
    transfers: State<'_, Transfers>,
    id: String,
) -> Result<String, String> {
    base(&webview, &desktop)?;
    transfers.preview(&id).await
}

/// `path` is where the browser would POST the file (`/upload-file?…`,
/// `/upload-profile`); the answer is the server's JSON.
#[tauri::command]
pub async fn upload_picked(
    webview: Webview,
    desktop: State<'_, Desktop>,
    transfers: State<'_, Transfers>,
    id: String,
    path: String,
    token: String,
    on_progress: Channel<Progress>,
) -> Result<serde_json::Value, TransferError> {
    let url = remote::server_url(&base(&webview, &desktop)?, &path)?;
    transfers.upload(&id, url, &token, on_progress).await
}

#[tauri::command]
pub fn cancel_upload(
    webview: Webview,
    desktop: State<'_, Desktop>,
    transfers: State<'_, Transfers>,
    id: String,
) -> Result<(), String> {
    base(&webview, &desktop)?;
    transfers.cancel(&id);
    Ok(())
}

/// Where the file was saved, or `None` when the person cancelled. The
/// download carries the session the page handed over with `set_session`.
#[tauri::command]
pub async fn save_file(
    app: AppHandle,
    webview: Webview,
    desktop: State<'_, Desktop>,
    notifier: State<'_, Notifier>,
    transfers: State<'_, Transfers>,
    url: String,
    name: String,
) -> Result<Option<String>, TransferError> {
    let base = base(&webview, &desktop)?;
    let url = remote::server_url(&base, &url)?;
    let token = notifier.token_for(&base);
    let saved = transfers.save(&app, url, token.as_deref(), &name).await?;
    Ok(saved.map(|path| path.display().to_string()))
}

/// The chat page hands over its session (or `None`s on logout), so the app
/// can notify of messages itself.
#[tauri::command]
pub fn set_session(
    app: AppHandle,
    webview: Webview,
    desktop: State<'_, Desktop>,
    notifier: State<'_, Notifier>,
    token: Option<String>,
    user_id: Option<UserId>,
) -> Result<(), String> {
    let base = base(&webview, &desktop)?;
    match (token, user_id) {
        (Some(token), Some(me)) => notifier.start(&app, &base, &token, me),
        _ => {
            notifier.stop();
            Ok(())
        }
    }
}

/// The conversation on screen (`None`s when none is): its id, and for a
/// direct conversation the other person's. Older pages send only `peerId`.
#[tauri::command]
pub fn set_viewing(
    webview: Webview,
    desktop: State<'_, Desktop>,
    notifier: State<'_, Notifier>,
    peer_id: Option<UserId>,
    conversation_id: Option<ConversationId>,
) -> Result<(), String> {
    base(&webview, &desktop)?;
    tracing::debug!(peer = ?peer_id, conversation = ?conversation_id, "conversation on screen");
    notifier.set_viewing(Viewing {
        conversation: conversation_id,
        peer: peer_id,
    });
    Ok(())
}
