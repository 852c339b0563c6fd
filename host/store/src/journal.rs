//! The execution record journal: a preallocated file beside the SQLite database to which finished sync
//! executions are appended, a batch per write, each write on the disk before its callers are answered.
//! One small write to an already allocated file costs a fraction of a SQLite commit (which writes every
//! page the rows and their indexes touch, and syncs its WAL with `fsync`); the records reach the database
//! afterwards, in larger transactions (`sqlite_recorder`). Writes go straight to the disk (`O_DIRECT`,
//! `O_DSYNC`: one request, no page cache writeback, no separate flush call) where the file system allows
//! it, and through the page cache and `fdatasync` where not (tmpfs before Linux 6.6, some FUSE file
//! systems).
//!
//! Layout, in blocks of [`BLOCK`] bytes (what direct writes must be aligned to): a header block holding
//! the current *lap*, then frames, each `magic, lap, length, checksum, payload` padded to whole blocks.
//! Restarting (once every record written is in the database) bumps the lap in the header and writes
//! again from the first frame; frames of earlier laps left behind are not read. Opening reads the
//! frames of the current lap up to the first that is incomplete or torn (a write the crash cut short),
//! for the caller to apply again, and restarts.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// The unit of every write: direct writes must start and end on the device's blocks (4096 covers
/// 512-byte and 4 KiB sectors alike).
const BLOCK: usize = 4096;
/// Where the frames begin: the header has a block of its own, so that writing it touches no frame.
const HEADER: u64 = BLOCK as u64;
/// Bytes allocated (and zeroed) at creation, so that appending writes data only: the flush then has no
/// file size or extent to record. A batch that does not fit waits for a restart; one larger than the
/// whole journal is written past the end (the file grows).
pub(crate) const CAPACITY: u64 = 8 << 20;
/// How long opening waits for the lock another store holds.
const LOCK_WAIT: Duration = Duration::from_secs(1);
const MAGIC: u32 = 0x514a_524e; // "QJRN"
const FRAME_HEADER: usize = 16;

pub(crate) struct Journal {
    /// Read at opening, holds the lock, and writes where direct writes are not allowed.
    file: File,
    /// The same file opened for direct, synchronous writes, where the file system allows them.
    direct: Option<File>,
    lap: u32,
    /// Where the next frame goes (a block boundary).
    end: u64,
}

impl Journal {
    /// Opens the journal at `path` (creating and allocating it if missing) and gives back the payloads of
    /// the frames written in its current lap, oldest first. The caller puts them in the database, then
    /// calls [`Journal::restart`]: until then they would be read again by the next opening.
    /// The file is locked for this process: a second server on the same data would corrupt it.
    pub(crate) fn open(path: &Path) -> io::Result<(Self, Vec<Vec<u8>>)> {
        Self::open_writing(path, Writes::DirectIfAllowed)
    }

    fn open_writing(path: &Path, writes: Writes) -> io::Result<(Self, Vec<Vec<u8>>)> {
        let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        lock(&file, path)?;
        if file.metadata()?.len() < HEADER + CAPACITY {
            allocate(&file)?;
        }
        let direct = match writes {
            Writes::DirectIfAllowed => {
                match OpenOptions::new().write(true).custom_flags(libc::O_DIRECT | libc::O_DSYNC).open(path) {
                    Ok(direct) => Some(direct),
                    // The file system takes no direct writes (tmpfs before Linux 6.6, some FUSE ones).
                    Err(error) if error.raw_os_error() == Some(libc::EINVAL) => None,
                    Err(error) => return Err(error),
                }
            }
            #[cfg(test)]
            Writes::PageCache => None,
        };
        let mut header = [0u8; 8];
        file.read_exact_at(&mut header, 0)?;
        let lap = if read_u32(&header, 0) == MAGIC { read_u32(&header, 4) } else { 0 };
        let mut journal = Self { file, direct, lap, end: HEADER };
        let mut frames = Vec::new();
        while let Some(payload) = journal.read_frame()? {
            frames.push(payload);
        }
        Ok((journal, frames))
    }

