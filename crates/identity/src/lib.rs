//! Identity: Keystone's v3 API (3.14) over Fernet tokens, served under `/identity`.

pub mod api;
pub mod domain;
pub mod http;
pub mod store;

pub use domain::{Identity, IdentityConfig};
pub use http::{AppState, router};
