//! Identity settings, read from the `[identity]` table of the config file.

use serde::Deserialize;

/// Identity settings; every field has Keystone's default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// Token lifetime in seconds (`[token] expiration`).
    pub token_expiration: i64,
    /// How long after expiry a token may still be validated with `allow_expired`
    /// (`[token] allow_expired_window`), in seconds.
    pub allow_expired_window: i64,
    /// How many Fernet keys to keep (`[fernet_tokens] max_active_keys`).
    pub max_active_keys: usize,
    /// Whether a scoped token may be rescoped (`[token] allow_rescope_scoped_token`).
    pub allow_rescope_scoped_token: bool,
    /// Most entities a list returns before it is truncated (`[DEFAULT] list_limit`).
    pub list_limit: Option<usize>,
    /// bcrypt cost for passwords and application credential secrets
    /// (`[identity] password_hash_rounds`).
    pub password_hash_rounds: u32,
    /// How many times a trust may be redelegated down a chain
    /// (`[trust] max_redelegation_count`).
    pub max_redelegation_count: i64,
    /// Password and lockout rules (`[security_compliance]`).
    pub security_compliance: SecurityCompliance,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            token_expiration: 3600,
            allow_expired_window: 2 * 24 * 3600,
            max_active_keys: 3,
            allow_rescope_scoped_token: true,
            list_limit: None,
            password_hash_rounds: 12,
            max_redelegation_count: 3,
            security_compliance: SecurityCompliance::default(),
        }
    }
}

/// Keystone's `[security_compliance]` options; all off by default, as in Keystone.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityCompliance {
    /// Failed password checks in a row that lock an account.
    pub lockout_failure_attempts: Option<i64>,
    /// Seconds an account stays locked; forever when unset.
    pub lockout_duration: Option<i64>,
    /// Days a password stays valid.
    pub password_expires_days: Option<i64>,
    /// How many passwords, the new one included, must all differ.
    pub unique_last_password_count: i64,
    /// Days a password must be kept before its owner may change it again.
    pub minimum_password_age: i64,
    /// A regular expression every new password must match.
    pub password_regex: Option<String>,
    /// Words for people explaining `password_regex`.
    pub password_regex_description: Option<String>,
    /// Whether a password set by an administrator must be changed at first use.
    pub change_password_upon_first_use: bool,
}
