//! Key pairs: imported or generated SSH keys and x509 certificates, one namespace of
//! names per user, with their fingerprints.

use common::RequestContext;
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::extension::{ExtendedKeyUsage, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};
use serde_json::json;

use super::{Compute, Error, Result, notifications};
use crate::store::{KeypairRow, StoreError};

/// The kinds of key pair Nova knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// An OpenSSH public key.
    Ssh,
    /// A PEM x509 certificate (for WinRM).
    X509,
}

impl KeyType {
    /// The name in bodies and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Ssh => "ssh",
            KeyType::X509 => "x509",
        }
    }

    /// Parses a stored or requested type.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ssh" => Some(KeyType::Ssh),
            "x509" => Some(KeyType::X509),
            _ => None,
        }
    }
}

/// A key pair to create: imported when `public_key` is given, generated otherwise.
#[derive(Debug, Clone)]
pub struct NewKeypair {
    pub name: String,
    pub key_type: KeyType,
    pub public_key: Option<String>,
    /// The user it belongs to (admins may name another, 2.10+); the caller otherwise.
    pub user_id: Option<String>,
}

/// A created key pair, with the private key when it was generated (shown once, never
/// stored).
#[derive(Debug, Clone)]
pub struct CreatedKeypair {
    pub keypair: KeypairRow,
    pub private_key: Option<String>,
}

/// `aa:bb:...`: lowercase hex pairs joined by colons, as Nova prints fingerprints.
fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// The fingerprint of an OpenSSH public key: MD5 of its key blob.
pub fn ssh_fingerprint(public_key: &str) -> Result<String> {
    let invalid = || Error::BadRequest("Keypair data is invalid: failed to generate fingerprint".into());
    ssh_key::PublicKey::from_openssh(public_key.trim()).map_err(|_| invalid())?;
    let blob = public_key.split(' ').nth(1).ok_or_else(invalid)?;
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(blob.trim()).map_err(|_| invalid())?;
    use md5::Digest;
    Ok(colon_hex(&md5::Md5::digest(&bytes)))
}

/// The fingerprint of a PEM certificate: SHA-1 of its DER.
pub fn x509_fingerprint(pem: &str) -> Result<String> {
    let invalid =
        |e: String| Error::BadRequest(format!("Keypair data is invalid: failed to generate X509 fingerprint. Error message: {e}"));
    let cert = X509::from_pem(pem.as_bytes()).map_err(|e| invalid(e.to_string()))?;
    let digest = cert.digest(MessageDigest::sha1()).map_err(|e| invalid(e.to_string()))?;
    Ok(colon_hex(&digest))
}

/// A new RSA-2048 SSH key pair: (public key `ssh-rsa ... Generated-by-Nova`, PEM private key).
fn generate_ssh() -> Result<(String, String)> {
    let internal = |e: &dyn std::fmt::Display| Error::Internal(format!("generating an SSH key: {e}"));
    let rsa = Rsa::generate(2048).map_err(|e| internal(&e))?;
    let public = ssh_key::public::RsaPublicKey {
        e: ssh_key::Mpint::from_positive_bytes(&rsa.e().to_vec()).map_err(|e| internal(&e))?,
        n: ssh_key::Mpint::from_positive_bytes(&rsa.n().to_vec()).map_err(|e| internal(&e))?,
    };
    let public = ssh_key::PublicKey::new(ssh_key::public::KeyData::Rsa(public), "Generated-by-Nova");
    let public = public.to_openssh().map_err(|e| internal(&e))?;
    let private = String::from_utf8(rsa.private_key_to_pem().map_err(|e| internal(&e))?).map_err(|e| internal(&e))?;
    Ok((public, private))
}

