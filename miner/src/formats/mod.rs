//! File formats: reading event logs (XES) and writing results (CSV, JSON).

pub mod bpmn;
pub mod csv;
pub mod csv_read;
pub mod log_format;
pub mod ocel_json;
#[cfg(feature = "ocel-sqlite")]
pub mod ocel_sqlite;
pub mod ocel_xml;
pub mod summary;
pub mod xes;
pub mod xes_write;
pub mod xml;

use crate::MinerError;
use flate2::read::MultiGzDecoder;
use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{sync_channel, Receiver};

/// Size of the chunks a background decompressor hands over.
const CHUNK: usize = 1 << 18;

/// Wraps `input` so that gzip-compressed bytes are decompressed on the fly; plain bytes pass through.
///
/// Detection is by the gzip magic number, not the file name, so `.xes` files that are really
/// compressed (and the reverse) are read correctly. Decompression runs on its own thread, a
/// few chunks ahead of the parser, so that the two use both cores of a small machine.
pub fn maybe_gunzip<R: Read + Send + 'static>(
    input: R,
) -> Result<Box<dyn BufRead + Send>, MinerError> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let head = input.fill_buf().map_err(|source| MinerError::Io {
        what: "input".into(),
        source,
    })?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(ReadAhead::spawn(MultiGzDecoder::new(input))))
    } else {
        Ok(Box::new(input))
    }
}

/// A reader fed by a thread that reads `source` ahead in chunks; I/O errors are passed on.
struct ReadAhead {
    chunks: Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    offset: usize,
}

impl ReadAhead {
    fn spawn<R: Read + Send + 'static>(mut source: R) -> Self {
        let (tx, rx) = sync_channel(4);
        std::thread::spawn(move || loop {
            let mut chunk = vec![0; CHUNK];
            let mut filled = 0;
            let result = loop {
                match source.read(&mut chunk[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        filled += n;
                        if filled == CHUNK {
                            break Ok(());
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            chunk.truncate(filled);
            let last = filled < CHUNK || result.is_err();
            // A failed send means the reader hung up: nobody wants the rest.
            if tx.send(result.map(|()| chunk)).is_err() || last {
                return;
            }
        });
        Self {
            chunks: rx,
            current: Vec::new(),
            offset: 0,
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Reading straight from the received chunks saves copying every byte once more.
impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.offset == self.current.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.current[self.offset..])
    }

    fn consume(&mut self, amt: usize) {
        self.offset = (self.offset + amt).min(self.current.len());
    }
}

/// `n` with its noun, singular for one (`1 trace`, `2 traces`, `0 instances`), as messages and
/// pages say counts. `noun` is the singular; the plural adds `s`, `es` after `s`, `x`, `ch`
/// and `sh`, or turns a `y` after a consonant into `ies`.
pub fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        return format!("1 {noun}");
    }
    if let Some(stem) = noun.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            return format!("{n} {stem}ies");
        }
    }
    let ending = if ["s", "x", "ch", "sh"].iter().any(|e| noun.ends_with(e)) {
        "es"
    } else {
        "s"
    };
    format!("{n} {noun}{ending}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    #[test]
    fn reads_plain_and_gzipped_input_alike() {
        let text: String = (0..100_000).map(|i| format!("line {i}\n")).collect();
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        for input in [text.as_bytes().to_vec(), gz] {
            let mut out = String::new();
            maybe_gunzip(std::io::Cursor::new(input))
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            assert_eq!(out, text);
        }
    }

    #[test]
    fn reports_corrupt_gzip_as_an_error() {
        let mut bad = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        bad.extend_from_slice(&[0xff; 64]);
        let mut out = Vec::new();
        let result = maybe_gunzip(std::io::Cursor::new(bad))
            .unwrap()
            .read_to_end(&mut out);
        assert!(result.is_err());
    }

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1, "trace"), "1 trace");
        assert_eq!(counted(0, "instance"), "0 instances");
        assert_eq!(counted(2, "match"), "2 matches");
        assert_eq!(counted(3, "activity"), "3 activities");
        assert_eq!(counted(2, "key"), "2 keys");
        assert_eq!(counted(12_932, "case"), "12932 cases");
    }
}
