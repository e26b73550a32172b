//! ChatterBox desktop: a window around the same `ui/` pages, served by a
//! server-core started in this process (host mode) or by a LAN server (join
//! mode). No chat logic lives here.
//!
//! - [`mode`]: the remembered choice, a JSON file in the config dir.
//! - [`health`]: is there a ChatterBox server at this address?
//! - [`host`]: starting the in-process server.
//! - [`remote`]: which pages may call which commands.
//! - [`commands`]: what the first-run page (and the server's pages) invoke.
//! - [`desktop`]: the app's state and the mode switch itself.

mod commands;
mod desktop;
pub mod health;
pub mod host;
pub mod mode;
pub mod remote;

use tauri::{
    Manager, RunEvent, WebviewUrl, WebviewWindowBuilder,
    menu::{Menu, MenuItem, Submenu},
};

use desktop::Desktop;

const SWITCH_MODE: &str = "switch-mode";
const QUIT: &str = "quit";

pub fn run() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHATTERBOX_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .try_init();

    let app = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            commands::discover_servers,
            commands::check_server,
            commands::choose_host,
            commands::choose_join,
            commands::desktop_info,
        ])
        .menu(|app| {
            let switch = MenuItem::with_id(app, SWITCH_MODE, "Switch mode…", true, None::<&str>)?;
            let quit = MenuItem::with_id(app, QUIT, "Quit", true, Some("CmdOrCtrl+Q"))?;
            let file = Submenu::with_items(app, "ChatterBox", true, &[&switch, &quit])?;
            Menu::with_items(app, &[&file])
        })
        .on_menu_event(|app, event| match event.id().as_ref() {
            SWITCH_MODE => {
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = app.state::<Desktop>().switch_mode(&app).await {
                        tracing::error!("switch mode: {e}");
                    }
                });
            }
            QUIT => app.exit(0),
            _ => {}
        })
        .setup(|app| {
            let paths = app.path();
            let desktop = Desktop::new(
                paths.app_config_dir()?.join(mode::FILE_NAME),
                paths.app_data_dir()?,
            );
            let saved = desktop.saved_mode();
            app.manage(desktop);
            WebviewWindowBuilder::new(app, remote::WINDOW, WebviewUrl::App("index.html".into()))
                .title("ChatterBox")
                .inner_size(1100.0, 760.0)
                .min_inner_size(360.0, 480.0)
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
            let desktop = app.state::<Desktop>();
            tauri::async_runtime::block_on(desktop.stop_server());
        }
    });
}
