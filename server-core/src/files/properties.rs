//! Properties of the names an upload is stored and shown under, for any
//! name a client may send.

use std::path::{Component, Path};

use proptest::prelude::*;

use super::*;

/// File names as any client may send them: folders with either
/// separator, runs of dots, NUL and other control characters, bidi
/// overrides, any Unicode, hundreds of characters long or empty.
fn client_names() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => any::<char>().prop_map(String::from),
        2 => prop::sample::select(vec![
            "/", "\\", ".", "..", "\0", "\u{202e}", "\u{2067}", "\u{200f}", "C:", "\r\n", " ",
        ])
        .prop_map(str::to_owned),
        2 => "[a-z]{1,8}(\\.[a-z0-9]{1,5})?",
        1 => "[a-z0-9._-]{1,100}",
        1 => "\\PC{60,300}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// What sniffing may have found in the file's first bytes: nothing, or
/// one of the pictures shown inline.
fn sniffed() -> impl Strategy<Value = Option<infer::Type>> {
    let heads: [&[u8]; 4] = [
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff\xe0",
        b"GIF89a",
        b"RIFF\0\0\0\0WEBPVP8L",
    ];
    prop::option::of(prop::sample::select(heads.to_vec()))
        .prop_map(|head| head.map(|head| infer::get(head).expect("a known picture header")))
}

/// Whether `name` is exactly one ordinary path component: no folder,
/// no root or drive, not `.` or `..`.
fn one_plain_component(name: &str) -> bool {
    let mut components = Path::new(name).components();
    matches!(components.next(), Some(Component::Normal(only)) if only == name)
        && components.next().is_none()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1024,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_client_name_is_stored_as_one_short_plain_name_we_can_delete(
        user in 1..=UserId::MAX,
        original in client_names(),
        image in sniffed(),
    ) {
        let safe = safe_name(&original);
        let stored = stored_name(user, &original, image);

        prop_assert!(!safe.is_empty() && !safe.starts_with('.'), "{safe:?}");
        prop_assert!(safe.chars().count() <= 80, "{safe:?}");
        prop_assert!(one_plain_component(&stored), "{stored:?}");
        prop_assert!(
            !stored.contains(['/', '\\', '\0']) && !stored.chars().any(char::is_control),
            "{stored:?}"
        );
        prop_assert!(stored.len() <= 255, "{} bytes: {stored:?}", stored.len());
        let prefix = format!("{user}_");
        prop_assert!(stored.starts_with(&prefix), "{stored:?}");
        prop_assert!(is_stored_name(&stored), "{stored:?} could not be deleted");
    }

    #[test]
    fn a_short_plain_extension_is_kept(
        user in 1..=UserId::MAX,
        stem in client_names(),
        extension in "[A-Za-z0-9]{1,8}",
    ) {
        let original = format!("{stem}.{extension}");
        let suffix = format!(".{extension}");
        // A name that is all dots before the extension is a dot file
        // called `extension`, with no extension.
        let base = base_name(&original);
        let dot_file = base[..base.len() - suffix.len()].trim_start_matches('.').is_empty();

        prop_assume!(!dot_file);
        prop_assert!(safe_name(&original).ends_with(&suffix), "{original:?}");
        prop_assert!(stored_name(user, &original, None).ends_with(&suffix), "{original:?}");
    }

    #[test]
    fn display_names_have_no_folders_and_nothing_that_disguises_them(
        original in client_names(),
    ) {
        let shown = display_name(&original);
        let base = base_name(&original);

        prop_assert!(one_plain_component(&shown), "{shown:?}");
        prop_assert!(!shown.contains(['/', '\\']), "{shown:?}");
        prop_assert!(!shown.chars().any(|c| c.is_control() || is_bidi_control(c)), "{shown:?}");
        prop_assert!(shown.chars().count() <= 255, "{shown:?}");
        let clean = !base.chars().any(|c| c.is_control() || is_bidi_control(c));
        if clean && base.chars().count() <= 255 && one_plain_component(base) && !base.trim().is_empty() {
            prop_assert_eq!(&shown, base, "a plain name is shown as it was sent");
        }
    }

    #[test]
    fn only_one_plain_component_passes_as_a_stored_name(name in client_names()) {
        prop_assert!(!is_stored_name(&name) || one_plain_component(&name), "{name:?}");
    }
}
