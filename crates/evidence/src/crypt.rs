//! The encrypted file format: XChaCha20-Poly1305 in fixed-size chunks.
//!
//! A file is encrypted as a sequence of 64 KiB chunks so that a two-hour
//! interview recording streams through in bounded memory. The chunk
//! construction is the STREAM scheme of Hoang, Reyhanitabar, Rogaway and
//! Vizár (also used by age and Tink): each chunk's nonce is a random
//! 19-byte prefix (fresh per file), a 4-byte big-endian chunk counter and a
//! 1-byte "last chunk" flag. So chunks cannot be reordered, dropped,
//! duplicated or spliced between files, and a file cut short at a chunk
//! boundary is detected because its last chunk lacks the flag.
//!
//! ```text
//! header:  "TUMENEV1" (8) ‖ nonce prefix (19) ‖ chunk size u32 BE (4)
//! chunks:  ciphertext of min(chunk size, rest) bytes ‖ 16-byte tag, …
//!          the final chunk (possibly empty) has flag 1, all others 0
//! ```
//!
//! The whole header is the associated data of every chunk.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::io::{Read, Write};

pub(crate) const MAGIC: &[u8; 8] = b"TUMENEV1";
pub(crate) const CHUNK: usize = 64 * 1024;
const HEADER: usize = 8 + 19 + 4;
const TAG: usize = 16;

/// Why encryption or decryption failed. Never carries plaintext.
#[derive(Debug, thiserror::Error)]
pub enum CryptError {
    #[error("not a tumen evidence file (bad header)")]
    BadHeader,
    #[error("chunk {chunk} failed authentication (file altered, truncated, or wrong key)")]
    Auth { chunk: u32 },
    #[error("file has data after its final chunk")]
    TrailingData,
    #[error("file has more than 2^32 chunks")]
    TooManyChunks,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn nonce(prefix: &[u8; 19], counter: u32, last: bool) -> XNonce {
    let mut n = [0u8; 24];
    n[..19].copy_from_slice(prefix);
    n[19..23].copy_from_slice(&counter.to_be_bytes());
    n[23] = u8::from(last);
    XNonce::from(n)
}

/// Read until `buf` is full or the input ends; returns bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Encrypt everything `input` yields into `out`. `on_plain` sees each
/// plaintext chunk first (for hashing and size limits) and may abort by
/// returning an error. Returns the number of plaintext bytes. Public so
/// that other encrypted streams (the one-file backup) use the same
/// construction rather than a second one.
pub fn encrypt<E: From<CryptError>>(
    key: &[u8; 32],
    input: &mut dyn Read,
    out: &mut dyn Write,
    on_plain: &mut dyn FnMut(&[u8]) -> Result<(), E>,
) -> Result<u64, E> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let prefix: [u8; 19] = rand::random();
    let mut header = [0u8; HEADER];
    header[..8].copy_from_slice(MAGIC);
    header[8..27].copy_from_slice(&prefix);
    header[27..].copy_from_slice(&(CHUNK as u32).to_be_bytes());
    out.write_all(&header).map_err(CryptError::from)?;
    // Read one chunk ahead, to know which chunk is the last.
    let mut cur = vec![0u8; CHUNK];
    let mut next = vec![0u8; CHUNK];
    let mut cur_len = read_full(input, &mut cur).map_err(CryptError::from)?;
    let mut counter: u32 = 0;
    let mut total = 0u64;
    loop {
        let next_len = if cur_len == CHUNK {
            read_full(input, &mut next).map_err(CryptError::from)?
        } else {
            0
        };
        let last = next_len == 0;
        on_plain(&cur[..cur_len])?;
        total += cur_len as u64;
        let ct = cipher
            .encrypt(
                &nonce(&prefix, counter, last),
                Payload {
                    msg: &cur[..cur_len],
                    aad: &header,
                },
            )
            .map_err(|_| CryptError::Auth { chunk: counter })?;
        out.write_all(&ct).map_err(CryptError::from)?;
        if last {
            break;
        }
        counter = counter.checked_add(1).ok_or(CryptError::TooManyChunks)?;
        std::mem::swap(&mut cur, &mut next);
        cur_len = next_len;
    }
    zeroize::Zeroize::zeroize(&mut cur[..]);
    zeroize::Zeroize::zeroize(&mut next[..]);
    Ok(total)
}

/// Pull-based decryption: one authenticated chunk per call.
pub struct Decryptor<R: Read> {
    cipher: XChaCha20Poly1305,
    input: R,
    header: [u8; HEADER],
    prefix: [u8; 19],
    cur: Vec<u8>,
    cur_len: usize,
    next: Vec<u8>,
    counter: u32,
    finished: bool,
}

impl<R: Read> Decryptor<R> {
    pub fn new(key: &[u8; 32], mut input: R) -> Result<Self, CryptError> {
        let mut header = [0u8; HEADER];
        if read_full(&mut input, &mut header)? != HEADER || &header[..8] != MAGIC {
            return Err(CryptError::BadHeader);
        }
        let prefix: [u8; 19] = header[8..27]
            .try_into()
            .map_err(|_| CryptError::BadHeader)?;
        if u32::from_be_bytes([header[27], header[28], header[29], header[30]]) as usize != CHUNK {
            return Err(CryptError::BadHeader);
        }
        let mut cur = vec![0u8; CHUNK + TAG];
        let cur_len = read_full(&mut input, &mut cur)?;
        Ok(Decryptor {
            cipher: XChaCha20Poly1305::new(key.into()),
            input,
            header,
            prefix,
            cur,
            cur_len,
            next: vec![0u8; CHUNK + TAG],
            counter: 0,
            finished: false,
        })
    }

