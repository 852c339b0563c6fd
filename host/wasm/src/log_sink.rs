//! The execution log: stdout and stderr of one execution, interleaved in one buffer with a cap. Writes past
//! the cap are dropped, not failed (a guest whose `println!` failed would panic), and the cut is marked.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// How much a guest may write in one go; any positive number works since writes never fail.
const WRITE_PERMIT: usize = 64 * 1024;

/// A cloneable handle to one execution's log buffer.
#[derive(Clone)]
pub(crate) struct LogSink {
    inner: Arc<Mutex<Buffer>>,
}

struct Buffer {
    bytes: Vec<u8>,
    cap: usize,
    dropped: usize,
}

impl LogSink {
    pub(crate) fn new(cap: usize) -> Self {
        Self { inner: Arc::new(Mutex::new(Buffer { bytes: Vec::new(), cap, dropped: 0 })) }
    }

    fn append(&self, data: &[u8]) {
        let mut buffer = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let room = buffer.cap.saturating_sub(buffer.bytes.len());
        let kept = data.len().min(room);
        buffer.bytes.extend_from_slice(&data[..kept]);
        buffer.dropped += data.len() - kept;
    }

    /// Adds a line from the host (not counted against the cap, so it is never cut).
    pub(crate) fn append_line(&self, line: &str) {
        let mut buffer = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !buffer.bytes.is_empty() && !buffer.bytes.ends_with(b"\n") {
            buffer.bytes.push(b'\n');
        }
        buffer.bytes.extend_from_slice(line.as_bytes());
        buffer.bytes.push(b'\n');
    }

    /// What was kept, and how many bytes past the cap were dropped.
    pub(crate) fn contents(&self) -> (Vec<u8>, usize) {
        let buffer = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        (buffer.bytes.clone(), buffer.dropped)
    }

    /// The log as text (invalid UTF-8 replaced), with a closing line saying how much was cut, if any.
    pub(crate) fn text(&self) -> String {
        let buffer = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut text = String::from_utf8_lossy(&buffer.bytes).into_owned();
        if buffer.dropped > 0 {
            if !text.ends_with('\n') && !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&format!(
                "[qinling: log truncated at {} bytes; {} more bytes dropped]\n",
                buffer.cap, buffer.dropped
            ));
        }
        text
    }
}

impl IsTerminal for LogSink {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogSink {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Pollable for LogSink {
    async fn ready(&mut self) {}
}

impl OutputStream for LogSink {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

impl tokio::io::AsyncWrite for LogSink {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_past_the_cap_are_dropped_and_the_cut_is_marked() {
        let mut sink = LogSink::new(10);
        OutputStream::write(&mut sink, Bytes::from_static(b"hello ")).unwrap();
        OutputStream::write(&mut sink, Bytes::from_static(b"world, again")).unwrap();
        assert_eq!(sink.text(), "hello worl\n[qinling: log truncated at 10 bytes; 8 more bytes dropped]\n");
    }

    #[test]
    fn a_log_under_the_cap_is_kept_whole() {
        let mut sink = LogSink::new(100);
        OutputStream::write(&mut sink, Bytes::from_static(b"line\n")).unwrap();
        assert_eq!(sink.text(), "line\n");
    }
}
