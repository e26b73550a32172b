//! Preferences set from the app's menu, kept in `settings.json` beside the
//! mode file. Unknown or missing fields take their defaults, so an older
//! file keeps working.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::mode::{self, FileError};

pub const FILE_NAME: &str = "settings.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Desktop notifications for incoming messages.
    pub notifications: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            notifications: true,
        }
    }
}

pub fn load(path: &Path) -> Result<Settings, FileError> {
    Ok(mode::read_json(path)?.unwrap_or_default())
}

pub fn save(path: &Path, settings: &Settings) -> Result<(), FileError> {
    mode::write_json(path, settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_are_on_until_turned_off_and_the_choice_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        assert!(load(&path).unwrap().notifications);
        save(
            &path,
            &Settings {
                notifications: false,
            },
        )
        .unwrap();
        assert!(!load(&path).unwrap().notifications);
        std::fs::write(&path, "{}").unwrap();
        assert!(
            load(&path).unwrap().notifications,
            "a missing field is its default"
        );
        std::fs::write(&path, "{\"notifications\": \"no\"}").unwrap();
        assert!(
            load(&path).is_err(),
            "a wrong type is reported, not guessed"
        );
    }
}
