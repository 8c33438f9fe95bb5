//! Ferrostack's roles wired together: configuration, data directory, bootstrap, and the
//! all-in-one HTTP listener. The binary and the system tests both start clouds here.

pub mod cloud;
pub mod clouds;
pub mod config;
pub mod service_users;

pub use cloud::{Cloud, CloudOptions};
pub use config::Config;
