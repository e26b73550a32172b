//! Reactions: a member's emoji on a message, added or taken back. The
//! store logs each change, and so tells every member.

use super::{DomainError, DomainResult};
use crate::{
    state::AppState,
    store::{ConversationId, MessageId, Reaction, UserId, now},
};

/// The emoji `text` is, in the one form it is stored in: a form without
/// its variation selector ("❤" for "❤️") is the same emoji. Skin tones are
/// emoji of their own.
pub fn check_emoji(text: &str) -> DomainResult<&'static str> {
    emojis::get(text)
        .map(|emoji| emoji.as_str())
        .ok_or(DomainError::Unprocessable("Not an emoji"))
}

/// Adds `user`'s `emoji` to a message (`added`), or takes it back; with
/// `conversation`, the message must be in it. Returns the message's
/// reactions after.
pub async fn react(
    state: &AppState,
    user: UserId,
    conversation: Option<ConversationId>,
    message: MessageId,
    emoji: &str,
    added: bool,
) -> DomainResult<Vec<Reaction>> {
    let emoji = check_emoji(emoji)?;
    Ok(state
        .store
        .react(user, conversation, message, emoji, added, now())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_with_skin_tones_are_emoji() {
        for emoji in ["👍", "👍🏽", "👋🏿", "🤞🏻", "🎉", "🇫🇷", "👩‍💻", "❤️"]
        {
            assert_eq!(check_emoji(emoji).ok(), Some(emoji), "{emoji}");
        }
    }

    #[test]
    fn an_emoji_without_its_variation_selector_is_stored_with_it() {
        assert_eq!(check_emoji("\u{2764}").ok(), Some("\u{2764}\u{fe0f}"));
    }

    #[test]
    fn text_and_several_emoji_are_not_an_emoji() {
        for text in ["", "a", ":+1:", "👍👍", "👍 ", "+1", "<b>"] {
            assert!(
                matches!(check_emoji(text), Err(DomainError::Unprocessable(_))),
                "{text:?}"
            );
        }
    }
}
