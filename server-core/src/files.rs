//! Uploaded files: where they live, how they are named, how they are
//! received (streamed to disk, never whole in memory) and checked.
//!
//! Stored names are ours: `{user_id}_{random}_{safe name}`, so no upload can
//! overwrite another or leave its folder, whatever name the client sent.

use std::{
    io,
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{
    body::Bytes,
    extract::{Multipart, multipart::Field},
};
use rand::RngCore;
use tokio::{
    fs,
    io::AsyncWriteExt,
    sync::{OwnedSemaphorePermit, Semaphore},
};

use crate::{
    domain::{DomainError, DomainResult},
    error::{AppError, AppResult},
    store::{FileMeta, UserId},
};

/// The two upload folders, as the contract names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Folder {
    /// Profile pictures: `static/uploads/…`.
    Profiles,
    /// Files shared in chats: `static/files/…`.
    Chat,
}

impl Folder {
    pub const ALL: [Self; 2] = [Self::Profiles, Self::Chat];

    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Profiles => "uploads",
            Self::Chat => "files",
        }
    }
}

/// The most of one file held before its sender is known (a `token` form
/// field after the file, as the original's forms may send it).
pub const UNVERIFIED_FILE: u64 = 8 * 1024 * 1024;
/// The most held for all such files at once; past it, 503.
pub const UNVERIFIED_BUDGET: usize = 64 * 1024 * 1024;

/// Image types a browser may show inline from our origin.
pub const INLINE_IMAGES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

pub struct Files {
    root: PathBuf,
    max_bytes: u64,
    /// Bytes of [`UNVERIFIED_BUDGET`] not held by any upload.
    unverified: Arc<Semaphore>,
}

impl Files {
    /// Creates the upload folders under `data_dir` and clears partial
    /// uploads left by a crash. Blocking.
    pub fn prepare(data_dir: &Path, max_bytes: u64) -> io::Result<Self> {
        let files = Self {
            root: data_dir.to_path_buf(),
            max_bytes,
            unverified: Arc::new(Semaphore::new(UNVERIFIED_BUDGET)),
        };
        for folder in Folder::ALL {
            std::fs::create_dir_all(files.dir(folder))?;
        }
        let partial = files.partial_dir();
        if partial.exists() {
            std::fs::remove_dir_all(&partial)?;
        }
        std::fs::create_dir_all(&partial)?;
        Ok(files)
    }

    pub fn dir(&self, folder: Folder) -> PathBuf {
        self.root.join(folder.dir_name())
    }

    fn partial_dir(&self) -> PathBuf {
        self.root.join("partial")
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// How much of a request body we read before giving up on it. Past the
    /// file limit we keep reading (and discarding) a while, so that the
    /// client gets our 413 instead of a reset connection mid-upload.
    pub fn max_request_bytes(&self) -> u64 {
        self.max_bytes.saturating_mul(2).saturating_add(1024 * 1024)
    }

    /// Reads a multipart upload: its `token` field is kept, its `file` field
    /// received, other fields skipped. A second `token` or `file` field is
    /// refused: which one was meant is anyone's guess.
    ///
    /// `verified`: whether the sender is known already (by a token in the
    /// header or query). If not, reading stops right after a `token` field,
    /// so that the caller checks it before any more is read; and a file
    /// that comes before its token is held in memory, never on disk, at
    /// most [`UNVERIFIED_FILE`] bytes of it and within [`UNVERIFIED_BUDGET`]
    /// for all such uploads at once. Call again, verified, to read on.
    pub async fn receive(&self, multipart: &mut Multipart, verified: bool) -> AppResult<Upload> {
        let mut upload = Upload::default();
        let mut read: u64 = 0;
        let mut too_large = false;
        while let Some(mut field) = multipart.next_field().await? {
            match field.name() {
                Some(name @ ("file" | "token"))
                    if (name == "file" && (upload.file.is_some() || too_large))
                        || (name == "token" && upload.token.is_some()) =>
                {
                    return Err(one_field(name));
                }
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_owned();
                    let received = if verified {
                        self.write_down(&mut field, name, &mut read)
                            .await?
                            .map(Received::Disk)
                    } else {
                        Some(Received::Memory(self.hold(&mut field, name).await?))
                    };
                    match received {
                        Some(file) => upload.file = Some(file),
                        None => too_large = true,
                    }
                }
                Some("token") => {
                    let mut token = Vec::new();
                    while let Some(chunk) = field.chunk().await? {
                        read += chunk.len() as u64;
                        if token.len() + chunk.len() > 1024 {
                            return Err(AppError::Unprocessable(
                                "The token field is too long".into(),
                            ));
                        }
                        token.extend_from_slice(&chunk);
                    }
                    upload.token = Some(String::from_utf8_lossy(&token).into_owned());
                    if !verified {
                        return Ok(upload);
                    }
                }
                _ => {}
            }
            // Drain what is left of this field (skipped, or past the limit).
            while let Some(chunk) = field.chunk().await? {
                read += chunk.len() as u64;
                if read > self.max_request_bytes() {
                    return Err(self.too_large());
                }
            }
        }
        if too_large {
            return Err(self.too_large());
        }
        Ok(upload)
    }