    /// Whether a frame of `payload_len` bytes fits before the end of the allocated space (or the journal
    /// is empty, and it goes in whatever its size).
    pub(crate) fn fits(&self, payload_len: usize) -> bool {
        self.is_empty() || self.end + frame_len(payload_len) as u64 <= HEADER + CAPACITY
    }

    /// Bytes written since the last restart.
    pub(crate) fn len(&self) -> u64 {
        self.end - HEADER
    }

    /// Whether nothing was written since the last restart.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes `payload` as the next frame, on the disk when this returns. On failure the frame does not
    /// count: the next one is written where it would have been.
    pub(crate) fn append(&mut self, payload: &[u8]) -> io::Result<()> {
        let len = u32::try_from(payload.len()).map_err(io::Error::other)?;
        let mut frame = Aligned::zeroed(frame_len(payload.len()));
        let bytes = frame.bytes();
        bytes[..4].copy_from_slice(&MAGIC.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.lap.to_le_bytes());
        bytes[8..12].copy_from_slice(&len.to_le_bytes());
        bytes[12..16].copy_from_slice(&checksum(self.lap, payload).to_le_bytes());
        bytes[FRAME_HEADER..FRAME_HEADER + payload.len()].copy_from_slice(payload);
        self.write_durably(self.end, frame.bytes())?;
        self.end += frame.len as u64;
        Ok(())
    }

    /// Starts a new lap: every frame written so far is in the database and is never to be read again.
    pub(crate) fn restart(&mut self) -> io::Result<()> {
        let lap = self.lap.wrapping_add(1);
        let mut header = Aligned::zeroed(BLOCK);
        header.bytes()[..4].copy_from_slice(&MAGIC.to_le_bytes());
        header.bytes()[4..8].copy_from_slice(&lap.to_le_bytes());
        self.write_durably(0, header.bytes())?;
        self.lap = lap;
        self.end = HEADER;
        Ok(())
    }

    /// Writes `bytes` (block-aligned) at `offset`, on the disk when this returns.
    fn write_durably(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        match &self.direct {
            Some(direct) => direct.write_all_at(bytes, offset),
            None => {
                self.file.write_all_at(bytes, offset)?;
                self.file.sync_data()
            }
        }
    }

    /// The payload of the frame at `end`, moving past it, or `None` where the lap's frames end.
    fn read_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut header = [0u8; FRAME_HEADER];
        match self.file.read_exact_at(&mut header, self.end) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            read => read?,
        }
        if read_u32(&header, 0) != MAGIC || read_u32(&header, 4) != self.lap {
            return Ok(None);
        }
        let mut payload = vec![0u8; read_u32(&header, 8) as usize];
        match self.file.read_exact_at(&mut payload, self.end + FRAME_HEADER as u64) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            read => read?,
        }
        if checksum(self.lap, &payload) != read_u32(&header, 12) {
            return Ok(None);
        }
        self.end += frame_len(payload.len()) as u64;
        Ok(Some(payload))
    }
}

/// Zeroed bytes starting at a block boundary in memory, as direct writes require.
struct Aligned {
    buffer: Vec<u8>,
    start: usize,
    len: usize,
}

impl Aligned {
    fn zeroed(len: usize) -> Self {
        let buffer = vec![0u8; len + BLOCK];
        let start = buffer.as_ptr().align_offset(BLOCK);
        Self { buffer, start, len }
    }

    fn bytes(&mut self) -> &mut [u8] {
        &mut self.buffer[self.start..self.start + self.len]
    }
}

/// How the journal writes.
enum Writes {
    /// Straight to the disk where the file system allows it, else through the page cache.
    DirectIfAllowed,
    /// Through the page cache (what file systems refusing direct writes get), for tests.
    #[cfg(test)]
    PageCache,
}

/// The bytes a frame with `payload_len` bytes of payload takes: whole blocks.
fn frame_len(payload_len: usize) -> usize {
    (FRAME_HEADER + payload_len).div_ceil(BLOCK) * BLOCK
}

