//! Everything an identity operation can fail with. `http::error` turns each variant into
//! Keystone's status code and body in one exhaustive match.

use crate::store::StoreError;

/// An identity failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or breaks a rule; the message says which.
    #[error("{0}")]
    Validation(String),
    /// Authentication failed. The detail is logged, never returned, as Keystone does,
    /// so a caller cannot probe which users exist.
    #[error("authentication failed: {0}")]
    Unauthorized(String),
    /// Authentication failed for a reason the caller must be told (locked account,
    /// expired password, an application credential asking for a scope).
    #[error("{0}")]
    AuthDenied(String),
    /// Policy forbids the action; carries the rule name.
    #[error("You are not authorized to perform the requested action: {0}.")]
    Forbidden(String),
    /// An action that is not allowed for a reason other than policy.
    #[error("{0}")]
    ForbiddenAction(String),
    /// The named resource does not exist.
    #[error("Could not find {kind}: {id}.")]
    NotFound { kind: &'static str, id: String },
    /// The write conflicts with existing data (usually a duplicate name).
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error("database error: {0}")]
    Store(#[source] StoreError),
    /// The policy is misconfigured or a rule is missing.
    #[error("policy error: {0}")]
    Policy(#[from] common::policy::PolicyError),
    /// Anything else internal (key repository, hashing).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

/// Result of an identity operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A 404 for `kind` with id `id`.
pub fn not_found(kind: &'static str, id: &str) -> Error {
    Error::NotFound { kind, id: id.to_owned() }
}

/// Keystone's duplicate-entry message.
pub fn duplicate(kind: &str, detail: impl std::fmt::Display) -> Error {
    Error::Conflict(format!("Conflict occurred attempting to store {kind} - Duplicate entry found with {detail}."))
}
