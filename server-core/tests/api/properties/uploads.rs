//! Any multipart upload, well formed or not, gets a JSON answer, 200 or a
//! 4xx, and never a dropped connection. It is a 200 exactly when the body
//! is whole and readable, its sender known and it has one `file` part (a
//! picture, for a profile); then that file is served with the bytes sent,
//! and is the only one added. A refusal leaves nothing on disk.

use proptest::prelude::*;
use reqwest::{StatusCode, header};
use serde_json::Value;

use super::check;
use crate::helpers::{
    TINY_PNG, TestApp, TestUser, chat_files, files_in, partials, spawn_app, uploads,
};

const BOUNDARY: &str = "property-boundary-5f0c2a";

#[derive(Debug, Clone, Copy)]
enum Route {
    Chat,
    Profile,
}

/// Where the sender's token is.
#[derive(Debug, Clone, Copy)]
enum Auth {
    Query,
    Bearer,
    FieldBefore,
    FieldAfter,
    /// A token in the query that names no session.
    Wrong,
    Missing,
}

#[derive(Debug, Clone)]
enum Part {
    File {
        /// `None`: no `filename` at all.
        name: Option<String>,
        content_type: Option<String>,
        bytes: Vec<u8>,
    },
    /// A field the server skips.
    Other { name: &'static str, value: String },
}

/// How the request's `Content-Type` announces the body's boundary.
#[derive(Debug, Clone, Copy)]
enum Boundary {
    Plain,
    Quoted,
    /// One the body does not use.
    Wrong,
    Missing,
}

#[derive(Debug, Clone)]
struct Upload {
    route: Route,
    auth: Auth,
    parts: Vec<Part>,
    boundary: Boundary,
    /// Where the body is cut short, if it is: somewhere before the end of
    /// its closing delimiter.
    cut: Option<prop::sample::Index>,
}

struct Fixture {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
}

fn file_names() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 ._-]{1,12}\\.[a-z]{1,4}",
        2 => prop::sample::select(vec![
            "", ".", "..", "../../x", "a/b\\c.txt", "C:\\x.txt", "\"q\".txt", "ends\\",
            "invoice\u{202e}fdp.exe", "tab\tname", "x;name=\"token\"", "résumé 文件 📄.pdf",
        ])
        .prop_map(str::to_owned),
        1 => prop::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter),
    ]
}

fn parts() -> impl Strategy<Value = Part> {
    let file = (
        prop::option::weighted(0.9, file_names()),
        prop::option::of(prop_oneof![
            prop::sample::select(vec!["text/plain", "image/png", "application/octet-stream"])
                .prop_map(str::to_owned),
            "[ -~]{0,24}",
        ]),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2048),
            Just(TINY_PNG.to_vec()),
        ],
    )
        .prop_map(|(name, content_type, bytes)| Part::File {
            name,
            content_type,
            bytes,
        });
    let other = (
        prop::sample::select(vec!["note", "files", "FILE", "file[]", ""]),
        "\\PC{0,40}",
    )
        .prop_map(|(name, value)| Part::Other { name, value });
    prop_oneof![3 => file, 1 => other]
}

fn uploads_sent() -> impl Strategy<Value = Upload> {
    (
        prop_oneof![3 => Just(Route::Chat), 1 => Just(Route::Profile)],
        prop_oneof![
            3 => Just(Auth::Query),
            2 => Just(Auth::Bearer),
            2 => Just(Auth::FieldBefore),
            2 => Just(Auth::FieldAfter),
            1 => Just(Auth::Wrong),
            1 => Just(Auth::Missing),
        ],
        prop::collection::vec(parts(), 1..=3),
        prop_oneof![
            8 => Just(Boundary::Plain),
            2 => Just(Boundary::Quoted),
            1 => Just(Boundary::Wrong),
            1 => Just(Boundary::Missing),
        ],
        prop::option::weighted(0.1, any::<prop::sample::Index>()),
    )
        .prop_map(|(route, auth, parts, boundary, cut)| Upload {
            route,
            auth,
            parts,
            boundary,
            cut,
        })
}

/// Appends one part to a multipart body.
fn append_part(body: &mut Vec<u8>, disposition: &str, content_type: Option<&str>, content: &[u8]) {
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; {disposition}\r\n").as_bytes(),
    );
    if let Some(content_type) = content_type {
        body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(content);
    body.extend_from_slice(b"\r\n");
}

