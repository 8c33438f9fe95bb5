//! Pieces every Ferrostack service shares: ids, times, the request context, the
//! oslo.policy-compatible policy engine and application credential access rules.

pub mod access_rules;
pub mod context;
pub mod ids;
pub mod policy;
pub mod time;

pub use context::{RequestContext, Scope};
