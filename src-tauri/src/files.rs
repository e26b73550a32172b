//! Native file dialogs (GTK, see `dialogs`) and the transfers behind them. The
//! pages never see a path: picking returns handles, and the app itself
//! streams the chosen file to the server, reporting progress on a channel.
//! "Save as…" downloads a received file to where the person chose.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use base64::Engine;
use futures_util::StreamExt;
use reqwest::{
    Body, Client,
    multipart::{Form, Part},
};
use serde::Serialize;
use tauri::{AppHandle, Manager, ipc::Channel};
use tokio::io::AsyncWriteExt;
use tokio_util::{io::ReaderStream, sync::CancellationToken};
use url::Url;

use crate::{dialogs, lock};

/// Largest picture `picked_preview` turns into a data: URL.
const PREVIEW_MAX: u64 = 10 * 1024 * 1024;
/// Read size while uploading, and the least progress worth reporting.
const CHUNK: usize = 64 * 1024;
/// A download that stalls this long has failed.
const STALL: Duration = Duration::from_secs(60);

/// A picked file as the page sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Picked {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub mime_type: String,
}

/// Upload progress, in bytes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Progress {
    pub sent: u64,
    pub total: u64,
}

/// A failed transfer, shaped like the server's errors: the HTTP status
/// (0 when there was no answer) and a sentence for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferError {
    pub status: u16,
    pub detail: String,
}

impl TransferError {
    fn local(detail: impl Into<String>) -> Self {
        Self {
            status: 0,
            detail: detail.into(),
        }
    }
}

impl From<String> for TransferError {
    fn from(detail: String) -> Self {
        Self::local(detail)
    }
}

#[derive(Default)]
pub struct Transfers {
    next: AtomicU64,
    // std Mutexes: held for a map operation, never across an await.
    picked: Mutex<HashMap<String, PickedFile>>,
    uploads: Mutex<HashMap<String, CancellationToken>>,
}

#[derive(Debug, Clone)]
struct PickedFile {
    path: PathBuf,
    name: String,
    mime_type: String,
}

impl Transfers {
    /// Opens the system's file dialog; `accept` is an `<input accept>` value.
    pub async fn pick(
        &self,
        app: &AppHandle,
        accept: &str,
        multiple: bool,
    ) -> Result<Vec<Picked>, String> {
        let title = if multiple {
            "Choose files"
        } else {
            "Choose a file"
        };
        let paths = dialogs::pick_files(app, title, accepted_extensions(accept), multiple).await?;
        let mut picked = Vec::with_capacity(paths.len());
        for path in paths {
            picked.push(self.register(path).await?);
        }
        Ok(picked)
    }

    /// Gives a chosen file a handle the page can name later.
    async fn register(&self, path: PathBuf) -> Result<Picked, String> {
        let size = file_size(&path).await?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        let mime_type = mime_guess::from_path(&path)
            .first_or_octet_stream()
            .to_string();
        let id = format!("f{}", self.next.fetch_add(1, Ordering::Relaxed) + 1);
        lock(&self.picked).insert(
            id.clone(),
            PickedFile {
                path,
                name: name.clone(),
                mime_type: mime_type.clone(),
            },
        );
        Ok(Picked {
            id,
            name,
            size,
            mime_type,
        })
    }

    fn picked(&self, id: &str) -> Result<PickedFile, String> {
        lock(&self.picked)
            .get(id)
            .cloned()
            .ok_or_else(|| "That file is no longer available; choose it again.".to_owned())
    }

    /// A picked picture as a `data:` URL, for previews.
    pub async fn preview(&self, id: &str) -> Result<String, String> {
        let file = self.picked(id)?;
        if !file.mime_type.starts_with("image/") {
            return Err(format!("{} is not a picture.", file.name));
        }
        if file_size(&file.path).await? > PREVIEW_MAX {
            return Err(format!("{} is too large to preview.", file.name));
        }
        let bytes = tokio::fs::read(&file.path)
            .await
            .map_err(|e| format!("Cannot read {}: {e}", file.name))?;
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        Ok(format!("data:{};base64,{data}", file.mime_type))
    }

