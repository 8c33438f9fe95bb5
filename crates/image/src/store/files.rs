//! Image data on disk: one file per image in a directory of the data dir.
//!
//! An upload is written to a hidden temporary file in the same directory, hashed as
//! it streams, flushed to disk, and renamed into place only when complete, so no
//! partial image is ever visible and a crash leaves only a temporary file, which the
//! next start removes. The writing and hashing run on a blocking thread fed through a
//! bounded channel: the request task never blocks, and memory stays a few chunks
//! whatever the image size.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use openssl::hash::{Hasher, MessageDigest};

use super::ImageData;

/// Chunks (of about [`STREAM_CHUNK`]) in flight to each thread of an upload.
const CHANNEL_CHUNKS: usize = 4;
/// Bytes read at a time when data is streamed out of a file.
const STREAM_CHUNK: usize = 1 << 20;
/// Bytes written between two requests to start writing them back to disk.
const WRITEBACK_EVERY: u64 = 32 << 20;
/// Bytes kept from the start of the data, to read a disk image header.
const HEADER_BYTES: usize = 512;
const TEMP_PREFIX: &str = ".upload-";

/// Why data could not be stored. Nothing is left behind in any case.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The client's stream failed (disconnected, or a malformed body).
    #[error("the upload stream failed: {0}")]
    Client(String),
    /// More bytes arrived than allowed.
    #[error("the data is larger than the {0} bytes allowed")]
    TooLarge(u64),
    /// The disk failed.
    #[error("writing image data: {0}")]
    Io(#[from] std::io::Error),
}

/// Data written to a temporary file and not yet visible.
#[derive(Debug)]
pub struct Staged {
    temp: PathBuf,
    /// What the data is: size, digests, virtual size.
    pub data: ImageData,
}

/// The directory of image files.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// Opens (creating) the directory and removes uploads a crash left unfinished.
    pub fn open(dir: &Path) -> std::io::Result<FileStore> {
        std::fs::create_dir_all(dir)?;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_name().to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX)) {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(FileStore { dir: dir.to_owned() })
    }

    /// Where the data of image `id` lives once complete.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// Streams `body` into a temporary file, refusing more than `limit` bytes.
    pub async fn write<S, E>(&self, id: &str, body: S, limit: Option<u64>) -> Result<Staged, WriteError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let temp = self.dir.join(format!("{TEMP_PREFIX}{id}-{}", uuid::Uuid::new_v4().simple()));
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
        let writer = {
            let temp = temp.clone();
            tokio::task::spawn_blocking(move || write_and_hash(&temp, rx))
        };
        let fed = feed(body, tx, limit).await;
        let written = writer.await.map_err(|e| WriteError::Io(std::io::Error::other(e)));
        match (fed, written) {
            (Ok(()), Ok(Ok(data))) => Ok(Staged { temp, data }),
            (Err(e), _) | (Ok(()), Ok(Err(e)) | Err(e)) => {
                let _ = tokio::fs::remove_file(&temp).await;
                Err(e)
            }
        }
    }

    /// Makes staged data the data of image `id`.
    pub async fn commit(&self, id: &str, staged: Staged) -> std::io::Result<()> {
        tokio::fs::rename(&staged.temp, self.path(id)).await?;
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all()).await.map_err(std::io::Error::other)?
    }

    /// Throws staged data away.
    pub async fn discard(&self, staged: Staged) {
        let _ = tokio::fs::remove_file(&staged.temp).await;
    }

    /// Deletes the data of image `id`, if any.
    pub async fn remove(&self, id: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(id)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Sends the body to the writer in chunks of at least [`STREAM_CHUNK`] bytes (a
/// request arrives in pieces of a few KiB, and three threads handle each chunk); stops
/// at the first failure.
async fn feed<S, E>(mut body: S, tx: tokio::sync::mpsc::Sender<Bytes>, limit: Option<u64>) -> Result<(), WriteError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut total: u64 = 0;
    let mut pending = bytes::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| WriteError::Client(e.to_string()))?;
        total += chunk.len() as u64;
        if let Some(limit) = limit.filter(|l| total > *l) {
            return Err(WriteError::TooLarge(limit));
        }
        let ready = if pending.is_empty() && chunk.len() >= STREAM_CHUNK {
            chunk
        } else {
            pending.extend_from_slice(&chunk);
            if pending.len() < STREAM_CHUNK {
                continue;
            }
            pending.split().freeze()
        };
        if tx.send(ready).await.is_err() {
            // The writer stopped: its own error says why.
            return Ok(());
        }
    }
    if !pending.is_empty() {
        // As above, a writer that stopped reports its own error.
        let _ = tx.send(pending.freeze()).await;
    }
    Ok(())
}