    /// The next plaintext chunk, or `None` after the final one.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, CryptError> {
        if self.finished {
            return Ok(None);
        }
        let next_len = if self.cur_len == CHUNK + TAG {
            read_full(&mut self.input, &mut self.next)?
        } else {
            0
        };
        let last = next_len == 0;
        let pt = self
            .cipher
            .decrypt(
                &nonce(&self.prefix, self.counter, last),
                Payload {
                    msg: &self.cur[..self.cur_len],
                    aad: &self.header,
                },
            )
            .map_err(|_| CryptError::Auth {
                chunk: self.counter,
            })?;
        if last {
            self.finished = true;
        } else {
            self.counter = self
                .counter
                .checked_add(1)
                .ok_or(CryptError::TooManyChunks)?;
            std::mem::swap(&mut self.cur, &mut self.next);
            self.cur_len = next_len;
        }
        Ok(Some(pt))
    }
}

/// [`Decryptor`] as a [`Read`]er of authenticated plaintext. A failed
/// chunk is an `std::io::Error` of kind `InvalidData` wrapping the
/// [`CryptError`]; the end of the stream is reported only after the final
/// chunk authenticated, so a truncated stream never reads as complete.
/// Plaintext buffers are wiped when replaced and on drop.
pub struct DecryptReader<R: Read> {
    dec: Decryptor<R>,
    cur: zeroize::Zeroizing<Vec<u8>>,
    pos: usize,
}

impl<R: Read> DecryptReader<R> {
    pub fn new(key: &[u8; 32], input: R) -> Result<Self, CryptError> {
        Ok(DecryptReader {
            dec: Decryptor::new(key, input)?,
            cur: zeroize::Zeroizing::new(Vec::new()),
            pos: 0,
        })
    }
}

impl<R: Read> Read for DecryptReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.dec.next_chunk() {
                Ok(Some(c)) => {
                    self.cur = zeroize::Zeroizing::new(c);
                    self.pos = 0;
                }
                Ok(None) => return Ok(0),
                Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Decrypt a whole file from `input`, handing each authenticated plaintext
/// chunk to `on_plain`. Fails on any alteration, truncation or extension.
pub(crate) fn decrypt<E: From<CryptError>>(
    key: &[u8; 32],
    input: &mut dyn Read,
    on_plain: &mut dyn FnMut(&[u8]) -> Result<(), E>,
) -> Result<u64, E> {
    let mut d = Decryptor::new(key, input)?;
    let mut total = 0u64;
    while let Some(mut pt) = d.next_chunk()? {
        let r = on_plain(&pt);
        total += pt.len() as u64;
        zeroize::Zeroize::zeroize(&mut pt);
        r?;
    }
    Ok(total)
}

/// Encrypt a small value in one piece (metadata sidecars).
pub(crate) fn seal(key: &[u8; 32], plain: &[u8]) -> Result<Vec<u8>, CryptError> {
    let mut out = Vec::new();
    encrypt::<CryptError>(key, &mut &plain[..], &mut out, &mut |_| Ok(()))?;
    Ok(out)
}

/// Decrypt what [`seal`] wrote.
pub(crate) fn open(key: &[u8; 32], sealed: &[u8]) -> Result<Vec<u8>, CryptError> {
    let mut out = Vec::new();
    decrypt::<CryptError>(key, &mut &sealed[..], &mut |c| {
        out.extend_from_slice(c);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(n: usize) {
        let key = [3u8; 32];
        let plain: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
        let mut ct = Vec::new();
        let got = encrypt::<CryptError>(&key, &mut &plain[..], &mut ct, &mut |_| Ok(())).unwrap();
        assert_eq!(got, n as u64);
        let chunks = n.div_ceil(CHUNK).max(1);
        assert_eq!(ct.len(), HEADER + n + chunks * TAG, "size {n}");
        assert_eq!(open(&key, &ct).unwrap(), plain);
    }

    #[test]
    fn round_trips_at_chunk_boundaries() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK] {
            roundtrip(n);
        }
    }

    #[test]
    fn every_alteration_is_detected() {
        let key = [3u8; 32];
        let plain = vec![7u8; 2 * CHUNK + 10];
        let ct = seal(&key, &plain).unwrap();
        // A flipped bit anywhere: header, any chunk, any tag.
        for at in [0, 9, 28, HEADER, HEADER + CHUNK + 5, ct.len() - 1] {
            let mut bad = ct.clone();
            bad[at] ^= 1;
            assert!(open(&key, &bad).is_err(), "flip at {at}");
        }
        // Truncated at a chunk boundary (the remaining last chunk lacks the flag).
        assert!(open(&key, &ct[..HEADER + CHUNK + TAG]).is_err());
        assert!(open(&key, &ct[..ct.len() - 3]).is_err());
        // Extended.
        let mut longer = ct.clone();
        longer.extend_from_slice(&[0; 16]);
        assert!(open(&key, &longer).is_err());
        // Chunks swapped.
        let mut swapped = ct.clone();
        let (a, b) = (HEADER, HEADER + CHUNK + TAG);
        let c0 = ct[a..b].to_vec();
        let c1 = ct[b..b + CHUNK + TAG].to_vec();
        swapped[a..b].copy_from_slice(&c1);
        swapped[b..b + CHUNK + TAG].copy_from_slice(&c0);
        assert!(open(&key, &swapped).is_err());
        // Wrong key.
        assert!(open(&[4u8; 32], &ct).is_err());
    }

    #[test]
    fn two_encryptions_of_the_same_file_differ() {
        let key = [3u8; 32];
        assert_ne!(seal(&key, b"same").unwrap(), seal(&key, b"same").unwrap());
    }
}