    /// Streams a picked file to `url` as the multipart field `file`, the way
    /// a browser form does; answers the server's JSON.
    pub async fn upload(
        &self,
        id: &str,
        url: Url,
        token: &str,
        progress: Channel<Progress>,
    ) -> Result<serde_json::Value, TransferError> {
        let file = self.picked(id)?;
        let cancel = CancellationToken::new();
        {
            let mut uploads = lock(&self.uploads);
            if uploads.contains_key(id) {
                return Err(TransferError::local("That file is being sent already."));
            }
            uploads.insert(id.to_owned(), cancel.clone());
        }
        let result = tokio::select! {
            () = cancel.cancelled() => Err(TransferError::local("Upload cancelled.")),
            result = send(&file, url, token, progress) => result,
        };
        lock(&self.uploads).remove(id);
        if result.is_ok() {
            lock(&self.picked).remove(id);
        }
        result
    }

    /// Cancelling what is not being sent does nothing.
    pub fn cancel(&self, id: &str) {
        if let Some(cancel) = lock(&self.uploads).get(id) {
            cancel.cancel();
        }
    }

    /// "Save as…": asks where, then downloads `url` there, with `token`
    /// (the server gives files only to its logged-in members). `None` when
    /// the person cancels the dialog.
    pub async fn save(
        &self,
        app: &AppHandle,
        url: Url,
        token: Option<&str>,
        name: &str,
    ) -> Result<Option<PathBuf>, TransferError> {
        let folder = app.path().download_dir().ok();
        let target = dialogs::save_file(app, safe_file_name(name), folder).await?;
        let Some(target) = target else {
            return Ok(None);
        };
        download(url, token, &target).await?;
        Ok(Some(target))
    }
}

async fn file_size(path: &Path) -> Result<u64, String> {
    tokio::fs::metadata(path)
        .await
        .map(|m| m.len())
        .map_err(|e| format!("Cannot read {}: {e}", path.display()))
}

async fn send(
    file: &PickedFile,
    url: Url,
    token: &str,
    progress: Channel<Progress>,
) -> Result<serde_json::Value, TransferError> {
    let cannot_read =
        |e: std::io::Error| TransferError::local(format!("Cannot read {}: {e}", file.name));
    let handle = tokio::fs::File::open(&file.path)
        .await
        .map_err(cannot_read)?;
    let total = handle.metadata().await.map_err(cannot_read)?.len();
    let _ = progress.send(Progress { sent: 0, total });
    let mut reported = Reported::new(total);
    let body = ReaderStream::with_capacity(handle, CHUNK).inspect(move |chunk| {
        if let Ok(chunk) = chunk
            && let Some(sent) = reported.add(chunk.len() as u64)
        {
            let _ = progress.send(Progress { sent, total });
        }
    });
    let part = Part::stream_with_length(Body::wrap_stream(body), total)
        .file_name(file.name.clone())
        .mime_str(&file.mime_type)
        .map_err(|e| TransferError::local(format!("{}: {e}", file.mime_type)))?;
    let response = Client::new()
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::ACCEPT, "application/json")
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .map_err(|_| TransferError::local("Upload failed: the connection was lost."))?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        return Ok(body);
    }
    let detail = body
        .get("detail")
        .and_then(|d| d.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("The server answered {status}."));
    Err(TransferError {
        status: status.as_u16(),
        detail,
    })
}

/// Decides when progress is worth a message to the page: every percent (or
/// chunk, for small files), and at the end.
struct Reported {
    total: u64,
    sent: u64,
    last: u64,
    step: u64,
}

impl Reported {
    fn new(total: u64) -> Self {
        Self {
            total,
            sent: 0,
            last: 0,
            step: (total / 100).max(CHUNK as u64),
        }
    }

