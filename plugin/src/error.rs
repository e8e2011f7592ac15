//! The one error type of every operation; it maps one-to-one onto the contract's `error`.

use crate::prelude::*;

use thiserror::Error;

/// Who holds a call request: the answer to a losing accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    pub request_id: String,
    pub by: String,
    pub by_name: String,
}

#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum MeetError {
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("unknown context: {0}")]
    UnknownContext(String),
    #[error("unknown user: {0}")]
    UnknownUser(String),
    #[error("not a participant: {0}")]
    NotAParticipant(String),
    #[error("the licence forbids it: {0}")]
    LicenceForbids(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("the meeting has ended: {0}")]
    MeetingEnded(String),
    #[error("already taken by {}", .0.by_name)]
    AlreadyTaken(Taken),
    #[error("not allowed now: {0}")]
    InvalidTransition(String),
    #[error("expired: {0}")]
    Expired(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("host failure: {0}")]
    HostFailure(String),
    #[error("store failure: {0}")]
    StoreFailure(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
}

pub type Result<T, E = MeetError> = core::result::Result<T, E>;

/// Shorthand for an `InvalidInput` error.
pub fn invalid(message: impl Into<String>) -> MeetError {
    MeetError::InvalidInput(message.into())
}

/// The most rows one page of any listing holds.
pub const MAX_PAGE: u32 = 200;

/// Rejects a page size no listing takes; `rows` names what the listing lists.
pub fn require_page_size(rows: &str, page_size: u32) -> Result<()> {
    if page_size == 0 || page_size > MAX_PAGE {
        return Err(invalid(format!("a page holds 1 to {MAX_PAGE} {rows}, not {page_size}")));
    }
    Ok(())
}

/// Rejects an empty or blank identifier.
pub fn require_id<'a>(what: &str, id: &'a str) -> Result<&'a str> {
    if id.trim().is_empty() { Err(invalid(format!("{what} must not be empty"))) } else { Ok(id) }
}

/// Refuses an id that would split or turn around the lines it is shown in (the
/// administrators' flags, a meeting's participants): one with a control character, a
/// line or paragraph separator, or a mark or override of the text's direction.
pub fn showable(what: &str, id: &str) -> Result<()> {
    let unshowable = |c: char| {
        c.is_control()
            || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if id.chars().any(unshowable) {
        return Err(invalid(format!("{what} holds a control character")));
    }
    Ok(())
}
