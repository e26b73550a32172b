//! The use cases: each action a person can take, checked, stored and then
//! published, whichever edge (HTTP route or WebSocket frame) it came from.
//! The edges are thin adapters that authenticate, parse and format.
//!
//! A change to a conversation is published by the store itself: it hands
//! each committed event to the state's publisher in log order (see
//! [`crate::state`]), so no two events of a conversation can overtake each
//! other on their way out. Changes outside conversations (typing, presence,
//! profiles, sessions) are published here.
//!
//! Domain code returns [`DomainError`]; mapping it to an HTTP status or an
//! `error` frame is the edge's business.

pub mod accounts;
pub mod conversations;
pub mod mentions;
pub mod messages;
pub mod notifications;
pub mod profile;
pub mod reactions;

use std::time::Duration;

use crate::{bus::BusError, store::StoreError};

pub type DomainResult<T> = Result<T, DomainError>;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A rule broken by well-formed input; the text says which.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    /// Well-formed, but at odds with what is stored (a reaction to a
    /// deleted message).
    #[error("{0}")]
    Conflict(&'static str),
    /// Input that is not what the field holds (not an emoji).
    #[error("{0}")]
    Unprocessable(&'static str),
    /// A file of a kind this action does not take.
    #[error("{0}")]
    Unsupported(&'static str),
    /// Storage or the bus failed; the cause is for the log only.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Too busy for this right now (the hashing queue is full); the client
    /// may retry shortly.
    #[error("{0}")]
    Busy(&'static str),
    /// Too many failed attempts lately; the client may retry after this.
    #[error("too many attempts")]
    Throttled(Duration),
}

impl From<StoreError> for DomainError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::UsernameTaken => Self::Invalid("User exists".into()),
            StoreError::UserNotFound => Self::NotFound("User not found"),
            StoreError::ConversationNotFound => Self::NotFound("Conversation not found"),
            StoreError::NotAMember => Self::Forbidden("You are not a member of this conversation"),
            StoreError::MemberNotFound => {
                Self::NotFound("They are not a member of this conversation")
            }
            StoreError::MessageNotFound => Self::NotFound("Message not found"),
            StoreError::NotYourMessage => Self::Forbidden("You can only edit your own messages"),
            StoreError::NotEditable => Self::Invalid("Only text messages can be edited".into()),
            StoreError::NotDeletable => Self::Invalid("Notices cannot be deleted".into()),
            StoreError::NotAnAdmin => {
                Self::Forbidden("Only an admin of this conversation may do this")
            }
            StoreError::NotARoom => {
                Self::Invalid("A direct conversation has no title or membership to change".into())
            }
            StoreError::LastAdmin => {
                Self::Invalid("You are the last admin: make someone else admin first".into())
            }
            StoreError::ReplyTargetNotFound => Self::NotFound("No such message to reply to"),
            StoreError::RoomMentionNotAllowed => {
                Self::Forbidden("Only admins may notify everyone in a conversation this large")
            }
            StoreError::NotReactable => {
                Self::Conflict("Notices and deleted messages cannot be reacted to")
            }
            StoreError::TooManyReactions => {
                Self::Conflict("This message has too many different reactions")
            }
            StoreError::Unavailable(cause) => Self::Unavailable(cause),
        }
    }
}

impl From<BusError> for DomainError {
    fn from(err: BusError) -> Self {
        Self::Unavailable(err.to_string())
    }
}
