//! How the app starts, hides and ends: the menu, the tray icon, closing the
//! window while hosting (keep serving in the tray, or quit), and quitting on
//! a signal (a session logging out) as gracefully as from the menu.

use tauri::{
    AppHandle, Manager, Window, WindowEvent,
    menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, Submenu},
    tray::TrayIconBuilder,
};

use crate::{desktop::Desktop, dialogs, notify::Notifier, remote};

const SWITCH_MODE: &str = "switch-mode";
const NOTIFICATIONS: &str = "notifications";
const SHOW: &str = "show";
const QUIT: &str = "quit";

const KEEP_SERVING: &str = "Keep serving";
const QUIT_LABEL: &str = "Quit";

pub fn install_menu(app: &AppHandle) -> tauri::Result<()> {
    let notifications = CheckMenuItem::with_id(
        app,
        NOTIFICATIONS,
        "Desktop notifications",
        true,
        app.state::<Notifier>().enabled(),
        None::<&str>,
    )?;
    let switch = MenuItem::with_id(app, SWITCH_MODE, "Switch mode…", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, QUIT, "Quit", true, Some("CmdOrCtrl+Q"))?;
    let file = Submenu::with_items(app, "ChatterBox", true, &[&notifications, &switch, &quit])?;
    app.set_menu(Menu::with_items(app, &[&file])?)?;
    Ok(())
}

/// The tray icon: where a hosting app lives while its window is closed.
pub fn install_tray(app: &AppHandle) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, SHOW, "Open ChatterBox", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?;
    let mut tray = TrayIconBuilder::with_id("main")
        .tooltip("ChatterBox")
        .menu(&Menu::with_items(app, &[&show, &quit])?);
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

pub fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        SWITCH_MODE => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Err(e) = app.state::<Desktop>().switch_mode(&app).await {
                    tracing::error!("switch mode: {e}");
                }
            });
        }
        NOTIFICATIONS => {
            // The check item flips itself; follow it.
            let notifier = app.state::<Notifier>();
            if let Err(e) = notifier.set_enabled(!notifier.enabled()) {
                tracing::error!("cannot save the notification setting: {e}");
            }
        }
        SHOW => show_window(app),
        QUIT => app.exit(0),
        _ => {}
    }
}

/// Closing the window while others may be using this app's server asks
/// first: keep serving from the tray, or quit (and stop serving).
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    if window.label() != remote::WINDOW || !window.state::<Desktop>().is_hosting() {
        return;
    }
    api.prevent_close();
    tracing::debug!("closing while hosting: asking whether to keep serving");
    let app = window.app_handle().clone();
    let window = window.clone();
    tauri::async_runtime::spawn(async move {
        let answer = dialogs::ask(
            &app,
            "Keep serving?",
            "Others on your network may be chatting through this computer. \
             Keep ChatterBox serving in the tray, or quit and stop the server?",
            &[KEEP_SERVING, QUIT_LABEL, "Cancel"],
        )
        .await;
        tracing::debug!(?answer, "keep serving?");
        match answer {
            Ok(Some(KEEP_SERVING)) => {
                let _ = window.hide();
            }
            Ok(Some(QUIT_LABEL)) => app.exit(0),
            Ok(_) => {}
            Err(e) => tracing::error!("{e}"),
        }
    });
}

/// Brings the main window back (tray, second launch, notification click).
pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(remote::WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// SIGTERM (the desktop session ending) and SIGINT quit like the menu does,
/// so the server still shuts down gracefully.
pub fn quit_on_signals(app: &AppHandle) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                tracing::warn!("cannot listen for signals; quit from the menu");
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::info!("signal received; quitting");
            app.exit(0);
        });
    }
    #[cfg(not(unix))]
    let _ = app;
}
