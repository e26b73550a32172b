//! The one choice the app remembers: host a server here, or join one on the
//! LAN. Stored as a small JSON file in the platform config dir, e.g.
//! `{"mode": "host"}` or `{"mode": "join", "server": "http://10.0.0.5:8000/"}`.
//! Pure: no Tauri here, so it is tested on its own.

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use url::Url;

/// The file's name inside the app's config dir.
pub const FILE_NAME: &str = "mode.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum Mode {
    Host,
    /// `server` is always a normalised base URL (see [`server_url`]).
    Join {
        server: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read or write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// Turns what someone typed ("10.0.0.5:8000", "http://box.lan:8000/chat")
/// into the server's base URL, `http://host:port/`. Only http: ChatterBox
/// servers speak plain HTTP on the LAN.
pub fn server_url(input: &str) -> Result<String, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Enter the server's address, e.g. 192.168.1.20:8000.".into());
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("http://{input}")
    };
    let url =
        Url::parse(&with_scheme).map_err(|e| format!("\"{input}\" is not an address: {e}."))?;
    if url.scheme() != "http" {
        return Err(format!(
            "\"{input}\": only http:// addresses are supported (ChatterBox servers speak plain HTTP on the LAN)."
        ));
    }
    let host = match url.host_str() {
        Some(host) if !host.is_empty() => host,
        _ => return Err(format!("\"{input}\" has no host name or IP address.")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "\"{input}\": addresses with a user name are not supported."
        ));
    }
    Ok(match url.port() {
        Some(port) => format!("http://{host}:{port}/"),
        None => format!("http://{host}/"),
    })
}

impl Mode {
    /// A mode read from disk or built from a page's input is only trusted
    /// once its server URL is in normal form.
    pub fn validate(self) -> Result<Self, String> {
        match self {
            Mode::Host => Ok(Mode::Host),
            Mode::Join { server } => Ok(Mode::Join {
                server: server_url(&server)?,
            }),
        }
    }
}

/// The saved mode, or `None` on first run (no file yet).
pub fn load(path: &Path) -> Result<Option<Mode>, FileError> {
    let Some(mode) = read_json::<Mode>(path)? else {
        return Ok(None);
    };
    mode.validate()
        .map(Some)
        .map_err(|reason| FileError::Invalid {
            path: path.to_owned(),
            reason,
        })
}

pub fn save(path: &Path, mode: &Mode) -> Result<(), FileError> {
    write_json(path, mode)
}

/// Reads one of the app's small JSON files; `None` when it does not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, FileError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(FileError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| FileError::Invalid {
            path: path.to_owned(),
            reason: e.to_string(),
        })
}

/// Writes one of the app's JSON files atomically (temp file + rename),
/// creating the directory.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), FileError> {
    let io_error = |source| FileError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io_error)?;
    }
    let json = serde_json::to_string_pretty(value).map_err(|e| FileError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let temp = path.with_extension("json.tmp");
    fs::write(&temp, json + "\n").map_err(io_error)?;
    fs::rename(&temp, path).map_err(io_error)
}

/// Forgets the mode, so the next start (or "Switch mode…") shows the
/// first-run page. Clearing twice is fine.
pub fn clear(path: &Path) -> Result<(), FileError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(FileError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(FILE_NAME);
        (dir, path)
    }

    #[test]
    fn first_run_has_no_saved_mode() {
        let (_dir, path) = temp_file();
        assert_eq!(load(&path).unwrap(), None);
    }

    #[test]
    fn a_saved_mode_is_loaded_back() {
        let (_dir, path) = temp_file();
        for mode in [
            Mode::Host,
            Mode::Join {
                server: "http://192.168.1.20:8000/".into(),
            },
        ] {
            save(&path, &mode).unwrap();
            assert_eq!(load(&path).unwrap(), Some(mode));
        }
    }

    #[test]
    fn the_file_has_the_documented_shape() {
        let (_dir, path) = temp_file();
        save(&path, &Mode::Host).unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(value, serde_json::json!({"mode": "host"}));
        fs::write(&path, r#"{"mode":"join","server":"http://box.lan:8000/"}"#).unwrap();
        assert_eq!(
            load(&path).unwrap(),
            Some(Mode::Join {
                server: "http://box.lan:8000/".into()
            })
        );
    }

    #[test]
    fn clearing_forgets_the_mode_and_may_be_repeated() {
        let (_dir, path) = temp_file();
        save(&path, &Mode::Host).unwrap();
        clear(&path).unwrap();
        clear(&path).unwrap();
        assert_eq!(load(&path).unwrap(), None);
    }

    #[test]
    fn a_corrupt_or_unknown_mode_file_is_an_error_not_a_first_run() {
        let (_dir, path) = temp_file();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        for text in [
            "not json",
            r#"{"mode":"party"}"#,
            r#"{"mode":"join"}"#,
            r#"{"mode":"join","server":"ftp://x/"}"#,
        ] {
            fs::write(&path, text).unwrap();
            assert!(
                matches!(load(&path), Err(FileError::Invalid { .. })),
                "{text} was accepted"
            );
        }
    }

    #[test]
    fn typed_addresses_become_base_urls() {
        for (typed, url) in [
            ("192.168.1.20:8000", "http://192.168.1.20:8000/"),
            (" http://box.lan:8000/chat.html ", "http://box.lan:8000/"),
            ("http://box.lan", "http://box.lan/"),
            ("[fe80::1]:8000", "http://[fe80::1]:8000/"),
        ] {
            assert_eq!(server_url(typed).as_deref(), Ok(url), "{typed}");
        }
    }

    #[test]
    fn unusable_addresses_are_refused_with_a_reason() {
        for typed in [
            "",
            "https://box.lan/",
            "http://",
            "http://bob:pw@box.lan/",
            "a b",
        ] {
            let err = server_url(typed).unwrap_err();
            assert!(!err.is_empty(), "{typed}");
        }
    }
}
