//! The system's dialogs (GTK): choosing files, "Save as…", and a question
//! with buttons. Each is built on the app's main thread, where Tauri runs
//! GTK's main loop, and shown without blocking it; the answer comes back
//! over a channel when the person responds.
//!
//! Why not rfd: GTK is not thread-safe, and rfd's GTK backend runs GTK's
//! main loop on a second thread of its own, over the same main context, so
//! GTK's work (ours and Tauri's) could run on either thread. Once a file
//! dialog had been used, the smoke test saw the window's close request go
//! unhandled about one run in four, and a second request did not help;
//! with GTK on one thread a first request still goes unreported now and
//! then (about one run in six), and a second one is answered.

use std::{cell::RefCell, path::PathBuf};

use gtk::prelude::*;
use tauri::{AppHandle, Manager};
use tokio::sync::oneshot;

use crate::remote;

/// Runs `build` on the main thread and waits for the answer it sends.
async fn on_main_thread<T: Send + 'static>(
    app: &AppHandle,
    build: impl FnOnce(Answer<T>) + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = oneshot::channel();
    app.run_on_main_thread(move || build(Answer(RefCell::new(Some(tx)))))
        .map_err(|e| format!("cannot show a dialog: {e}"))?;
    rx.await
        .map_err(|_| "the dialog went away without an answer".to_owned())
}

/// The way back from a dialog's `response` handler, a `Fn` that GTK could
/// call again: only the first answer counts.
struct Answer<T>(RefCell<Option<oneshot::Sender<T>>>);

impl<T> Answer<T> {
    fn send(&self, value: T) {
        if let Some(tx) = self.0.borrow_mut().take() {
            let _ = tx.send(value);
        }
    }
}

/// The app's window, for dialogs to sit on.
fn parent(app: &AppHandle) -> Option<gtk::ApplicationWindow> {
    app.get_webview_window(remote::WINDOW)?.gtk_window().ok()
}

/// Shows a file chooser and keeps it alive until it answers: unlike a
/// window, nothing in GTK holds a native dialog while it is shown.
fn show_until_answered(
    chooser: gtk::FileChooserNative,
    answered: impl Fn(&gtk::FileChooserNative, bool) + 'static,
) {
    let kept = RefCell::new(Some(chooser.clone()));
    chooser.connect_response(move |chooser, response| {
        answered(chooser, response == gtk::ResponseType::Accept);
        kept.borrow_mut().take();
    });
    chooser.show();
}

/// Files to open; `extensions` (lower case, without dots) narrow the
/// choice, none means any file. Empty when the person cancels.
pub async fn pick_files(
    app: &AppHandle,
    title: &'static str,
    extensions: Vec<String>,
    multiple: bool,
) -> Result<Vec<PathBuf>, String> {
    let handle = app.clone();
    on_main_thread(app, move |answer| {
        let chooser = gtk::FileChooserNative::new(
            Some(title),
            parent(&handle).as_ref(),
            gtk::FileChooserAction::Open,
            None,
            None,
        );
        chooser.set_select_multiple(multiple);
        if !extensions.is_empty() {
            let filter = gtk::FileFilter::new();
            filter.set_name(Some("Supported files"));
            for extension in &extensions {
                filter.add_pattern(&format!("*.{extension}"));
                filter.add_pattern(&format!("*.{}", extension.to_ascii_uppercase()));
            }
            chooser.add_filter(filter);
        }
        show_until_answered(chooser, move |chooser, accepted| {
            answer.send(if accepted {
                chooser.filenames()
            } else {
                Vec::new()
            });
        });
    })
    .await
}

/// Where to save a file named `suggested`, starting in `folder`; `None`
/// when the person cancels. Replacing a file is confirmed in the dialog.
pub async fn save_file(
    app: &AppHandle,
    suggested: String,
    folder: Option<PathBuf>,
) -> Result<Option<PathBuf>, String> {
    let handle = app.clone();
    on_main_thread(app, move |answer| {
        let chooser = gtk::FileChooserNative::new(
            Some("Save as"),
            parent(&handle).as_ref(),
            gtk::FileChooserAction::Save,
            None,
            None,
        );
        chooser.set_do_overwrite_confirmation(true);
        if let Some(folder) = folder {
            chooser.set_current_folder(folder);
        }
        chooser.set_current_name(&suggested);
        show_until_answered(chooser, move |chooser, accepted| {
            answer.send(if accepted { chooser.filename() } else { None });
        });
    })
    .await
}

/// A question with `buttons`, the first the default (Return); the label
/// chosen, or `None` when the dialog is dismissed.
pub async fn ask(
    app: &AppHandle,
    title: &'static str,
    text: &'static str,
    buttons: &'static [&'static str],
) -> Result<Option<&'static str>, String> {
    let handle = app.clone();
    on_main_thread(app, move |answer| {
        let dialog = gtk::MessageDialog::new(
            parent(&handle).as_ref(),
            gtk::DialogFlags::MODAL | gtk::DialogFlags::DESTROY_WITH_PARENT,
            gtk::MessageType::Info,
            gtk::ButtonsType::None,
            title,
        );
        dialog.set_title(title);
        dialog.set_secondary_text(Some(text));
        for (index, label) in (0u16..).zip(buttons) {
            dialog.add_button(label, gtk::ResponseType::Other(index));
        }
        dialog.set_default_response(gtk::ResponseType::Other(0));
        dialog.connect_response(move |dialog, response| {
            answer.send(match response {
                gtk::ResponseType::Other(index) => buttons.get(usize::from(index)).copied(),
                _ => None,
            });
            // SAFETY: the dialog is ours alone and not touched after this.
            unsafe { dialog.destroy() };
        });
        dialog.show_all();
    })
    .await
}
