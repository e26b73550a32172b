//! tauri.conf.json lives at the repository root; src-tauri/tauri.conf.json is
//! a symlink to it, so both cargo and the Tauri CLI find it here.

/// Our commands. Each gets an `allow-…` permission, which a capability must
/// grant before any page may call it (capabilities/ and `remote.rs`).
const COMMANDS: &[&str] = &[
    "discover_servers",
    "check_server",
    "choose_host",
    "choose_join",
    "desktop_info",
    "pick_files",
    "picked_preview",
    "upload_picked",
    "cancel_upload",
    "save_file",
    "set_session",
    "set_viewing",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run tauri-build");
}
