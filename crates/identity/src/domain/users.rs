//! Users, passwords and groups.

use common::time::now_micros;

use super::error::{duplicate, not_found};
use super::{Error, Identity, Result};
use crate::store::{GroupRow, RevocationRow, StoreError, UserRow};

impl Identity {
    async fn revoke_user(&self, user_id: &str) -> Result<()> {
        let now = now_micros();
        self.revoke(RevocationRow { user_id: Some(user_id.to_owned()), issued_before: now, revoked_at: now, ..Default::default() }).await
    }

    /// Creates a user with an optional first password.
    pub async fn create_user(&self, user: UserRow, password: Option<&str>) -> Result<UserRow> {
        self.get_domain(&user.domain_id).await?;
        let password = match password {
            Some(p) => Some(self.new_password(None, &user.options, p, false).await?),
            None => None,
        };
        match self.store.create_user(&user, password.as_ref()).await {
            Err(StoreError::Duplicate) => Err(duplicate("user", format_args!("name {} at domain ID {}", user.name, user.domain_id))),
            other => other.map_err(Error::from),
        }?;
        Ok(user)
    }

    /// A user by id, or 404.
    pub async fn get_user(&self, id: &str) -> Result<UserRow> {
        self.store.get_user(id).await?.ok_or_else(|| not_found("user", id))
    }

    /// When a user's current password expires, if it does.
    pub async fn password_expires_at(&self, user_id: &str) -> Result<Option<i64>> {
        Ok(self.store.password_history(user_id).await?.last().and_then(|p| p.expires_at))
    }

    /// Updates a user; a new password (set by an administrator) or disabling revokes
    /// the user's tokens.
    pub async fn update_user(&self, before: &UserRow, after: UserRow, password: Option<&str>) -> Result<UserRow> {
        let password = match password {
            Some(p) => Some(self.new_password(Some(&after.id), &after.options, p, false).await?),
            None => None,
        };
        match self.store.update_user(&after, password.as_ref()).await {
            Err(StoreError::Duplicate) => Err(duplicate("user", format_args!("name {} at domain ID {}", after.name, after.domain_id))),
            other => other.map_err(Error::from),
        }?;
        if password.is_some() || (before.enabled && !after.enabled) {
            self.revoke_user(&after.id).await?;
        }
        self.changed();
        Ok(after)
    }

    /// A user changes their own password, proving the current one.
    pub async fn change_own_password(&self, user_id: &str, original: &str, new: &str) -> Result<()> {
        let user = self.get_user(user_id).await?;
        let history = self.store.password_history(user_id).await?;
        let current = history.last().ok_or_else(|| Error::Unauthorized(format!("user {user_id} has no password")))?;
        if !self.verify_secret(original, &current.hash).await {
            return Err(Error::Unauthorized(format!("wrong original password for user {user_id}")));
        }
        let password = self.new_password(Some(user_id), &user.options, new, true).await?;
        self.store.update_user(&user, Some(&password)).await?;
        self.revoke_user(user_id).await?;
        self.changed();
        Ok(())
    }

    /// Deletes a user and revokes their tokens.
    pub async fn delete_user(&self, id: &str) -> Result<()> {
        self.get_user(id).await?;
        self.store.delete_user(id).await?;
        self.revoke_user(id).await?;
        self.changed();
        Ok(())
    }

    /// Creates a group.
    pub async fn create_group(&self, g: GroupRow) -> Result<GroupRow> {
        self.get_domain(&g.domain_id).await?;
        match self.store.create_group(&g).await {
            Err(StoreError::Duplicate) => Err(duplicate("group", format_args!("name {} at domain ID {}", g.name, g.domain_id))),
            other => other.map_err(Error::from),
        }?;
        Ok(g)
    }

    /// A group by id, or 404.
    pub async fn get_group(&self, id: &str) -> Result<GroupRow> {
        self.store.get_group(id).await?.ok_or_else(|| not_found("group", id))
    }

    /// Renames or re-describes a group.
    pub async fn update_group(&self, g: GroupRow) -> Result<GroupRow> {
        match self.store.update_group(&g).await {
            Err(StoreError::Duplicate) => Err(duplicate("group", format_args!("name {} at domain ID {}", g.name, g.domain_id))),
            other => other.map_err(Error::from),
        }?;
        Ok(g)
    }

    /// Deletes a group; its members lose what it granted.
    pub async fn delete_group(&self, id: &str) -> Result<()> {
        self.get_group(id).await?;
        let members = self.store.list_users_in_group(id).await?;
        self.store.delete_group(id).await?;
        for m in members {
            self.revoke_user(&m.id).await?;
        }
        self.changed();
        Ok(())
    }

    /// Adds a user to a group.
    pub async fn add_user_to_group(&self, group_id: &str, user_id: &str) -> Result<()> {
        self.get_group(group_id).await?;
        self.get_user(user_id).await?;
        self.store.add_group_member(group_id, user_id).await?;
        self.changed();
        Ok(())
    }

    /// Whether a user is in a group (404 when not, as Keystone's HEAD answers).
    pub async fn check_user_in_group(&self, group_id: &str, user_id: &str) -> Result<()> {
        self.get_group(group_id).await?;
        self.get_user(user_id).await?;
        if !self.store.is_group_member(group_id, user_id).await? {
            return Err(Error::NotFound { kind: "membership", id: format!("user {user_id} in group {group_id}") });
        }
        Ok(())
    }

    /// Removes a user from a group and revokes their tokens, which may carry roles the
    /// group gave.
    pub async fn remove_user_from_group(&self, group_id: &str, user_id: &str) -> Result<()> {
        self.get_group(group_id).await?;
        self.get_user(user_id).await?;
        if !self.store.remove_group_member(group_id, user_id).await? {
            return Err(Error::NotFound { kind: "membership", id: format!("user {user_id} in group {group_id}") });
        }
        self.revoke_user(user_id).await?;
        self.changed();
        Ok(())
    }
}
