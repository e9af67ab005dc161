//! A live `docseal serve` for the tests that drive it from outside (a
//! browser, an API fuzzer): a data directory with a user, the server on a
//! free port of 127.0.0.1, stopped when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{docseal, docseal_cmd, text};

/// A running server and its data directory.
pub struct LiveServer {
    /// `http://127.0.0.1:PORT`, as the server printed it.
    pub url: String,
    /// The data directory.
    pub data: PathBuf,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// How many lines of the server's log a failure shows.
const LOG_LINES: usize = 60;

impl LiveServer {
    /// A data directory with one user `name` of `role`; returns the
    /// directory's owner and the user's token. The server is not started.
    pub fn prepare(name: &str, role: &str) -> (tempfile::TempDir, PathBuf, String) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let data = dir.path().join("data");
        let out = docseal(
            &data,
            &["users", "add", name, "--role", role, "--as", "tests"],
        );
        assert!(out.status.success(), "users add failed:\n{}", text(&out));
        let token = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string();
        assert!(
            token.starts_with("dst_"),
            "no token on the last line:\n{}",
            text(&out)
        );
        (dir, data, token)
    }

    /// Starts `docseal serve --listen 127.0.0.1:0 --workers WORKERS` on the
    /// prepared directory and reads its address from the first line it prints.
    pub fn start(dir: tempfile::TempDir, data: PathBuf, workers: usize) -> LiveServer {
        let log = dir.path().join("serve.log");
        let stderr = std::fs::File::create(&log).expect("a log file");
        let mut child = docseal_cmd(&data)
            .env("OMP_THREAD_LIMIT", "1")
            .env("RUST_LOG", "info")
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--workers",
                &workers.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("docseal serve starts");
        let stdout = child.stdout.take().expect("its standard output");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok).unwrap_or_default();
            let _ = tx.send(first);
            // Keep reading so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let first = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
        let mut server = LiveServer {
            url: String::new(),
            data,
            child,
            log,
            _dir: dir,
        };
        let Some(addr) = first.strip_prefix("Listening on ") else {
            panic!(
                "the first line of `docseal serve` is {first:?}, not `Listening on http://ADDR`\n{}",
                server.log()
            );
        };
        server.url = addr.trim().trim_end_matches('/').to_string();
        assert!(server.url.starts_with("http://127.0.0.1:"), "{first}");
        server.wait_ready();
        server
    }

    /// The last lines the server logged, without stack frames.
    pub fn log(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                !(l.starts_with("at ")
                    || l.split_once(": ")
                        .is_some_and(|(n, _)| n.parse::<u32>().is_ok()))
            })
            .collect();
        lines[lines.len().saturating_sub(LOG_LINES)..].join("\n")
    }

    /// Waits until `/readyz` answers 200.
    fn wait_ready(&mut self) {
        let give_up = Instant::now() + Duration::from_secs(30);
        let host = self.url.trim_start_matches("http://").to_string();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("docseal serve exited ({status}):\n{}", self.log());
            }
            if http_status(&host, "/readyz") == Some(200) {
                return;
            }
            assert!(
                Instant::now() < give_up,
                "/readyz never answered 200:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status code of `GET path` on `host`, by plain HTTP/1.1.
pub fn http_status(host: &str, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The repository's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/NAME`, emptied, for what a test leaves to look at.
pub fn artifacts(name: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join(name);
    let _ = std::fs::remove_dir_all(&target);
    std::fs::create_dir_all(&target).expect("an artifacts directory");
    target
}

/// A program on the `PATH`, or a panic that says how to install it.
pub fn require(program: &str, install: &str) -> Command {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    assert!(found, "`{program}` is not installed: {install}");
    Command::new(program)
}