    /// Streams a verified sender's file to a partial file; `None` once it
    /// passes the size limit (the rest is left in the field).
    async fn write_down(
        &self,
        field: &mut Field<'_>,
        original_name: String,
        read: &mut u64,
    ) -> AppResult<Option<Partial>> {
        let (mut partial, mut out) = self.create_partial(original_name).await?;
        while let Some(chunk) = field.chunk().await? {
            *read += chunk.len() as u64;
            if partial.size + chunk.len() as u64 > self.max_bytes {
                return Ok(None);
            }
            partial.append_head(&chunk);
            out.write_all(&chunk).await.map_err(AppError::internal)?;
        }
        out.flush().await.map_err(AppError::internal)?;
        Ok(Some(partial))
    }

    /// Keeps an unverified sender's file in memory, within the caps.
    async fn hold(&self, field: &mut Field<'_>, original_name: String) -> AppResult<Held> {
        let cap = self.max_bytes.min(UNVERIFIED_FILE);
        let mut held = Held {
            original_name,
            chunks: Vec::new(),
            size: 0,
            budget: None,
        };
        while let Some(chunk) = field.chunk().await? {
            held.size += chunk.len() as u64;
            if held.size > cap {
                return Err(AppError::TooLarge(format!(
                    "Send the token before the file (in the Authorization header, the query \
                     or a form field ahead of it): a file before its token may be at most {} MiB",
                    cap.div_ceil(1024 * 1024)
                )));
            }
            let permit = u32::try_from(chunk.len())
                .ok()
                .and_then(|n| self.unverified.clone().try_acquire_many_owned(n).ok())
                .ok_or(AppError::Unavailable("Server busy, try again in a moment"))?;
            match &mut held.budget {
                Some(budget) => budget.merge(permit),
                None => held.budget = Some(permit),
            }
            held.chunks.push(chunk);
        }
        Ok(held)
    }

    /// Puts a received file on disk, if it is not there yet.
    pub async fn settle(&self, received: Received) -> AppResult<Partial> {
        let held = match received {
            Received::Disk(partial) => return Ok(partial),
            Received::Memory(held) => held,
        };
        let (mut partial, mut out) = self.create_partial(held.original_name.clone()).await?;
        for chunk in &held.chunks {
            partial.append_head(chunk);
            out.write_all(chunk).await.map_err(AppError::internal)?;
        }
        out.flush().await.map_err(AppError::internal)?;
        Ok(partial)
    }

    async fn create_partial(&self, original_name: String) -> AppResult<(Partial, fs::File)> {
        let partial = Partial {
            path: self.partial_dir().join(random_hex()),
            original_name,
            size: 0,
            head: Vec::new(),
        };
        let out = fs::File::create(&partial.path)
            .await
            .map_err(AppError::internal)?;
        Ok((partial, out))
    }

    pub fn too_large(&self) -> AppError {
        AppError::TooLarge(format!(
            "File too large (at most {} MiB)",
            self.max_bytes / (1024 * 1024)
        ))
    }

    /// Moves a received file into `folder` under a fresh name of `user`'s.
    /// A file whose bytes show an inline image gets that image's extension,
    /// so that it is served with the type it really has.
    pub async fn keep(
        &self,
        mut partial: Partial,
        folder: Folder,
        user: UserId,
    ) -> DomainResult<FileMeta> {
        let image = partial.sniffed_image();
        let stored = stored_name(user, &partial.original_name, image);
        let mime_type = match image {
            Some(image) => image.mime_type().to_owned(),
            None => {
                let guessed = mime_guess::from_path(&stored).first_or_octet_stream();
                // A name claiming a picture that the bytes deny is not
                // recorded as one, so no page tries to show it inline.
                if INLINE_IMAGES.contains(&guessed.essence_str()) {
                    mime_guess::mime::APPLICATION_OCTET_STREAM.to_string()
                } else {
                    guessed.essence_str().to_owned()
                }
            }
        };
        fs::rename(&partial.path, self.dir(folder).join(&stored))
            .await
            .map_err(|e| DomainError::Unavailable(format!("cannot keep an upload: {e}")))?;
        partial.path = PathBuf::new();
        Ok(FileMeta {
            path: format!("static/{}/{stored}", folder.dir_name()),
            name: display_name(&partial.original_name),
            size: partial.size,
            mime_type,
        })
    }

    /// Deletes a stored file named by its contract path, if it is one of ours.
    pub async fn remove(&self, path: &str) {
        for folder in Folder::ALL {
            let prefix = format!("static/{}/", folder.dir_name());
            if let Some(name) = path.strip_prefix(&prefix)
                && is_stored_name(name)
            {
                if let Err(e) = fs::remove_file(self.dir(folder).join(name)).await {
                    tracing::warn!(path, error = %e, "could not delete an old upload");
                }
            }
        }
    }
}

