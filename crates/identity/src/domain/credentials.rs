//! Credentials (`/v3/credentials`, and EC2 key pairs through OS-EC2) and policy blobs
//! (`/v3/policies`). Credential blobs are encrypted at rest with their own Fernet keys,
//! as Keystone keeps them, so a copy of the database alone does not reveal them.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::error::{duplicate, not_found};
use super::{Error, Identity, Result, fernet_keys};
use crate::store::{CredentialRow, PolicyRow, StoreError};

/// A credential with its blob in clear.
#[derive(Debug, Clone)]
pub struct Credential {
    pub id: String,
    pub user_id: String,
    pub project_id: Option<String>,
    pub credential_type: String,
    pub blob: String,
    pub extra: Map<String, Value>,
}

/// The id Keystone gives an EC2 credential: the SHA-256 of its access key, in hex.
pub fn ec2_credential_id(access: &str) -> String {
    Sha256::digest(access.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The access key of an EC2 blob, which must be a JSON object naming one.
fn ec2_access(blob: &str) -> Result<String> {
    serde_json::from_str::<Value>(blob).ok().and_then(|v| v.get("access").and_then(Value::as_str).map(str::to_owned)).ok_or_else(|| {
        Error::Validation("Invalid blob in credential: an ec2 credential's blob must be a JSON object with an 'access' key.".into())
    })
}

/// Credential keys kept at once: staged, primary and the one before it. A rotation
/// drops the oldest, which is why it waits until nothing is sealed with it.
const MAX_CREDENTIAL_KEYS: usize = 3;

impl Identity {
    /// The row to store for a credential: its blob sealed with the primary credential
    /// key, and which key that was.
    fn sealed(&self, c: &Credential) -> CredentialRow {
        let keys = std::sync::Arc::clone(&self.credential_keys.read());
        CredentialRow {
            id: c.id.clone(),
            user_id: c.user_id.clone(),
            project_id: c.project_id.clone(),
            credential_type: c.credential_type.clone(),
            encrypted_blob: keys.fernet.encrypt(c.blob.as_bytes()),
            key_hash: Some(keys.primary_digest()),
            extra: c.extra.clone(),
        }
    }

    fn open_blob(&self, row: CredentialRow) -> Result<Credential> {
        let keys = std::sync::Arc::clone(&self.credential_keys.read());
        let bytes = keys
            .fernet
            .decrypt(&row.encrypted_blob)
            .map_err(|_| Error::Internal(format!("credential {} does not decrypt with any credential key", row.id)))?;
        let blob = String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(Credential {
            id: row.id,
            user_id: row.user_id,
            project_id: row.project_id,
            credential_type: row.credential_type,
            blob,
            extra: row.extra,
        })
    }

    fn check_credential(&self, c: &Credential) -> Result<()> {
        if c.credential_type == "ec2" {
            if c.project_id.is_none() {
                return Err(Error::Validation("Invalid input for field 'project_id': an ec2 credential needs a project.".into()));
            }
            ec2_access(&c.blob)?;
        }
        Ok(())
    }

    /// Creates a credential. An EC2 credential's id is derived from its access key.
    pub async fn create_credential(&self, mut c: Credential) -> Result<Credential> {
        self.get_user(&c.user_id).await?;
        if c.credential_type == "ec2" {
            c.id = ec2_credential_id(&ec2_access(&c.blob)?);
        }
        self.check_credential(&c)?;
        let row = self.sealed(&c);
        match self.store.create_credential(&row).await {
            Err(StoreError::Duplicate) => Err(duplicate("credential", format_args!("ID {}", c.id))),
            other => other.map_err(Error::from),
        }?;
        Ok(c)
    }

    /// A credential by id, or 404.
    pub async fn get_credential(&self, id: &str) -> Result<Credential> {
        let row = self.store.get_credential(id).await?.ok_or_else(|| not_found("credential", id))?;
        self.open_blob(row)
    }

    /// Credentials, optionally of one user and one type.
    pub async fn list_credentials(&self, user_id: Option<&str>, credential_type: Option<&str>) -> Result<Vec<Credential>> {
        self.store
            .list_credentials(user_id)
            .await?
            .into_iter()
            .filter(|c| credential_type.is_none_or(|t| c.credential_type == t))
            .map(|row| self.open_blob(row))
            .collect()
    }

    /// Rewrites a credential.
    pub async fn update_credential(&self, c: Credential) -> Result<Credential> {
        self.check_credential(&c)?;
        let row = self.sealed(&c);
        self.store.update_credential(&row).await?;
        Ok(c)
    }

    /// Deletes a credential.
    pub async fn delete_credential(&self, id: &str) -> Result<()> {
        if !self.store.delete_credential(id).await? {
            return Err(not_found("credential", id));
        }
        Ok(())
    }

    /// How many credentials are sealed with a key other than the primary credential key.
    pub async fn credentials_not_on_primary_key(&self) -> Result<usize> {
        let primary = self.credential_keys.read().primary_digest();
        Ok(self.store.list_credentials(None).await?.iter().filter(|c| c.key_hash.as_deref() != Some(primary.as_str())).count())
    }

    /// Reseals every credential not sealed with the primary credential key
    /// (`manage credential-migrate`); returns how many it rewrote.
    pub async fn migrate_credentials(&self) -> Result<usize> {
        let primary = self.credential_keys.read().primary_digest();
        let mut rewritten = 0;
        for row in self.store.list_credentials(None).await? {
            if row.key_hash.as_deref() == Some(primary.as_str()) {
                continue;
            }
            let credential = self.open_blob(row)?;
            self.store.update_credential(&self.sealed(&credential)).await?;
            rewritten += 1;
        }
        Ok(rewritten)
    }

    /// Rotates the credential keys (`manage credential-rotate`): the staged key becomes
    /// primary and the oldest key is dropped. Refused while any credential is sealed
    /// with a key other than the primary, since the dropped key might be the one it needs.
    pub async fn rotate_credential_keys(&self) -> Result<()> {
        let behind = self.credentials_not_on_primary_key().await?;
        if behind > 0 {
            return Err(Error::Conflict(format!(
                "Unable to rotate credential keys: {behind} credential(s) are not encrypted with the primary key. \
                 Run `ferrostack manage credential-migrate` first."
            )));
        }
        fernet_keys::rotate(&self.credential_key_dir, MAX_CREDENTIAL_KEYS).map_err(|e| Error::Internal(e.to_string()))?;
        self.reload_keys()
    }

    /// Makes an EC2 key pair for a user on a project (OS-EC2).
    pub async fn create_ec2_credential(&self, user_id: &str, project_id: &str) -> Result<Credential> {
        self.get_project(project_id).await?;
        let access = common::ids::hex_id();
        let secret = common::ids::hex_id();
        let blob = serde_json::json!({"access": access, "secret": secret, "trust_id": null}).to_string();
        self.create_credential(Credential {
            id: String::new(),
            user_id: user_id.to_owned(),
            project_id: Some(project_id.to_owned()),
            credential_type: "ec2".into(),
            blob,
            extra: Map::new(),
        })
        .await
    }

    /// Creates a policy blob.
    pub async fn create_policy(&self, p: PolicyRow) -> Result<PolicyRow> {
        self.store.create_policy(&p).await?;
        Ok(p)
    }

    /// A policy blob by id, or 404.
    pub async fn get_policy(&self, id: &str) -> Result<PolicyRow> {
        self.store.get_policy(id).await?.ok_or_else(|| not_found("policy", id))
    }

    /// Rewrites a policy blob.
    pub async fn update_policy(&self, p: PolicyRow) -> Result<PolicyRow> {
        self.store.update_policy(&p).await?;
        Ok(p)
    }

    /// Deletes a policy blob.
    pub async fn delete_policy(&self, id: &str) -> Result<()> {
        if !self.store.delete_policy(id).await? {
            return Err(not_found("policy", id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_ids_are_the_sha256_of_the_access_key() {
        assert_eq!(ec2_credential_id("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(ec2_access(r#"{"access": "a", "secret": "s"}"#).unwrap(), "a");
        assert!(ec2_access("not json").is_err());
        assert!(ec2_access(r#"{"secret": "s"}"#).is_err());
    }
}