/// Writes the chunks to `temp` while two more threads hash them, md5 and sha512, so
/// that a write costs the slowest of the three rather than their sum.
fn write_and_hash(temp: &Path, mut rx: tokio::sync::mpsc::Receiver<Bytes>) -> Result<ImageData, WriteError> {
    let (md5_tx, md5_rx) = std::sync::mpsc::sync_channel::<Bytes>(CHANNEL_CHUNKS);
    let (sha512_tx, sha512_rx) = std::sync::mpsc::sync_channel::<Bytes>(CHANNEL_CHUNKS);
    std::thread::scope(|threads| {
        let digest = |algorithm: MessageDigest, chunks: std::sync::mpsc::Receiver<Bytes>| {
            move || -> Result<String, openssl::error::ErrorStack> {
                let mut h = Hasher::new(algorithm)?;
                for chunk in chunks {
                    h.update(&chunk)?;
                }
                Ok(hex(&h.finish()?))
            }
        };
        let md5 = threads.spawn(digest(MessageDigest::md5(), md5_rx));
        let sha512 = threads.spawn(digest(MessageDigest::sha512(), sha512_rx));
        let written = (|| -> Result<(u64, Vec<u8>), WriteError> {
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(temp)?;
            let mut header = Vec::with_capacity(HEADER_BYTES);
            let (mut size, mut sent_to_disk): (u64, u64) = (0, 0);
            while let Some(chunk) = rx.blocking_recv() {
                // A hasher only stops early by panicking, which the join below reports.
                let _ = md5_tx.send(chunk.clone());
                let _ = sha512_tx.send(chunk.clone());
                file.write_all(&chunk)?;
                if header.len() < HEADER_BYTES {
                    header.extend_from_slice(&chunk[..chunk.len().min(HEADER_BYTES - header.len())]);
                }
                size += chunk.len() as u64;
                if size - sent_to_disk >= WRITEBACK_EVERY {
                    start_writeback(&file, sent_to_disk, size - sent_to_disk);
                    sent_to_disk = size;
                }
            }
            file.sync_all()?;
            Ok((size, header))
        })();
        drop((md5_tx, sha512_tx));
        let hashed = |h: std::thread::ScopedJoinHandle<'_, Result<String, openssl::error::ErrorStack>>| match h.join() {
            Ok(Ok(hex)) => Ok(hex),
            Ok(Err(e)) => Err(WriteError::Io(std::io::Error::other(e))),
            Err(_) => Err(WriteError::Io(std::io::Error::other("a hashing thread panicked"))),
        };
        let (md5, sha512) = (hashed(md5)?, hashed(sha512)?);
        let (size, header) = written?;
        let size = i64::try_from(size).map_err(std::io::Error::other)?;
        Ok(ImageData {
            size,
            virtual_size: qcow2_virtual_size(&header).or(Some(size)),
            checksum: md5,
            os_hash_algo: "sha512".into(),
            os_hash_value: sha512,
        })
    })
}

/// Asks the kernel to start writing `len` bytes at `offset` of `file` to disk, without
/// waiting. Left alone, Linux keeps up to a tenth of memory dirty before writing back,
/// so a whole image would reach the disk only in the final fsync, after the transfer,
/// rather than while it runs. Errors are ignored here: the final fsync reports them.
fn start_writeback(file: &std::fs::File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else { return };
    // SAFETY: the descriptor stays open while `file` is borrowed, and sync_file_range
    // reads nothing but its integer arguments.
    unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE) };
}

/// Bytes as lowercase hex, as Glance shows digests.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's contents as a stream of large chunks: the default 4 KiB would make a
/// transfer cost one thread hand-off per 4 KiB.
pub fn read_stream<R: tokio::io::AsyncRead>(reader: R) -> tokio_util::io::ReaderStream<R> {
    tokio_util::io::ReaderStream::with_capacity(reader, STREAM_CHUNK)
}

/// The virtual disk size a qcow2 header declares (big-endian u64 at byte 24, after the
/// magic `QFI\xfb` and the version).
pub fn qcow2_virtual_size(header: &[u8]) -> Option<i64> {
    if header.len() < 32 || &header[..4] != b"QFI\xfb" {
        return None;
    }
    let size = u64::from_be_bytes(header[24..32].try_into().ok()?);
    i64::try_from(size).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures_util::stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>())
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn data_appears_only_when_committed_with_its_digests() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let staged = store.write("img", chunks(&[b"hello ", b"world"]), None).await.unwrap();
        assert_eq!(staged.data.size, 11);
        assert_eq!(staged.data.checksum, "5eb63bbbe01eeed093cb22bb8f5acdc3", "md5 of 'hello world'");
        assert!(staged.data.os_hash_value.starts_with("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f"));
        assert_eq!(staged.data.virtual_size, Some(11), "raw data: the virtual size is the size");
        assert!(!store.path("img").exists(), "nothing visible before commit");
        store.commit("img", staged).await.unwrap();
        assert_eq!(std::fs::read(store.path("img")).unwrap(), b"hello world");
        assert_eq!(files(dir.path()), ["img"]);
        store.remove("img").await.unwrap();
        store.remove("img").await.unwrap();
        assert!(files(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn failed_or_oversized_uploads_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let too_big = store.write("img", chunks(&[b"12345", b"67890"]), Some(8)).await;
        assert!(matches!(too_big, Err(WriteError::TooLarge(8))));
        let broken = futures_util::stream::iter(vec![Ok(Bytes::from_static(b"part")), Err(std::io::Error::other("client went away"))]);
        assert!(matches!(store.write("img", broken, None).await, Err(WriteError::Client(_))));
        assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
        std::fs::write(dir.path().join(format!("{TEMP_PREFIX}crashed")), b"x").unwrap();
        FileStore::open(dir.path()).unwrap();
        assert!(files(dir.path()).is_empty(), "a crash's leftovers go at the next start");
    }

    #[test]
    fn qcow2_headers_give_the_virtual_size() {
        let mut header = b"QFI\xfb\0\0\0\x03".to_vec();
        header.resize(24, 0);
        header.extend_from_slice(&(10u64 << 30).to_be_bytes());
        assert_eq!(qcow2_virtual_size(&header), Some(10 << 30));
        assert_eq!(qcow2_virtual_size(b"not a qcow2 header at all, not one bit of it"), None);
        assert_eq!(qcow2_virtual_size(b"QFI"), None);
    }
}
