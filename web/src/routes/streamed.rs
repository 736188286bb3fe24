//! Downloads written while they are sent: a blocking thread writes the file through a bounded
//! channel into the response body, so a large event log never sits whole in memory, and the
//! writing stops (its next write fails) as soon as the client goes away.

use crate::WebError;
use axum::body::{Body, Bytes};
use std::io::Write;
use tokio::sync::mpsc;

/// Bytes gathered before a piece is sent.
const PIECE: usize = 64 << 10;

/// Pieces in flight between the writing thread and the connection.
const PIECES_IN_FLIGHT: usize = 8;

/// A writer whose output becomes a response body.
pub struct BodyWriter {
    buffer: Vec<u8>,
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
    /// The client went away (a send found the body dropped): nobody is left to tell of a failure.
    client_gone: bool,
}

impl BodyWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(PIECE),
        ));
        self.sender.blocking_send(Ok(piece)).map_err(|_| {
            self.client_gone = true;
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }

    /// Ends the body with an error, so the client sees a cut download, never a complete-looking
    /// file with a hole.
    fn fail(self, error: &WebError) {
        tracing::error!(%error, "a streamed download failed");
        let _ = self
            .sender
            .blocking_send(Err(std::io::Error::other(error.to_string())));
    }
}

impl Write for BodyWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= PIECE {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// A body that `write` fills from a blocking thread.
pub fn streamed(
    write: impl FnOnce(&mut BodyWriter) -> Result<(), WebError> + Send + 'static,
) -> Body {
    let (sender, receiver) = mpsc::channel(PIECES_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut writer = BodyWriter {
            buffer: Vec::with_capacity(PIECE),
            sender,
            client_gone: false,
        };
        match write(&mut writer).and_then(|()| {
            writer
                .flush()
                .map_err(|e| WebError::Internal(e.to_string()))
        }) {
            Ok(()) => {}
            Err(_) if writer.client_gone => {}
            Err(error) => writer.fail(&error),
        }
    });
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn the_body_is_what_was_written_and_writing_stops_when_the_client_leaves() {
        let body = streamed(|out| {
            for i in 0..100_000 {
                writeln!(out, "line {i}").map_err(|e| WebError::Internal(e.to_string()))?;
            }
            Ok(())
        });
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        assert_eq!(bytes.split(|&b| b == b'\n').count(), 100_001);
        assert!(bytes.starts_with(b"line 0\n") && bytes.ends_with(b"line 99999\n"));

        let written = Arc::new(AtomicUsize::new(0));
        let counter = written.clone();
        let body = streamed(move |out| loop {
            out.write_all(&[b'x'; 1024])
                .map_err(|e| WebError::Internal(e.to_string()))?;
            counter.fetch_add(1024, Ordering::SeqCst);
        });
        drop(body);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let stopped_at = written.load(Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(
            written.load(Ordering::SeqCst),
            stopped_at,
            "the writer stopped"
        );
        assert!(
            stopped_at <= PIECE * (PIECES_IN_FLIGHT + 2),
            "{stopped_at} bytes written for nobody"
        );
    }
}
