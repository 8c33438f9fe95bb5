//! The `ferrostack` binary itself: `manage` tasks, and `up` starting fast, writing
//! client configuration and stopping cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ferrostack(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ferrostack"))
        .args(args)
        .env("FERROSTACK_DATA_DIR", data_dir)
        .env("FERROSTACK_LOG", "warn")
        .output()
        .expect("ferrostack runs")
}

fn key_numbers(dir: &Path) -> Vec<u64> {
    let mut n: Vec<u64> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    n.sort();
    n
}

#[test]
fn manage_tasks_set_up_keys_schema_and_bootstrap() {
    let dir = tempfile::tempdir().unwrap();
    let setup = ferrostack(dir.path(), &["manage", "fernet-setup"]);
    assert!(setup.status.success(), "{setup:?}");
    assert_eq!(key_numbers(&dir.path().join("fernet-keys")), [0, 1]);
    let rotate = ferrostack(dir.path(), &["manage", "fernet-rotate"]);
    assert!(rotate.status.success(), "{rotate:?}");
    assert_eq!(key_numbers(&dir.path().join("fernet-keys")), [0, 1, 2]);
    assert!(ferrostack(dir.path(), &["manage", "db-sync"]).status.success());
    assert!(ferrostack(dir.path(), &["manage", "credential-setup"]).status.success());
    assert_eq!(key_numbers(&dir.path().join("credential-keys")), [0, 1]);
    let rotate = ferrostack(dir.path(), &["manage", "credential-rotate"]);
    assert!(rotate.status.success(), "{rotate:?}");
    assert_eq!(key_numbers(&dir.path().join("credential-keys")), [0, 1, 2]);
    let migrate = ferrostack(dir.path(), &["manage", "credential-migrate"]);
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("0 credential(s) re-encrypted"), "{migrate:?}");
    let boot =
        ferrostack(dir.path(), &["manage", "bootstrap", "--admin-password", "pw-from-cli", "--public-url", "http://cloud.example:5000"]);
    assert!(boot.status.success(), "{boot:?}");
    let out = String::from_utf8_lossy(&boot.stdout);
    assert!(out.contains("first time") && out.contains("password of demo"), "{out}");
    assert!(!out.contains("pw-from-cli"), "a password given on the command line is not echoed");
    let clouds = std::fs::read_to_string(dir.path().join("clouds.yaml")).unwrap();
    assert!(clouds.contains("auth_url: http://cloud.example:5000/identity") && clouds.contains("'pw-from-cli'"));
    let again = ferrostack(dir.path(), &["manage", "bootstrap"]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("bootstrap done")
            && !String::from_utf8_lossy(&again.stdout).contains("password of"),
        "a second bootstrap changes no password"
    );
    let bad = ferrostack(dir.path(), &["manage", "--config", "/nonexistent.toml", "db-sync"]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("nonexistent.toml"));
}

#[test]
fn up_serves_identity_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrostack"))
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("FERROSTACK_LOG", "warn")
        .env_remove("FERROSTACK_ADMIN_PASSWORD")
        .stdout(Stdio::piped())
        .spawn()
        .expect("ferrostack up starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").unwrap();
    let url = first.strip_prefix("Ferrostack is up at ").and_then(|rest| rest.split(' ').next()).expect("the address").to_owned();
    let rest: Vec<String> = lines.by_ref().take(4).map(Result::unwrap).collect();
    assert!(rest.iter().any(|l| l.contains("password of admin")), "a generated admin password is shown once: {rest:?}");
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    use std::io::{Read, Write};
    write!(stream, "GET /identity/v3 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(dir.path().join("clouds.yaml").exists() && dir.path().join("openrc").exists());

    let term = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "ferrostack did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "a clean stop exits 0: {status:?}");
}

#[test]
fn manage_cell_creates_lists_and_deletes_cells() {
    let dir = tempfile::tempdir().unwrap();
    let text = |o: std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    let list = text(ferrostack(dir.path(), &["manage", "cell", "list"]));
    assert!(list.contains("00000000-0000-0000-0000-000000000000  cell0") && list.contains(" cell1 "), "{list}");
    assert!(ferrostack(dir.path(), &["manage", "cell", "create", "--name", "cell2"]).status.success());
    assert!(dir.path().join("compute_cell2.db").exists(), "the new cell's database is created");
    let again = ferrostack(dir.path(), &["manage", "cell", "create", "--name", "cell2"]);
    assert!(!again.status.success() && text(again).contains("a cell named cell2 exists already"));
    let unreachable =
        ferrostack(dir.path(), &["manage", "cell", "create", "--name", "far", "--database", "mysql://nova:hunter2@127.0.0.1:1/nova"]);
    let said = text(unreachable);
    assert!(said.contains("the cell's database cannot be used") && !said.contains("hunter2"), "{said}");
    let list = text(ferrostack(dir.path(), &["manage", "cell", "list"]));
    let uuid = list.lines().find(|l| l.contains(" cell2 ")).and_then(|l| l.split_whitespace().next()).expect("cell2 listed").to_owned();
    assert!(ferrostack(dir.path(), &["manage", "cell", "delete", "--uuid", &uuid]).status.success());
    let cell0 = ferrostack(dir.path(), &["manage", "cell", "delete", "--uuid", "00000000-0000-0000-0000-000000000000"]);
    assert!(!cell0.status.success() && text(cell0).contains("cell0 cannot be deleted"));
    assert!(text(ferrostack(dir.path(), &["manage", "cell", "discover-hosts"])).contains("0 new host(s) mapped"));
}
