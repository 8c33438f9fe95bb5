//! Ferrostack images: Glance v2 (2.7) over a file store that streams.
//!
//! Layout as in ARCHITECTURE.md: `api/` is the wire format, `http/` the handlers,
//! `domain/` the rules (visibility, status machine, patch semantics, lists), `store/`
//! the SQL and the data files.

pub mod api;
pub mod domain;
pub mod http;
pub mod store;

pub use domain::{ImageConfig, Images};
pub use http::{AppState, router};