/// What a multipart upload carried.
#[derive(Default)]
pub struct Upload {
    pub token: Option<String>,
    pub file: Option<Received>,
}

/// The refusal of a form that repeats a field.
pub fn one_field(name: &str) -> AppError {
    AppError::Unprocessable(format!("Send one `{name}` field"))
}

/// A received file: on disk if its sender was known, else in memory.
pub enum Received {
    Disk(Partial),
    Memory(Held),
}

/// An unverified sender's file, in memory until the token is checked.
pub struct Held {
    original_name: String,
    chunks: Vec<Bytes>,
    size: u64,
    /// Its share of [`UNVERIFIED_BUDGET`], returned when dropped.
    budget: Option<OwnedSemaphorePermit>,
}

/// A received file not yet kept; deleted if dropped.
pub struct Partial {
    path: PathBuf,
    pub original_name: String,
    pub size: u64,
    /// The first bytes, for type sniffing.
    pub head: Vec<u8>,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            // Unlinking is a single quick syscall; not worth a blocking task.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Partial {
    /// Counts `chunk` and keeps the file's first bytes for sniffing.
    fn append_head(&mut self, chunk: &[u8]) {
        self.size += chunk.len() as u64;
        if self.head.len() < 64 {
            let take = (64 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
    }

    /// The type of a picture judged by its bytes, if it is one we show inline.
    pub fn sniffed_image(&self) -> Option<infer::Type> {
        infer::get(&self.head).filter(|kind| INLINE_IMAGES.contains(&kind.mime_type()))
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The name a file is kept under: `{user}_{random}_{safe name}`, with the
/// extension of the picture its bytes show appended when the name does not
/// already say so.
fn stored_name(user: UserId, original: &str, image: Option<infer::Type>) -> String {
    let mut name = safe_name(original);
    if let Some(image) = image
        && mime_guess::from_path(&name).first_raw() != Some(image.mime_type())
    {
        name = format!("{name}.{}", image.extension());
    }
    format!("{user}_{}_{name}", random_hex())
}

/// The last component of a client's file name, whichever separator it used.
fn base_name(original: &str) -> &str {
    original.rsplit(['/', '\\']).next().unwrap_or_default()
}

/// A file name safe on every file system and in a URL: ASCII letters,
/// digits, `.`, `-`, `_`; no leading dot; at most 80 characters.
pub fn safe_name(original: &str) -> String {
    let cleaned: String = base_name(original)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Cut before the dots are trimmed, or the cut could start at a dot.
    // All ASCII by now: the last 80 bytes are the last 80 characters.
    let tail = &cleaned[cleaned.len().saturating_sub(80)..];
    let name = tail.trim_start_matches('.');
    if name.trim_matches(['_', '.']).is_empty() {
        "file".into()
    } else {
        name.to_owned()
    }
}

/// The name shown to people: the client's, minus any folders, control
/// characters and reordering marks, kept to 255 characters.
fn display_name(original: &str) -> String {
    let name: String = base_name(original)
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .take(255)
        .collect();
    // `.` and `..` name folders, not files.
    if name.trim().is_empty() || name == "." || name == ".." {
        "file".into()
    } else {
        name
    }
}

/// The characters that reorder the text around them (bidi marks,
/// embeddings, overrides and isolates): in a file name, U+202E makes
/// `invoice\u{202e}fdp.exe` show as `invoiceexe.pdf`.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `name` could have come from [`Files::keep`] (no separators, no
/// dot-dot), so deleting it cannot reach outside its folder.
pub fn is_stored_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_paths_are_reduced_to_a_plain_name() {
        assert_eq!(safe_name("../../x"), "x");
        assert_eq!(safe_name("a/b"), "b");
        assert_eq!(safe_name("..\\x"), "x");
        assert_eq!(safe_name("..."), "file");
        assert_eq!(safe_name(""), "file");
        assert_eq!(
            safe_name("rapport final (v2).pdf"),
            "rapport_final__v2_.pdf"
        );
        assert_eq!(safe_name(".bashrc"), "bashrc");
        // Cut to 80 characters at a dot: still no leading dot.
        assert_eq!(safe_name(&format!("x.{}", "a".repeat(79))), "a".repeat(79));
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.png", "a".repeat(200));
        let safe = safe_name(&long);
        assert_eq!(safe.len(), 80);
        assert!(safe.ends_with(".png"));
    }

    #[test]
    fn display_names_keep_unicode_but_not_folders() {
        assert_eq!(display_name("C:\\Users\\zoë\\Ünïcode.txt"), "Ünïcode.txt");
        assert_eq!(display_name("../"), "file");
        assert_eq!(display_name("a/.."), "file");
        assert_eq!(display_name("invoice\u{202e}fdp.exe"), "invoicefdp.exe");
    }

    #[test]
    fn only_our_own_names_can_be_deleted() {
        assert!(is_stored_name("3_0011223344556677_x.png"));
        assert!(!is_stored_name("../chatterbox.db"));
        assert!(!is_stored_name("a/b"));
        assert!(!is_stored_name(""));
    }
}

#[cfg(test)]
mod properties;
