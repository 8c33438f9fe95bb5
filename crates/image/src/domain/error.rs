//! Everything an image operation can fail with. `http::error` turns each variant into
//! Glance's status code and body in one exhaustive match.

use crate::store::{StoreError, WebError, WriteError};

/// An image failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or breaks a rule; the message says which.
    #[error("{0}")]
    BadRequest(String),
    /// Policy or ownership forbids the action.
    #[error("{0}")]
    Forbidden(String),
    /// No such image (or one the caller may not see).
    #[error("{0}")]
    NotFound(String),
    /// The image is not in a state that allows the action (an upload to an active image).
    #[error("{0}")]
    Conflict(String),
    /// The image went away while something was being done to it.
    #[error("{0}")]
    Gone(String),
    /// The data is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// A PATCH body in a media type Glance does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A byte range beyond the data.
    #[error("{0}")]
    RangeNotSatisfiable(String),
    /// The database failed.
    #[error("database error: {0}")]
    Store(#[source] StoreError),
    /// The disk failed, or the policy is misconfigured.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl From<WriteError> for Error {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Client(why) => Error::BadRequest(format!("The image data could not be read: {why}")),
            WriteError::TooLarge(limit) => Error::TooLarge(format!("Image exceeds the storage quota: more than {limit} bytes.")),
            WriteError::Io(e) => Error::Internal(e.to_string()),
        }
    }
}

impl From<WebError> for Error {
    fn from(e: WebError) -> Self {
        Error::BadRequest(e.to_string())
    }
}

impl From<common::policy::PolicyError> for Error {
    fn from(e: common::policy::PolicyError) -> Self {
        Error::Internal(e.to_string())
    }
}

/// Result of an image operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Glance's 404 for an image id.
pub fn no_image(id: &str) -> Error {
    Error::NotFound(format!("No image found with ID {id}"))
}