/// A new self-signed client certificate for `user_id`, valid ten years: (PEM
/// certificate, base64 PKCS#12 bundle of key and certificate with an empty password).
fn generate_x509(user_id: &str) -> Result<(String, String)> {
    let internal = |e: openssl::error::ErrorStack| Error::Internal(format!("generating an x509 certificate: {e}"));
    let key = PKey::from_rsa(Rsa::generate(2048).map_err(internal)?).map_err(internal)?;
    let mut name = X509NameBuilder::new().map_err(internal)?;
    name.append_entry_by_text("CN", user_id).map_err(internal)?;
    let name = name.build();
    let mut cert = X509::builder().map_err(internal)?;
    cert.set_version(2).map_err(internal)?;
    let serial = openssl::bn::BigNum::from_u32(rand_serial()).map_err(internal)?.to_asn1_integer().map_err(internal)?;
    cert.set_serial_number(&serial).map_err(internal)?;
    cert.set_subject_name(&name).map_err(internal)?;
    cert.set_issuer_name(&name).map_err(internal)?;
    cert.set_pubkey(&key).map_err(internal)?;
    let not_before = Asn1Time::days_from_now(0).map_err(internal)?;
    let not_after = Asn1Time::days_from_now(3650).map_err(internal)?;
    cert.set_not_before(&not_before).map_err(internal)?;
    cert.set_not_after(&not_after).map_err(internal)?;
    cert.append_extension(ExtendedKeyUsage::new().client_auth().build().map_err(internal)?).map_err(internal)?;
    let san = SubjectAlternativeName::new()
        .other_name2(
            openssl::asn1::Asn1Object::from_str("1.3.6.1.4.1.311.20.2.3").map_err(internal)?,
            &utf8_der(&format!("{user_id}@localhost")),
        )
        .build(&cert.x509v3_context(None, None))
        .map_err(internal)?;
    cert.append_extension(san).map_err(internal)?;
    cert.sign(&key, MessageDigest::sha256()).map_err(internal)?;
    let cert = cert.build();
    let pkcs12 = openssl::pkcs12::Pkcs12::builder().name("").pkey(&key).cert(&cert).build2("").map_err(internal)?;
    use base64::Engine;
    let bundle = base64::engine::general_purpose::STANDARD.encode(pkcs12.to_der().map_err(internal)?);
    let pem = String::from_utf8_lossy(&cert.to_pem().map_err(internal)?).into_owned();
    Ok((pem, bundle))
}

/// A UTF8String in DER, the value of a UPN otherName.
fn utf8_der(s: &str) -> Vec<u8> {
    let mut der = vec![0x0c];
    let len = s.len();
    if len < 0x80 {
        der.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let significant: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        der.push(0x80 | significant.len() as u8);
        der.extend(significant);
    }
    der.extend(s.as_bytes());
    der
}

fn rand_serial() -> u32 {
    let mut buf = [0u8; 4];
    let _ = openssl::rand::rand_bytes(&mut buf);
    u32::from_be_bytes(buf) >> 1
}

fn not_found(name: &str, user_id: &str) -> Error {
    Error::NotFound(format!("Keypair {name} not found for user {user_id}"))
}

impl Compute {
    /// The user a key pair request acts on, after checking `rule` against it.
    fn keypair_owner(&self, ctx: &RequestContext, rule: &str, user_id: Option<&str>) -> Result<String> {
        let user = user_id.unwrap_or(&ctx.user_id).to_owned();
        self.authorize(ctx, rule, &json!({"user_id": user, "project_id": ctx.project_id()}))?;
        Ok(user)
    }

    /// Imports or generates a key pair.
    pub async fn create_keypair(&self, ctx: &RequestContext, new: NewKeypair) -> Result<CreatedKeypair> {
        let user_id = self.keypair_owner(ctx, "os_compute_api:os-keypairs:create", new.user_id.as_deref())?;
        self.check_keypair_quota(ctx, &user_id).await?;
        let action = if new.public_key.is_some() { "import" } else { "create" };
        let before = notifications::keypair(&user_id, &new.name, new.key_type.as_str(), None, new.public_key.as_deref());
        self.notify(ctx, &format!("keypair.{action}.start"), before).await;
        let (public_key, private_key) = match (&new.public_key, new.key_type) {
            (Some(k), _) => (k.clone(), None),
            (None, KeyType::Ssh) => {
                let (public, private) = tokio::task::spawn_blocking(generate_ssh).await.map_err(|e| Error::Internal(e.to_string()))??;
                (public, Some(private))
            }
            (None, KeyType::X509) => {
                let owner = user_id.clone();
                let (cert, bundle) =
                    tokio::task::spawn_blocking(move || generate_x509(&owner)).await.map_err(|e| Error::Internal(e.to_string()))??;
                (cert, Some(bundle))
            }
        };
        let fingerprint = match new.key_type {
            KeyType::Ssh => ssh_fingerprint(&public_key)?,
            KeyType::X509 => x509_fingerprint(&public_key)?,
        };
        let row = KeypairRow {
            id: 0,
            user_id,
            name: new.name,
            key_type: new.key_type.as_str().to_owned(),
            fingerprint,
            public_key,
            created_at: common::time::now_micros(),
        };
        let keypair = self.store().create_keypair(&row).await.map_err(|e| match e {
            StoreError::Duplicate => Error::Conflict(format!("Key pair '{}' already exists.", row.name)),
            other => other.into(),
        })?;
        let after = notifications::keypair(&keypair.user_id, &keypair.name, &keypair.key_type, Some(&keypair), None);
        self.notify(ctx, &format!("keypair.{action}.end"), after).await;
        Ok(CreatedKeypair { keypair, private_key })
    }

