//! `clouds.yaml` and `openrc` for the `openstack` CLI and openstacksdk.
//!
//! Passwords set by this start are written; otherwise those already in the file are
//! kept, so a restart on another port leaves working credentials behind.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::Deserialize;

/// The two clouds written: `(cloud name, user and project)`.
const CLOUDS: [(&str, &str); 2] = [("ferrostack", "demo"), ("ferrostack-admin", "admin")];

#[derive(Deserialize)]
struct CloudsFile {
    clouds: BTreeMap<String, CloudEntry>,
}

#[derive(Deserialize)]
struct CloudEntry {
    auth: AuthEntry,
}

#[derive(Deserialize)]
struct AuthEntry {
    username: String,
    password: String,
}

fn known_passwords(path: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else { return BTreeMap::new() };
    let Ok(file) = serde_saphyr::from_str::<CloudsFile>(&text) else { return BTreeMap::new() };
    file.clouds.into_values().map(|c| (c.auth.username, c.auth.password)).collect()
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(tmp, path)
}

/// Quotes a string for YAML (single quotes, doubled inside).
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Quotes a string for a POSIX shell.
fn shell_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Writes `DIR/clouds.yaml` and `DIR/openrc` (admin) for a cloud at `base_url`.
pub fn write(dir: &Path, base_url: &str, new_passwords: &[(String, String)]) -> anyhow::Result<()> {
    let clouds_path = dir.join("clouds.yaml");
    let mut passwords = known_passwords(&clouds_path);
    passwords.extend(new_passwords.iter().cloned());
    let auth_url = format!("{base_url}/identity");
    let mut yaml = String::from("# Written by `ferrostack up`: credentials for the openstack CLI and openstacksdk.\nclouds:\n");
    for (cloud, user) in CLOUDS {
        let Some(password) = passwords.get(user) else { continue };
        yaml.push_str(&format!(
            "  {cloud}:\n    auth:\n      auth_url: {auth_url}\n      username: {user}\n      password: {}\n      project_name: {user}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: public\n    identity_api_version: 3\n",
            quoted(password)
        ));
    }
    write_private(&clouds_path, &yaml)?;
    if let Some(admin) = passwords.get("admin") {
        let rc = format!(
            "# Source this file to use the cloud as admin: . openrc\nexport OS_AUTH_URL={auth_url}\nexport OS_USERNAME=admin\nexport OS_PASSWORD={}\nexport OS_PROJECT_NAME=admin\nexport OS_USER_DOMAIN_NAME=Default\nexport OS_PROJECT_DOMAIN_NAME=Default\nexport OS_REGION_NAME=RegionOne\nexport OS_IDENTITY_API_VERSION=3\nexport OS_INTERFACE=public\n",
            shell_quoted(admin)
        );
        write_private(&dir.join("openrc"), &rc)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_keep_passwords_and_follow_the_url() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "http://127.0.0.1:1", &[("admin".into(), "a'b".into()), ("demo".into(), "d".into())]).unwrap();
        write(dir.path(), "http://127.0.0.1:2", &[]).unwrap();
        let text = std::fs::read_to_string(dir.path().join("clouds.yaml")).unwrap();
        assert!(text.contains("http://127.0.0.1:2/identity") && !text.contains(":1/"));
        let known = known_passwords(&dir.path().join("clouds.yaml"));
        assert_eq!(known["admin"], "a'b");
        assert_eq!(known["demo"], "d");
        let rc = std::fs::read_to_string(dir.path().join("openrc")).unwrap();
        assert!(rc.contains("OS_PASSWORD='a'\\''b'"), "{rc}");
    }
}
