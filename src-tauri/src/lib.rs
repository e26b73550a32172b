//! ChatterBox desktop: a window around the same `ui/` pages, served by a
//! server-core started in this process (host mode) or by a LAN server (join
//! mode). No chat logic lives here.
//!
//! - [`mode`]: the remembered choice, a JSON file in the config dir.
//! - [`settings`]: preferences from the menu (notifications on or off).
//! - [`health`]: is there a ChatterBox server at this address?
//! - [`host`]: starting the in-process server.
//! - [`remote`]: which pages may call which commands, and where they may send.
//! - [`dialogs`]: the system's dialogs, on GTK's one thread.
//! - [`files`]: native file dialogs, uploads with progress, "Save as…".
//! - [`notify`]: desktop notifications from the app's own WebSocket.
//! - [`commands`]: what the first-run page and the server's pages invoke.
//! - [`desktop`]: the app's state and the mode switch itself.
//! - [`lifecycle`]: menu, tray, closing, quitting, a second launch.

mod commands;
mod desktop;
mod dialogs;
pub mod files;
pub mod health;
pub mod host;
mod lifecycle;
pub mod mode;
pub mod notify;
pub mod remote;
pub mod settings;
#[cfg(test)]
mod test_server;

use std::sync::{Mutex, MutexGuard};

use tauri::{Manager, RunEvent, WebviewUrl, WebviewWindowBuilder, webview::PageLoadEvent};

use desktop::Desktop;
use files::Transfers;
use notify::Notifier;

/// Locks one of the app's std Mutexes. They guard a few assignments or a
/// map operation, never an await; a panic elsewhere leaves the data usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn run() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHATTERBOX_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .try_init();

    let app = tauri::Builder::default()
        // First: a second launch hands over to this one and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tracing::info!("launched again; showing the running app");
            lifecycle::show_window(app);
        }))
        .invoke_handler(tauri::generate_handler![
            commands::discover_servers,
            commands::check_server,
            commands::choose_host,
            commands::choose_join,
            commands::desktop_info,
            commands::pick_files,
            commands::picked_preview,
            commands::upload_picked,
            commands::cancel_upload,
            commands::save_file,
            commands::set_session,
            commands::set_viewing,
        ])
        .on_menu_event(lifecycle::on_menu_event)
        .on_window_event(lifecycle::on_window_event)
        .setup(|app| {
            let paths = app.path();
            let config_dir = paths.app_config_dir()?;
            // The server's database and files, apart from the webview's own
            // storage, which also lives in the app data dir.
            let desktop = Desktop::new(
                config_dir.join(mode::FILE_NAME),
                paths.app_data_dir()?.join("server"),
            );
            let notifier =
                Notifier::new(config_dir.join(settings::FILE_NAME), paths.app_cache_dir()?);
            let saved = desktop.saved_mode();
            app.manage(desktop);
            app.manage(notifier);
            app.manage(Transfers::default());
            lifecycle::install_menu(app.handle())?;
            lifecycle::install_tray(app.handle())?;
            lifecycle::quit_on_signals(app.handle());
            WebviewWindowBuilder::new(app, remote::WINDOW, WebviewUrl::App("index.html".into()))
                .title("ChatterBox")
                .inner_size(1100.0, 760.0)
                .min_inner_size(360.0, 480.0)
                .on_page_load(|_, page| {
                    if matches!(page.event(), PageLoadEvent::Finished) {
                        tracing::debug!(url = %page.url(), "page loaded");
                    }
                })
                .build()?;
            if let Some(mode) = saved {
                let handle = app.handle().clone();
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = handle.state::<Desktop>().apply(&handle, mode).await {
                        // The first-run page stays up; the person chooses again.
                        tracing::error!("cannot resume the saved mode: {e}");
                    }
                });
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("error while building the ChatterBox app");

    app.run(|app, event| {
        if let RunEvent::Exit = event {
            // Host mode: stop accepting, close sockets, let the last write
            // commit, before the process ends.
            app.state::<Notifier>().stop();
            tauri::async_runtime::block_on(app.state::<Desktop>().stop_server());
        }
    });
}
