//! Axum plumbing every Ferrostack API shares: request ids, the error body Keystone and
//! keystonemiddleware return, token validation into a [`common::RequestContext`],
//! application credential access rules, strict JSON bodies, and the unified limits
//! services enforce quotas with.

pub mod access_rules;
pub mod auth;
pub mod error;
pub mod json;
pub mod limits;
pub mod remote;
pub mod request_id;

pub use access_rules::ServiceType;
pub use auth::{AuthFailure, Authenticated, TokenValidator, Validator};
pub use client::ServiceCredentials;
pub use error::keystone_error;
pub use limits::{LimitSource, Limits, LimitsUnavailable};
pub use remote::RemoteValidator;
pub use request_id::RequestId;