    /// A user's key pairs by name, after `marker`, at most `limit`.
    pub async fn list_keypairs(
        &self,
        ctx: &RequestContext,
        user_id: Option<&str>,
        marker: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<KeypairRow>> {
        let user_id = self.keypair_owner(ctx, "os_compute_api:os-keypairs:index", user_id)?;
        if let Some(m) = marker
            && self.store().get_keypair(&user_id, m).await?.is_none()
        {
            return Err(Error::BadRequest(format!("Marker {m} could not be found.")));
        }
        Ok(self.store().list_keypairs(&user_id, marker, limit).await?)
    }

    /// One key pair.
    pub async fn get_keypair(&self, ctx: &RequestContext, name: &str, user_id: Option<&str>) -> Result<KeypairRow> {
        let user_id = self.keypair_owner(ctx, "os_compute_api:os-keypairs:show", user_id)?;
        self.store().get_keypair(&user_id, name).await?.ok_or_else(|| not_found(name, &user_id))
    }

    /// Deletes a key pair.
    pub async fn delete_keypair(&self, ctx: &RequestContext, name: &str, user_id: Option<&str>) -> Result<()> {
        let user_id = self.keypair_owner(ctx, "os_compute_api:os-keypairs:delete", user_id)?;
        let keypair = self.store().get_keypair(&user_id, name).await?.ok_or_else(|| not_found(name, &user_id))?;
        let payload = notifications::keypair(&user_id, name, &keypair.key_type, Some(&keypair), None);
        self.notify(ctx, "keypair.delete.start", payload.clone()).await;
        if !self.store().delete_keypair(&user_id, name).await? {
            return Err(not_found(name, &user_id));
        }
        self.notify(ctx, "keypair.delete.end", payload).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_fingerprints_are_md5_of_the_key_blob() {
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFaN82ydGaWo46z3qHyl/SGOX1MMMCEo+SVO/j79BrE0 user@host";
        assert_eq!(ssh_fingerprint(key).unwrap(), "8f:d2:51:4d:b8:f5:6f:30:5e:e6:0d:a1:9d:e3:cc:cf");
        let ecdsa = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBDBbMr/rfpIc6WxySGNuaeXa3OJebI/8BQA6zbZE7biw9jEQpVcfXv6+RTCvcCeztK9XZaamb/dN32KhrDg0R6PBpIsOHTBf9Jl782CTHj8wm7XCkt7iSK2DQs1ild2aAg==";
        assert_eq!(ssh_fingerprint(ecdsa).unwrap().len(), 47, "tempest imports ECDSA keys");
        assert!(ssh_fingerprint("ssh-rsa not-base64").is_err());
        assert!(ssh_fingerprint("garbage").is_err());
    }

    #[test]
    fn generated_keys_parse_back_and_certificates_fingerprint() {
        let (public, private) = generate_ssh().unwrap();
        assert!(public.starts_with("ssh-rsa ") && public.ends_with(" Generated-by-Nova"));
        assert!(private.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert_eq!(ssh_fingerprint(&public).unwrap().len(), 47);
        let (cert, bundle) = generate_x509("user1").unwrap();
        assert_eq!(x509_fingerprint(&cert).unwrap().len(), 59);
        assert!(!bundle.is_empty());
        assert!(x509_fingerprint("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").is_err());
    }
}
