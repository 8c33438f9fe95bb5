//! REST clients one service uses to call another, as a service user: a [`Session`]
//! that keeps the user's token (renewed before it expires, and once more when refused)
//! and finds endpoints in its catalog, and typed clients over it ([`Placement`], [`Images`]).
//!
//! Every call carries the request id of the work it is part of, and gives up after the
//! session's timeout.

mod images;
mod placement;
mod session;

pub use images::{ImageRefusal, Images, UserToken, additional_properties};
pub use placement::{Inventory, Placement};
pub use session::{ServiceCredentials, Session, token_lifetime};

/// Why a call to another service failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The service could not be reached, did not answer in time, or the service user
    /// could not authenticate.
    #[error("{0}")]
    Unavailable(String),
    /// The service answered with an error status.
    #[error("{service} answered {status} to {method} {path}: {body}")]
    Status { service: &'static str, method: String, path: String, status: u16, body: String },
}

impl ClientError {
    /// The status the service answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            ClientError::Unavailable(_) => None,
        }
    }
}
