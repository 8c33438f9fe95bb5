//! Pieces every Ferrostack service shares: ids, times, the request context and the
//! oslo.policy-compatible policy engine.

pub mod context;
pub mod ids;
pub mod policy;
pub mod time;

pub use context::{RequestContext, Scope};
