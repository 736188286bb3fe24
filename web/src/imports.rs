//! How much the Import page may take: the largest upload, how many imports run at once, and
//! the disk room an upload must leave; uploads are staged in temporary files that are removed
//! on every exit path, and after a crash at the next start.

use crate::WebError;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Name prefix of staged uploads; the owning process id follows, so a later start can tell
/// the files a crashed process left behind.
const STAGED_PREFIX: &str = "flowsight-upload-";

/// Free disk space an upload must leave behind it, in bytes.
const DISK_RESERVE: u64 = 256 << 20;

/// The Import page's limits, shared by all its requests.
#[derive(Debug, Clone)]
pub struct Imports {
    /// Largest upload accepted, in bytes.
    pub max_bytes: u64,
    running: Arc<Semaphore>,
    max_running: usize,
    /// Where uploads are staged.
    dir: PathBuf,
}

impl Default for Imports {
    fn default() -> Self {
        Self::new(1 << 30, 2, std::env::temp_dir())
    }
}

impl Imports {
    /// At most `max_bytes` per upload and `max_running` imports at once, staged in `dir`.
    pub fn new(max_bytes: u64, max_running: usize, dir: PathBuf) -> Self {
        let max_running = max_running.max(1);
        Self {
            max_bytes,
            running: Arc::new(Semaphore::new(max_running)),
            max_running,
            dir,
        }
    }

    /// A place among the running imports, or a message saying none is free.
    pub fn start(&self) -> Result<OwnedSemaphorePermit, WebError> {
        self.running.clone().try_acquire_owned().map_err(|_| {
            WebError::Busy(format!(
                "{} imports are running already: try again when one has finished",
                self.max_running
            ))
        })
    }

    /// Refuses an upload of `declared` bytes (its Content-Length) before reading it: larger
    /// than the limit, or more than the disk can hold with room to spare.
    pub fn admit(&self, declared: Option<u64>) -> Result<(), WebError> {
        let Some(bytes) = declared else {
            return Ok(());
        };
        if bytes > self.max_bytes {
            return Err(WebError::TooLarge(format!(
                "the upload is {} MiB; at most {} MiB are accepted (--max-upload)",
                bytes >> 20,
                self.max_bytes >> 20
            )));
        }
        let free = free_space(&self.dir);
        if free.is_some_and(|free| bytes.saturating_add(DISK_RESERVE) > free) {
            return Err(WebError::TooLarge(format!(
                "the upload is {} MiB but the server has only {} MiB of disk to spare",
                bytes >> 20,
                free.unwrap_or(0).saturating_sub(DISK_RESERVE) >> 20
            )));
        }
        Ok(())
    }

    /// A new staging file, removed when dropped.
    pub fn stage(&self) -> Result<tempfile::NamedTempFile, WebError> {
        tempfile::Builder::new()
            .prefix(&format!("{STAGED_PREFIX}{}-", std::process::id()))
            .tempfile_in(&self.dir)
            .map_err(|e| {
                tracing::error!(error = %e, dir = %self.dir.display(), "cannot stage an upload");
                WebError::Internal(format!("the upload could not be stored ({})", e.kind()))
            })
    }

    /// Removes staged uploads of processes that no longer run (left by a crash).
    pub fn remove_abandoned(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(STAGED_PREFIX))
                .and_then(|rest| rest.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if !Path::new(&format!("/proc/{pid}")).exists() {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => {
                        tracing::info!(file = %entry.path().display(), "removed an upload left by a crash")
                    }
                    Err(e) => {
                        tracing::warn!(file = %entry.path().display(), error = %e, "cannot remove an abandoned upload")
                    }
                }
            }
        }
    }
}

/// Bytes available to this user on the file system holding `dir`.
fn free_space(dir: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_over_the_limit_or_the_free_disk_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let imports = Imports::new(10 << 20, 1, dir.path().to_path_buf());
        assert!(imports.admit(Some(1 << 20)).is_ok());
        let e = imports.admit(Some(11 << 20)).unwrap_err();
        assert!(e.to_string().contains("at most 10 MiB"), "{e}");
        let unlimited = Imports::new(u64::MAX, 1, dir.path().to_path_buf());
        let e = unlimited.admit(Some(u64::MAX / 2)).unwrap_err();
        assert!(e.to_string().contains("of disk to spare"), "{e}");
    }

    #[test]
    fn only_so_many_imports_run_at_once() {
        let imports = Imports::new(1 << 20, 2, std::env::temp_dir());
        let first = imports.start().unwrap();
        let _second = imports.start().unwrap();
        assert!(imports
            .start()
            .unwrap_err()
            .to_string()
            .contains("2 imports are running"));
        drop(first);
        assert!(imports.start().is_ok());
    }

    #[test]
    fn uploads_left_by_a_dead_process_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let imports = Imports::new(1 << 20, 1, dir.path().to_path_buf());
        let live = imports.stage().unwrap();
        let dead = dir.path().join(format!("{STAGED_PREFIX}4000000000-abc"));
        std::fs::write(&dead, b"half an upload").unwrap();
        let other = dir.path().join("someone-elses-file");
        std::fs::write(&other, b"x").unwrap();
        imports.remove_abandoned();
        assert!(!dead.exists());
        assert!(live.path().exists() && other.exists());
    }
}
