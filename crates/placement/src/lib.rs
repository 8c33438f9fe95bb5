//! Ferrostack placement: resource providers (nested in trees), their inventories,
//! traits and aggregates, the allocations consumers hold, and the allocation candidates
//! the compute scheduler picks hosts from; Placement's API up to microversion 1.39.
//!
//! Layout as in ARCHITECTURE.md: `api/` is the wire format, `http/` the handlers,
//! `domain/` the rules (capacity, generations, candidates), `store/` the SQL.

pub mod api;
pub mod domain;
pub mod http;
pub mod store;

pub use domain::Placement;
pub use http::{AppState, router};
