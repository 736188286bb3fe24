//! Shared helpers of the end-to-end tests: start the real `flowsight` binary and talk HTTP to it.
//! Each test file uses the part it needs.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `flowsight` process, killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT` (`https://` with TLS)
    pub url: String,
}

impl Server {
    /// The process id, to send it signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for the process to exit; its status if it did.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = self
                .child
                .try_wait()
                .expect("the process can be waited for")
            {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The path of `path` in the shared fixtures (`FLOWSIGHT_SHARED`, else `../shared`).
pub fn shared(path: &str) -> String {
    let root = std::env::var("FLOWSIGHT_SHARED")
        .unwrap_or_else(|_| format!("{}/../shared", env!("CARGO_MANIFEST_DIR")));
    format!("{root}/fixtures/{path}")
}

/// Starts `flowsight ARGS…` and waits for the line containing `ready` with a URL on stdout.
pub fn start(args: &[&str], ready: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowsight"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("flowsight starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let ready = ready.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(&ready) {
                let url = line[line.find("http").expect("a URL")..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_string();
                let _ = tx.send(url);
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("flowsight prints its URL");
    let url = url.trim_end_matches("/map").to_string();
    Server { child, url }
}

/// GET `path` and return the body as text, asserting 200.
pub fn get(server: &Server, path: &str) -> String {
    let mut response = ureq::get(&format!("{}{path}", server.url))
        .call()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    response
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_string()
        .unwrap()
}

/// GET `path` as JSON.
pub fn get_json(server: &Server, path: &str) -> serde_json::Value {
    serde_json::from_str(&get(server, path)).unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}"))
}

/// Polls `check` until it holds or `timeout` passes.
pub fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
