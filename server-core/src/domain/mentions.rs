//! Who a message's text names: `@username` for a member, `@room` or
//! `@everyone` for everyone in the conversation. The server reads them from
//! the text itself, so a client cannot claim mentions its text does not
//! make; a store resolves the names against the conversation's members.

use super::accounts::{USERNAME_LENGTH, is_username_char};

/// What a text names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentioned {
    /// The names written after '@', lowercased, each once, sorted.
    pub names: Vec<String>,
    /// `@room` or `@everyone` (never a person's name, even one registered
    /// so).
    pub room: bool,
}

impl Mentioned {
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && !self.room
    }
}

/// Finds the mentions in `text`: an '@' that no letter, digit or '_'
/// comes right before (not an e-mail address), then a name of the
/// characters usernames may hold. A name that ends in '.' or '-' counts
/// without them as well, so that "thanks @bob." names bob.
pub fn parse(text: &str) -> Mentioned {
    let mut found = Mentioned::default();
    let mut previous = None;
    for (at, c) in text.char_indices() {
        if c == '@' && !previous.is_some_and(is_word_char) {
            let rest = &text[at + 1..];
            let name = &rest[..rest.find(|c| !is_username_char(c)).unwrap_or(rest.len())];
            let trimmed = name.trim_end_matches(['.', '-']);
            if ["room", "everyone"]
                .iter()
                .any(|all| trimmed.eq_ignore_ascii_case(all))
            {
                found.room = true;
            } else {
                for candidate in [name, trimmed] {
                    // Usernames are ASCII: bytes are characters.
                    if USERNAME_LENGTH.contains(&candidate.len()) {
                        found.names.push(candidate.to_ascii_lowercase());
                    }
                }
            }
        }
        previous = Some(c);
    }
    found.names.sort_unstable();
    found.names.dedup();
    found
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        parse(text).names
    }

    #[test]
    fn a_name_after_an_at_sign_is_a_mention_whatever_its_case() {
        assert_eq!(names("hi @Bob, and @carol_2"), ["bob", "carol_2"]);
        assert_eq!(names("@ann.lee-x said"), ["ann.lee-x"]);
        assert_eq!(names("(@bob)"), ["bob"]);
        assert_eq!(names("@bob @BOB @bob"), ["bob"], "each once");
    }

    #[test]
    fn an_at_sign_after_a_word_character_is_not_a_mention() {
        assert!(parse("mail bob@example.com").is_empty());
        assert!(parse("x_@bob").is_empty());
        assert!(parse("é@bob").is_empty());
        assert_eq!(names("@@bob"), ["bob"]);
    }

    #[test]
    fn names_shorter_or_longer_than_usernames_are_not_mentions() {
        assert!(parse("@ab @ and @ ").is_empty());
        assert!(parse(&format!("@{}", "a".repeat(33))).is_empty());
        assert_eq!(names(&format!("@{}", "a".repeat(32))).len(), 1);
    }

    #[test]
    fn trailing_punctuation_also_counts_without_it() {
        assert_eq!(names("thanks @bob."), ["bob", "bob."]);
        assert_eq!(names("@bob--"), ["bob", "bob--"]);
    }

    #[test]
    fn room_and_everyone_name_the_room_and_no_person() {
        for text in ["@room", "hey @Everyone!", "@room.", "all: @ROOM"] {
            let found = parse(text);
            assert!(found.room, "{text}");
            assert!(found.names.is_empty(), "{text}");
        }
        assert!(!parse("@rooms").room);
        assert!(!parse("a@room").room);
    }

    #[test]
    fn a_text_without_mentions_names_no_one() {
        assert!(parse("").is_empty());
        assert!(parse("plain text, no at sign").is_empty());
    }
}
