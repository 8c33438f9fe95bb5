//! Ferrostack compute: the Nova API (v2.1 with microversions up to 2.96).
//!
//! Layout as in ARCHITECTURE.md: `api/` is the wire format, `http/` the handlers,
//! `domain/` the rules, `store/` the SQL of the API database.

pub mod api;
pub mod domain;
pub mod http;
pub mod rpc;
pub mod scheduler;
pub mod states;
pub mod store;

pub use domain::Compute;
pub use http::{AppState, router};
