//! Password hashing and Keystone's `[security_compliance]` password rules.

use common::time::{Micros, now_micros};

use super::{Error, Identity, Result};
use crate::store::PasswordRow;

/// Keystone's `[identity] max_password_length`.
pub const MAX_PASSWORD_LENGTH: usize = 4096;

const DAY: i64 = 24 * 3600 * 1_000_000;

impl Identity {
    /// Hashes a secret with bcrypt off the async threads.
    pub(crate) async fn hash_secret(&self, secret: &str) -> Result<String> {
        let secret = secret.to_owned();
        let rounds = self.config.password_hash_rounds;
        tokio::task::spawn_blocking(move || bcrypt::hash(secret, rounds))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
            .map_err(|e| Error::Internal(e.to_string()))
    }

    /// Checks a secret against a bcrypt hash off the async threads.
    pub(crate) async fn verify_secret(&self, secret: &str, hash: &str) -> bool {
        let (secret, hash) = (secret.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || bcrypt::verify(secret, &hash).unwrap_or(false)).await.unwrap_or(false)
    }

    /// Checks a new password against the regex and history rules, and returns the row
    /// to store. `self_service` is a change by the user themself; otherwise an
    /// administrator sets it, which with `change_password_upon_first_use` makes it
    /// expire at once.
    pub(crate) async fn new_password(
        &self,
        user_id: Option<&str>,
        options: &serde_json::Map<String, serde_json::Value>,
        password: &str,
        self_service: bool,
    ) -> Result<PasswordRow> {
        let sc = &self.config.security_compliance;
        if password.len() > MAX_PASSWORD_LENGTH {
            return Err(Error::Validation(format!(
                "Invalid input for field 'password': the password is longer than {MAX_PASSWORD_LENGTH} characters."
            )));
        }
        if let Some(pattern) = &sc.password_regex {
            let re = regex::Regex::new(pattern).map_err(|e| Error::Internal(format!("password_regex: {e}")))?;
            if !re.is_match(password) {
                let why = sc.password_regex_description.as_deref().unwrap_or("it does not match the password rules");
                return Err(Error::Validation(format!("Password validation error: The password does not meet the requirements: {why}.")));
            }
        }
        if let Some(user_id) = user_id {
            let history = self.store.password_history(user_id).await?;
            // Keystone compares the new password with the last `unique` passwords kept,
            // the current one included; 0 and 1 turn the rule off, and an
            // administrator's reset is exempt.
            let unique = sc.unique_last_password_count;
            if self_service && unique > 1 {
                let recent = history.iter().rev().take(usize::try_from(unique).unwrap_or(0));
                for old in recent {
                    if self.verify_secret(password, &old.hash).await {
                        return Err(Error::Validation(format!(
                            "Password validation error: The new password cannot be identical to a previous password. The total number which includes the new password that must be unique is {unique}."
                        )));
                    }
                }
            }
            if self_service
                && sc.minimum_password_age > 0
                && let Some(current) = history.last()
            {
                let ready_at = current.created_at + sc.minimum_password_age * DAY;
                if now_micros() < ready_at {
                    return Err(Error::ForbiddenAction(format!(
                        "You cannot change your password at this time due to the minimum password age. Once you change your password, it must be used for {} day(s) before it can be changed. Please try again in {} day(s) or contact your administrator to reset your password.",
                        sc.minimum_password_age,
                        ((ready_at - now_micros()) as f64 / DAY as f64).ceil() as i64
                    )));
                }
            }
        }
        let now = now_micros();
        let option = |name: &str| options.get(name).and_then(serde_json::Value::as_bool).unwrap_or(false);
        let expires_at: Option<Micros> =
            if !self_service && sc.change_password_upon_first_use && !option("ignore_change_password_upon_first_use") {
                Some(now)
            } else {
                sc.password_expires_days.filter(|_| !option("ignore_password_expiry")).map(|days| now + days * DAY)
            };
        Ok(PasswordRow { hash: self.hash_secret(password).await?, created_at: now, expires_at, self_service })
    }
}
