//! Line numbers for error messages: the reader's input is counted for line breaks only when
//! an error needs a line, so the hot path pays nothing per element.

use super::MAX_ELEMENT_BYTES;
use quick_xml::events::Event as XmlEvent;
use std::io::{BufRead, Read};

/// The line an element starts on: its own bytes were consumed last, so the line after it
/// less the line breaks inside it.
pub(super) fn element_line(line_after: usize, event: &XmlEvent<'_>) -> usize {
    let inside = match event {
        XmlEvent::Start(e) | XmlEvent::Empty(e) => count_newlines(e),
        XmlEvent::End(e) => count_newlines(e),
        XmlEvent::DocType(e) => count_newlines(e),
        _ => 0,
    };
    line_after - inside
}

fn count_newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// Buffers the input for the XML reader and can tell the line of the current position.
///
/// Line breaks are counted per whole buffer when it is refilled, and within the current buffer
/// only when an error needs a line number, so the hot path pays nothing per element.
pub(super) struct LineCounter<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    newlines_before: usize,
    /// Bytes handed to the XML reader since it last returned an event.
    pub(super) since_event: usize,
    limit: usize,
}

impl<R: Read> LineCounter<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; 1 << 17].into_boxed_slice(),
            pos: 0,
            filled: 0,
            newlines_before: 0,
            since_event: 0,
            limit: MAX_ELEMENT_BYTES,
        }
    }

    /// 1-based line of the next unread byte.
    pub(super) fn line(&self) -> usize {
        1 + self.newlines_before + count_newlines(&self.buf[..self.pos])
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = out.len().min(available.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for LineCounter<R> {
    #[inline]
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.since_event >= self.limit {
            return Err(std::io::Error::other(format!(
                "a single element is larger than {} bytes; refused",
                self.limit
            )));
        }
        if self.pos >= self.filled {
            self.newlines_before += count_newlines(&self.buf[..self.filled]);
            self.pos = 0;
            self.filled = 0;
            self.filled = loop {
                match self.inner.read(&mut self.buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    #[inline]
    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
        self.since_event += amt;
    }
}
