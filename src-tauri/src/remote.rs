//! Which pages may call our commands. The first-run page is bundled and
//! local (capabilities/setup.json). The chat pages come from a server over
//! http://, so they get a capability at run time naming exactly that
//! server's origin, never a wildcard host: any other page the webview might
//! be sent to gets nothing.

use tauri::{AppHandle, Manager, ipc::CapabilityBuilder};
use url::Url;

/// Permissions the server's pages get (one per command, from build.rs).
/// `core:event:default` lets them listen for `open-conversation`.
const SERVER_PAGE_PERMISSIONS: &[&str] = &[
    "allow-desktop-info",
    "allow-pick-files",
    "allow-picked-preview",
    "allow-upload-picked",
    "allow-cancel-upload",
    "allow-save-file",
    "allow-set-session",
    "allow-set-viewing",
    "core:event:default",
];

/// The window every page lives in.
pub const WINDOW: &str = "main";

/// `http://host:port/` as a remote URL pattern. Tauri widens a bare `/` path
/// (and the empty search and hash) to any, so this matches every page of
/// that origin and nothing else: scheme, host and port must be equal.
pub fn origin_pattern(base: &str) -> Result<String, String> {
    let url = Url::parse(base).map_err(|e| format!("{base}: {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("{base} has no host"))?;
    Ok(match url.port() {
        Some(port) => format!("{}://{host}:{port}/", url.scheme()),
        None => format!("{}://{host}/", url.scheme()),
    })
}

/// The origin of a page URL, to compare with the current server's.
pub fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// A URL the page names (`/upload-file?receiver_id=2`, or a file's
/// absolute URL), resolved against the server's base and refused unless it
/// stays on that server: the app's token and downloads go nowhere else.
pub fn server_url(base: &str, page_url: &str) -> Result<Url, String> {
    let base = Url::parse(base).map_err(|e| format!("{base}: {e}"))?;
    let url = base
        .join(page_url)
        .map_err(|e| format!("{page_url}: {e}"))?;
    if origin_of(&url) != origin_of(&base) {
        return Err(format!("{page_url} is not on the ChatterBox server"));
    }
    Ok(url)
}

/// A server's origin as a directory name, for per-server caches.
pub fn origin_dir(base: &str) -> String {
    base.trim_start_matches("http://")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_matches('_')
        .to_owned()
}

/// Grants the server's pages their commands. Capabilities cannot be taken
/// back at run time, so after "Switch mode…" an old server keeps its grant;
/// commands therefore also check the caller against the current origin
/// (`Desktop::base_for`).
pub fn grant(app: &AppHandle, base: &str) -> Result<(), String> {
    let pattern = origin_pattern(base)?;
    let mut capability = CapabilityBuilder::new(format!("server-{pattern}"))
        .remote(pattern)
        .local(false)
        .window(WINDOW);
    for permission in SERVER_PAGE_PERMISSIONS {
        capability = capability.permission(*permission);
    }
    app.add_capability(capability)
        .map_err(|e| format!("cannot grant {base} its commands: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri::utils::acl::RemoteUrlPattern;

    fn matches(pattern: &str, url: &str) -> bool {
        let pattern: RemoteUrlPattern = pattern.parse().unwrap();
        pattern.test(&Url::parse(url).unwrap())
    }

    #[test]
    fn the_pattern_covers_every_page_of_the_server_and_only_that_origin() {
        let pattern = origin_pattern("http://192.168.1.20:8000/").unwrap();
        assert_eq!(pattern, "http://192.168.1.20:8000/");
        for url in [
            "http://192.168.1.20:8000/",
            "http://192.168.1.20:8000/chat.html",
            "http://192.168.1.20:8000/chat.html?c=2#m5",
        ] {
            assert!(matches(&pattern, url), "{url} refused");
        }
        for url in [
            "http://192.168.1.20:8001/",
            "https://192.168.1.20:8000/",
            "http://192.168.1.200:8000/",
            "http://192.168.1.20.evil.example:8000/",
            "http://evil.example/?http://192.168.1.20:8000/",
        ] {
            assert!(!matches(&pattern, url), "{url} accepted");
        }
    }

    #[test]
    fn a_server_on_the_default_port_is_matched_exactly_too() {
        let pattern = origin_pattern("http://box.lan/").unwrap();
        assert!(matches(&pattern, "http://box.lan/chat.html"));
        assert!(!matches(&pattern, "http://box.lan:8000/"));
    }

    #[test]
    fn page_urls_resolve_on_the_server_and_nowhere_else() {
        let base = "http://192.168.1.20:8000/";
        assert_eq!(
            server_url(base, "/upload-file?receiver_id=2")
                .unwrap()
                .as_str(),
            "http://192.168.1.20:8000/upload-file?receiver_id=2"
        );
        assert_eq!(
            server_url(base, "http://192.168.1.20:8000/static/files/a.pdf")
                .unwrap()
                .as_str(),
            "http://192.168.1.20:8000/static/files/a.pdf"
        );
        for elsewhere in [
            "//evil.example/upload",
            "http://evil.example/upload",
            "http://192.168.1.20:8001/upload",
            "file:///etc/passwd",
        ] {
            assert!(server_url(base, elsewhere).is_err(), "{elsewhere} accepted");
        }
    }

    #[test]
    fn origin_dirs_are_plain_names() {
        assert_eq!(origin_dir("http://192.168.1.20:8000/"), "192_168_1_20_8000");
        assert_eq!(origin_dir("http://box-1.lan/"), "box-1_lan");
        assert_eq!(origin_dir("http://../"), "", "never a path that climbs");
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let origin = |u: &str| origin_of(&Url::parse(u).unwrap());
        assert_eq!(
            origin("http://127.0.0.1:8000/chat.html"),
            "http://127.0.0.1:8000"
        );
        assert_ne!(
            origin("http://127.0.0.1:8000/"),
            origin("http://127.0.0.1:8001/")
        );
    }
}