/// Locks `file` for this process, waiting up to [`LOCK_WAIT`]: a store dropped in this process releases
/// its journal when its applier thread ends, within one round.
fn lock(file: &File, path: &Path) -> io::Result<()> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => std::thread::sleep(LOCK_WAIT / 100),
            Err(TryLockError::WouldBlock) => {
                return Err(io::Error::other(format!("{} is in use by another Qinling process", path.display())));
            }
            Err(TryLockError::Error(error)) => return Err(error),
        }
    }
}

/// Writes zeros over the whole journal and flushes them with the file's new size.
fn allocate(file: &File) -> io::Result<()> {
    let zeros = vec![0u8; 1 << 20];
    let mut at = 0;
    while at < HEADER + CAPACITY {
        let len = zeros.len().min((HEADER + CAPACITY - at) as usize);
        file.write_all_at(&zeros[..len], at)?;
        at += len as u64;
    }
    file.sync_all()
}

fn checksum(lap: u32, payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&lap.to_le_bytes());
    hasher.update(payload);
    hasher.finalize()
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reopen(path: &Path, journal: Journal) -> (Journal, Vec<Vec<u8>>) {
        drop(journal);
        Journal::open(path).unwrap()
    }

    #[test]
    fn frames_written_are_read_back_at_opening_until_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records");
        let (mut journal, frames) = Journal::open(&path).unwrap();
        assert!(frames.is_empty());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER + CAPACITY, "allocated at creation");
        journal.append(b"one").unwrap();
        journal.append(b"").unwrap();
        journal.append(b"three").unwrap();
        let (mut journal, frames) = reopen(&path, journal);
        assert_eq!(frames, [b"one".to_vec(), Vec::new(), b"three".to_vec()]);
        journal.restart().unwrap();
        journal.append(b"four").unwrap();
        // The earlier lap's frames after "four" are left in the file and not read.
        let (_, frames) = reopen(&path, journal);
        assert_eq!(frames, [b"four".to_vec()]);
    }

    #[test]
    fn where_direct_writes_are_refused_frames_go_through_the_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records");
        let (mut journal, _) = Journal::open_writing(&path, Writes::PageCache).unwrap();
        assert!(journal.direct.is_none());
        journal.append(b"one").unwrap();
        journal.restart().unwrap();
        journal.append(b"two").unwrap();
        journal.append(b"three").unwrap();
        let (_, frames) = reopen(&path, journal);
        assert_eq!(frames, [b"two".to_vec(), b"three".to_vec()]);
    }

    #[test]
    fn a_torn_frame_ends_what_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records");
        let (mut journal, _) = Journal::open(&path).unwrap();
        journal.append(b"kept").unwrap();
        let torn_at = journal.end;
        journal.append(b"torn by a crash").unwrap();
        journal.append(b"after it").unwrap();
        // The crash left the second frame's payload half written.
        journal.file.write_all_at(b"XXXX", torn_at + FRAME_HEADER as u64 + 4).unwrap();
        journal.file.sync_data().unwrap();
        let (journal, frames) = reopen(&path, journal);
        assert_eq!(frames, [b"kept".to_vec()]);
        assert_eq!(journal.end, torn_at, "the next frame overwrites the torn one");
    }

    #[test]
    fn a_batch_that_does_not_fit_waits_for_a_restart_unless_the_journal_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = Journal::open(&dir.path().join("records")).unwrap();
        let huge = CAPACITY as usize;
        assert!(journal.fits(huge), "an empty journal takes any batch");
        journal.append(b"small").unwrap();
        assert!(!journal.fits(huge));
        assert!(journal.fits(1024));
        journal.restart().unwrap();
        assert!(journal.is_empty() && journal.fits(huge));
    }

    #[test]
    fn a_second_process_cannot_open_the_same_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records");
        let (_held, _) = Journal::open(&path).unwrap();
        let refused = Journal::open(&path).err().expect("locked");
        assert!(refused.to_string().contains("in use by another Qinling process"), "{refused}");
    }
}