    fn add(&mut self, bytes: u64) -> Option<u64> {
        self.sent += bytes;
        let due = self.sent - self.last >= self.step || self.sent >= self.total;
        due.then(|| {
            self.last = self.sent;
            self.sent
        })
    }
}

/// Downloads to a hidden temporary file beside `target`, then renames, so
/// a failed download never leaves half a file under the chosen name.
async fn download(url: Url, token: Option<&str>, target: &Path) -> Result<(), TransferError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut request = Client::builder()
        .read_timeout(STALL)
        .build()
        .map_err(|e| TransferError::local(e.to_string()))?
        .get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|_| TransferError::local("Download failed: the server cannot be reached."))?;
    let status = response.status();
    if !status.is_success() {
        return Err(TransferError {
            status: status.as_u16(),
            detail: format!("The server answered {status} for {name}."),
        });
    }
    let temp = target.with_file_name(format!(".{name}.part"));
    let written = async {
        let mut out = tokio::fs::File::create(&temp).await?;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            out.write_all(&chunk.map_err(std::io::Error::other)?)
                .await?;
        }
        out.sync_all().await?;
        tokio::fs::rename(&temp, target).await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(TransferError::local(format!("Cannot save {name}: {e}")));
    }
    Ok(())
}

/// The extensions an `<input accept>` value allows, for the dialog's
/// filter: `.pdf` as is, `image/*` or `text/plain` through their MIME
/// types. Empty means any file.
pub fn accepted_extensions(accept: &str) -> Vec<String> {
    let mut extensions = Vec::new();
    for item in accept.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if let Some(extension) = item.strip_prefix('.') {
            extensions.push(extension.to_ascii_lowercase());
        } else if let Some(known) = mime_guess::get_mime_extensions_str(item) {
            extensions.extend(known.iter().map(|e| (*e).to_owned()));
        } else {
            // A type we cannot map: better any file than none.
            return Vec::new();
        }
    }
    extensions.sort();
    extensions.dedup();
    extensions
}

