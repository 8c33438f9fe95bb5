//! The Fernet key repository: a directory of numbered key files, as Keystone keeps it.
//!
//! Key `0` is staged (ready to become primary at the next rotation, so every process
//! can decrypt with it before any process encrypts with it); the highest number is
//! primary (encrypts); the others are secondary (decrypt only).

use std::path::{Path, PathBuf};

use fernet::{Fernet, MultiFernet};

/// Why the key repository cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the directory failed.
    #[error("fernet key repository {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A key file does not hold a valid key.
    #[error("fernet key file {0} is not a valid key")]
    Invalid(PathBuf),
    /// No keys: `fernet-setup` has not run.
    #[error("fernet key repository {0} is empty; run `ferrostack manage fernet-setup`")]
    Empty(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.to_owned(), source }
}

/// The key files in `dir`, by number.
fn key_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, KeyError> {
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let path = entry.map_err(io_err(dir))?.path();
        if let Some(n) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse::<u64>().ok()) {
            keys.push((n, path));
        }
    }
    keys.sort();
    Ok(keys)
}

fn write_key(path: &Path) -> Result<(), KeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(io_err(&tmp))?;
    f.write_all(Fernet::generate_key().as_bytes()).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// Creates the repository with a staged and a primary key, unless it has keys already.
pub fn setup(dir: &Path) -> Result<bool, KeyError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    if !key_files(dir)?.is_empty() {
        return Ok(false);
    }
    write_key(&dir.join("0"))?;
    rotate(dir, 3)?;
    Ok(true)
}

/// Promotes the staged key to primary, stages a new key, and drops the oldest
/// secondaries beyond `max_active` keys in all.
pub fn rotate(dir: &Path, max_active: usize) -> Result<(), KeyError> {
    let keys = key_files(dir)?;
    let staged = keys.iter().find(|(n, _)| *n == 0).ok_or_else(|| KeyError::Empty(dir.to_owned()))?;
    let next = keys.last().map_or(1, |(n, _)| n + 1);
    std::fs::rename(&staged.1, dir.join(next.to_string())).map_err(io_err(dir))?;
    write_key(&dir.join("0"))?;
    let keys = key_files(dir)?;
    let excess = keys.len().saturating_sub(max_active.max(2));
    // The oldest secondaries are the lowest numbers above 0.
    for (_, path) in keys.iter().filter(|(n, _)| *n != 0).take(excess) {
        std::fs::remove_file(path).map_err(io_err(path))?;
    }
    Ok(())
}

/// A loaded key repository.
pub struct LoadedKeys {
    /// Every key: the primary encrypts, all of them decrypt.
    pub fernet: MultiFernet,
    /// The key texts, primary first.
    texts: Vec<String>,
}

impl LoadedKeys {
    /// A digest naming the primary key (SHA-256 of its text, in hex), recorded beside
    /// what it seals so a rotation can tell what still needs an older key.
    pub fn primary_digest(&self) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(self.texts[0].as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A digest of what `repositories` hold, to tell whether a reload changed anything.
pub fn digest<'a>(repositories: impl IntoIterator<Item = &'a LoadedKeys>) -> [u8; 32] {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for repo in repositories {
        for text in &repo.texts {
            hasher.update(text.as_bytes());
            hasher.update(b"\n");
        }
        hasher.update(b"\0");
    }
    hasher.finalize().into()
}

/// Loads every key: the primary encrypts, all of them decrypt.
pub fn load(dir: &Path) -> Result<LoadedKeys, KeyError> {
    let keys = key_files(dir)?;
    if keys.is_empty() {
        return Err(KeyError::Empty(dir.to_owned()));
    }
    // MultiFernet encrypts with the first key: primary (highest) first, staged (0) last.
    let mut fernets = Vec::with_capacity(keys.len());
    let mut texts = Vec::with_capacity(keys.len());
    for (_, path) in keys.iter().rev() {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        fernets.push(Fernet::new(text.trim()).ok_or_else(|| KeyError::Invalid(path.clone()))?);
        texts.push(text.trim().to_owned());
    }
    Ok(LoadedKeys { fernet: MultiFernet::new(fernets), texts })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(dir: &Path) -> Vec<u64> {
        key_files(dir).unwrap().into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn setup_then_rotation_keeps_old_tokens_readable_until_their_key_leaves() {
        let dir = tempfile::tempdir().unwrap();
        assert!(setup(dir.path()).unwrap());
        assert!(!setup(dir.path()).unwrap(), "a second setup keeps existing keys");
        assert_eq!(numbers(dir.path()), vec![0, 1]);
        let token = load(dir.path()).unwrap().fernet.encrypt(b"payload");

        rotate(dir.path(), 3).unwrap();
        assert_eq!(numbers(dir.path()), vec![0, 1, 2]);
        assert_eq!(load(dir.path()).unwrap().fernet.decrypt(&token).unwrap(), b"payload");

        rotate(dir.path(), 3).unwrap();
        assert_eq!(numbers(dir.path()), vec![0, 2, 3], "key 1 is dropped beyond three keys");
        assert!(load(dir.path()).unwrap().fernet.decrypt(&token).is_err(), "tokens of a dropped key are invalid");
    }

    #[test]
    fn keys_are_private_and_garbage_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        setup(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join("1")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0);
        std::fs::write(dir.path().join("1"), "not a key").unwrap();
        assert!(matches!(load(dir.path()), Err(KeyError::Invalid(_))));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(load(empty.path()), Err(KeyError::Empty(_))));
    }
}
