//! The cloud's own service users (nova's, which calls placement) and their passwords,
//! kept in `DATA_DIR/service-passwords/<name>` (mode 0600) so that a restart neither
//! rehashes nor changes them.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;
use identity::domain::bootstrap::{ServiceUser, generate_password};

/// The services that act as a user of their own.
pub const SERVICE_USERS: [&str; 1] = ["nova"];

/// The service user `name`: its stored password, or a new one stored now (and then set
/// in identity even when the user exists).
pub fn load(data_dir: &Path, name: &str) -> anyhow::Result<ServiceUser> {
    let dir = data_dir.join("service-passwords");
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => {
            return Ok(ServiceUser { name: name.to_owned(), password: text.trim().to_owned(), reset: false });
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let password = generate_password();
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(password.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(ServiceUser { name: name.to_owned(), password, reset: true })
}

/// Every service user.
pub fn load_all(data_dir: &Path) -> anyhow::Result<Vec<ServiceUser>> {
    SERVICE_USERS.iter().map(|n| load(data_dir, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_generated_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = load(dir.path(), "nova").unwrap();
        assert!(first.reset && first.password.len() >= 24);
        let again = load(dir.path(), "nova").unwrap();
        assert_eq!((again.password.as_str(), again.reset), (first.password.as_str(), false));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("service-passwords/nova")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