/// A sender's file name as a suggestion for "Save as…": no directories,
/// nothing hidden, never empty.
pub fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned();
    if cleaned.is_empty() {
        "download".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tauri::ipc::InvokeResponseBody;

    use crate::test_server::TestServer;

    /// A real server with two people; answers it, alice's token and bob's id.
    async fn server_with_two_people(dir: &Path) -> (TestServer, String, i64) {
        let server = TestServer::start(dir).await;
        let (_, token) = server.account("alice").await;
        let (bob, _) = server.account("bob").await;
        (server, token, bob)
    }

    #[tokio::test]
    async fn a_picked_file_is_streamed_to_the_server_with_progress_then_saved_back() {
        let dir = tempfile::tempdir().unwrap();
        let (server, token, bob) = server_with_two_people(&dir.path().join("server")).await;
        let base = server.base.clone();
        let original: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, &original).unwrap();
        let transfers = Transfers::default();
        let picked = transfers.register(path).await.unwrap();
        assert_eq!(
            (picked.size, picked.mime_type.as_str()),
            (1_000_000, "application/pdf")
        );

        let reports = Arc::new(Mutex::new(Vec::new()));
        let seen = reports.clone();
        let progress = Channel::new(move |body| {
            if let InvokeResponseBody::Json(json) = body {
                let report: serde_json::Value = serde_json::from_str(&json).unwrap();
                lock(&seen).push(report["sent"].as_u64().unwrap());
            }
            Ok(())
        });
        let url = Url::parse(&format!("{base}upload-file?receiver_id={bob}")).unwrap();
        let message = transfers
            .upload(&picked.id, url.clone(), &token, progress)
            .await
            .unwrap();

        assert_eq!(message["file_name"], "report.pdf", "{message}");
        assert_eq!(message["file_size"], 1_000_000, "{message}");
        let reports = lock(&reports).clone();
        assert_eq!(reports.first(), Some(&0));
        assert_eq!(reports.last(), Some(&1_000_000));
        assert!(
            reports.len() > 3 && reports.windows(2).all(|w| w[0] <= w[1]),
            "{reports:?}"
        );
        // Sent is sent: the handle is spent.
        let again = transfers
            .upload(&picked.id, url, &token, Channel::new(|_| Ok(())))
            .await;
        assert_eq!(again.unwrap_err().status, 0);

        // "Save as…" without the dialog: the download itself.
        let file_url = Url::parse(&base)
            .unwrap()
            .join(message["file_path"].as_str().unwrap())
            .unwrap();
        let target = dir.path().join("saved").join("copy.pdf");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        download(file_url.clone(), Some(&token), &target)
            .await
            .unwrap();
        assert!(
            std::fs::read(&target).unwrap() == original,
            "the saved copy differs"
        );
        let anonymous = download(file_url.clone(), None, &dir.path().join("saved/anon.pdf"))
            .await
            .unwrap_err();
        assert_eq!(anonymous.status, 401, "files are for members only");
        let missing = file_url.join("nothing-here.pdf").unwrap();
        let err = download(missing, Some(&token), &dir.path().join("saved/none.pdf"))
            .await
            .unwrap_err();
        assert_eq!(err.status, 404);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("saved"))
            .unwrap()
            .collect();
        assert_eq!(
            leftovers.len(),
            1,
            "a failed download leaves nothing behind"
        );

        server.shutdown().await;
    }

    #[tokio::test]
    async fn a_refused_upload_reports_the_servers_status_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (server, _token, bob) = server_with_two_people(&dir.path().join("server")).await;
        let base = server.base.clone();
        let path = dir.path().join("note.txt");
        std::fs::write(&path, "hello").unwrap();
        let transfers = Transfers::default();
        let picked = transfers.register(path).await.unwrap();
        let url = Url::parse(&format!("{base}upload-file?receiver_id={bob}")).unwrap();

        let err = transfers
            .upload(&picked.id, url, "not-a-token", Channel::new(|_| Ok(())))
            .await
            .unwrap_err();

        server.shutdown().await;
        assert_eq!(err.status, 401, "{err:?}");
        assert!(!err.detail.is_empty());
        assert!(
            transfers.picked(&picked.id).is_ok(),
            "a failed upload may be retried"
        );
    }

    #[test]
    fn accept_values_become_dialog_filters() {
        let images = accepted_extensions("image/*");
        for ext in ["png", "jpg", "jpeg", "gif", "webp"] {
            assert!(
                images.iter().any(|e| e == ext),
                "{ext} missing from {images:?}"
            );
        }
        assert!(!images.iter().any(|e| e == "pdf"));
        assert_eq!(accepted_extensions(".PDF, .txt"), ["pdf", "txt"]);
        assert!(accepted_extensions("").is_empty(), "no accept: any file");
        assert!(
            accepted_extensions(".png, x-unknown/thing").is_empty(),
            "an unknown type widens to any file"
        );
    }

    #[test]
    fn save_names_lose_directories_and_leading_dots() {
        assert_eq!(safe_file_name("report.pdf"), "report.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\temp\\a.txt"), "a.txt");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("a\u{7}b.txt"), "ab.txt");
        assert_eq!(safe_file_name(""), "download");
        assert_eq!(safe_file_name(".."), "download");
    }

    #[test]
    fn progress_is_reported_each_step_and_at_the_end() {
        let mut small = Reported::new(10);
        assert_eq!(small.add(4), None);
        assert_eq!(small.add(6), Some(10), "the end is always reported");
        let total = 100 * CHUNK as u64 * 2;
        let mut big = Reported::new(total);
        let reports: Vec<u64> = (0..200).filter_map(|_| big.add(CHUNK as u64)).collect();
        assert_eq!(reports.len(), 100, "about one per percent");
        assert_eq!(reports.last(), Some(&total));
    }
}