/// A file name as browsers put it in a quoted header parameter.
fn quoted(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

impl Part {
    /// Whether its headers can be read: a control character other than a
    /// tab in a file name breaks them, and so the whole body.
    fn readable(&self) -> bool {
        match self {
            Self::File {
                name: Some(name), ..
            } => !quoted(name)
                .chars()
                .any(|c| c != '\t' && c.is_ascii_control()),
            Self::File { name: None, .. } | Self::Other { .. } => true,
        }
    }

    fn file(&self) -> Option<&[u8]> {
        match self {
            Self::File { bytes, .. } => Some(bytes),
            Self::Other { .. } => None,
        }
    }
}

impl Upload {
    fn body(&self, token: &str) -> Vec<u8> {
        let mut body = Vec::new();
        let token_field = |body: &mut Vec<u8>| {
            append_part(body, "name=\"token\"", None, token.as_bytes());
        };
        if let Auth::FieldBefore = self.auth {
            token_field(&mut body);
        }
        for part in &self.parts {
            match part {
                Part::File {
                    name,
                    content_type,
                    bytes,
                } => {
                    let mut disposition = "name=\"file\"".to_owned();
                    if let Some(name) = name {
                        disposition += &format!("; filename=\"{}\"", quoted(name));
                    }
                    append_part(&mut body, &disposition, content_type.as_deref(), bytes);
                }
                Part::Other { name, value } => {
                    append_part(
                        &mut body,
                        &format!("name=\"{name}\""),
                        None,
                        value.as_bytes(),
                    );
                }
            }
        }
        if let Auth::FieldAfter = self.auth {
            token_field(&mut body);
        }
        let end = body.len();
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        if let Some(cut) = self.cut {
            // Never the whole closing delimiter.
            body.truncate(cut.index(end + BOUNDARY.len() + 4));
        }
        body
    }

    fn content_type(&self) -> String {
        match self.boundary {
            Boundary::Plain => format!("multipart/form-data; boundary={BOUNDARY}"),
            Boundary::Quoted => format!("multipart/form-data; boundary=\"{BOUNDARY}\""),
            Boundary::Wrong => "multipart/form-data; boundary=another-boundary".to_owned(),
            Boundary::Missing => "multipart/form-data".to_owned(),
        }
    }

    fn target(&self, fixture: &Fixture) -> String {
        let path = match self.route {
            Route::Chat => format!("/upload-file?receiver_id={}&", fixture.bob.id),
            Route::Profile => "/upload-profile?".to_owned(),
        };
        match self.auth {
            Auth::Query => format!("{path}token={}", fixture.alice.token),
            Auth::Wrong => format!("{path}token=not-a-session"),
            Auth::Bearer | Auth::FieldBefore | Auth::FieldAfter | Auth::Missing => path,
        }
    }

    /// The bytes the server must keep, if it must take this upload.
    fn kept(&self) -> Option<&[u8]> {
        let known = !matches!(self.auth, Auth::Wrong | Auth::Missing);
        let whole = self.cut.is_none()
            && matches!(self.boundary, Boundary::Plain | Boundary::Quoted)
            && self.parts.iter().all(Part::readable);
        // A form with two files is refused: which one was meant?
        let mut files = self.parts.iter().filter_map(Part::file);
        let bytes = files.next()?;
        if files.next().is_some() {
            return None;
        }
        let fits = match self.route {
            Route::Chat => true,
            Route::Profile => bytes == TINY_PNG,
        };
        (known && whole && fits).then_some(bytes)
    }
}

#[test]
fn every_upload_is_answered_and_kept_whole_or_not_at_all() {
    let setup = async || {
        let app = spawn_app().await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        Fixture { app, alice, bob }
    };

    check(64, setup, uploads_sent(), async |fixture, upload| {
        let Fixture { app, alice, .. } = fixture;
        let (files_before, pictures_before) = (chat_files(app), uploads(app));
        let mut request = app
            .client
            .post(app.url(&upload.target(fixture)))
            .header(header::CONTENT_TYPE, upload.content_type())
            .body(upload.body(&alice.token));
        if let Auth::Bearer = upload.auth {
            request = request.bearer_auth(&alice.token);
        }

        let response = request
            .send()
            .await
            .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;

        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| TestCaseError::fail(format!("{status} without JSON: {e}")))?;
        prop_assert!(partials(app).is_empty(), "partial files left");
        let Some(bytes) = upload.kept() else {
            prop_assert!(status.is_client_error(), "{status}: {answer}");
            prop_assert!(answer["detail"].is_string(), "{answer}");
            prop_assert_eq!(chat_files(app), files_before);
            prop_assert_eq!(uploads(app), pictures_before);
            return Ok(());
        };
        prop_assert_eq!(status, StatusCode::OK, "{}", answer);
        let (path, kept_before) = match upload.route {
            Route::Chat => {
                let shown = answer["file_name"].as_str().unwrap_or("/");
                prop_assert!(!shown.contains(['/', '\\']), "{answer}");
                prop_assert_eq!(&answer["file_size"], &Value::from(bytes.len()));
                prop_assert_eq!(uploads(app), pictures_before);
                (answer["file_path"].as_str(), files_before)
            }
            // The new picture replaces the old.
            Route::Profile => {
                prop_assert_eq!(chat_files(app), files_before);
                (answer["path"].as_str(), Vec::new())
            }
        };
        let path = path.ok_or_else(|| TestCaseError::fail(format!("no path in {answer}")))?;
        let (folder, stored) = path
            .strip_prefix("static/")
            .and_then(|path| path.split_once('/'))
            .unwrap_or_default();
        let mut expected = kept_before;
        expected.push(stored.to_owned());
        expected.sort();
        let on_disk = files_in(&app.dir.path().join(folder));
        prop_assert_eq!(on_disk, expected, "only the new file was added");
        let served = app.get_file(alice, path).await;
        prop_assert_eq!(served.status(), StatusCode::OK);
        let served = served.bytes().await.expect("body");
        prop_assert_eq!(served.as_ref(), bytes);
        Ok(())
    });
}
