//! Signed tree heads: the ledger's public, checkable statement "at time T
//! the ledger held N entries and its Merkle root was R".
//!
//! The signature is Ed25519 (RFC 8032) over a fixed 67-byte message:
//!
//! ```text
//! "tumen-tree-head-v1\n"  (19 bytes, domain separation)
//! u64  tree_size          (big-endian)
//! [32] root_hash
//! i64  timestamp_ms       (big-endian, milliseconds since the Unix epoch)
//! ```
//!
//! The printable form is a short text block that a person can paste into a
//! report, a letter to a UN inquiry or a newspaper notice; everything in it
//! is hex so it survives retyping and OCR. Anyone holding the ledger's
//! public key (published once, separately) can check it, and later check
//! that today's ledger still contains the ledger of that day (a consistency
//! proof). The public key printed inside the block only names which key
//! signed: verification always takes the trusted key as an argument, so a
//! forger cannot sign with a key of their own and have it accepted.

use crate::LedgerError;
use crate::hash::{Hash, hash_from_hex, sha256};
use crate::time::{format_utc_ms, parse_utc_ms};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

const DOMAIN: &[u8; 19] = b"tumen-tree-head-v1\n";
/// First line of the printable form.
pub const BEGIN: &str = "-----BEGIN TUMEN SIGNED TREE HEAD-----";
/// Last line of the printable form.
pub const END: &str = "-----END TUMEN SIGNED TREE HEAD-----";

/// The ledger's signing key. Derived from 32 secret bytes (a seed from a
/// CSPRNG, or a subkey of the store's data key), never generated inside
/// this pure crate. The key material is wiped on drop.
pub struct LedgerKey(SigningKey);

impl LedgerKey {
    /// The key whose RFC 8032 secret key is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        LedgerKey(SigningKey::from_bytes(seed))
    }

    /// The public half, to publish.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Sign an arbitrary message (exposed for the RFC 8032 test vectors and
    /// for signing custody reports).
    pub fn sign_bytes(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

impl std::fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LedgerKey(public {})", self.public().to_hex())
    }
}

/// A ledger public key (Ed25519).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// From the 32 bytes of RFC 8032's encoding. Rejects points that are not
    /// on the curve.
    pub fn from_bytes(b: &[u8; 32]) -> Result<Self, LedgerError> {
        VerifyingKey::from_bytes(b)
            .map(PublicKey)
            .map_err(|_| LedgerError::BadPublicKey)
    }
    /// From 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, LedgerError> {
        Self::from_bytes(&hash_from_hex(s).ok_or(LedgerError::BadPublicKey)?)
    }
    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
    /// The 32-byte encoding in lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }
    /// A short fingerprint: the first 8 bytes of SHA-256 of the key, hex.
    pub fn fingerprint(&self) -> String {
        hex::encode(&sha256(&self.to_bytes())[..8])
    }
    /// Check an Ed25519 signature (strict: rejects malleable encodings and
    /// small-order keys).
    pub fn verify_bytes(&self, msg: &[u8], sig: &[u8; 64]) -> Result<(), LedgerError> {
        self.0
            .verify_strict(msg, &Signature::from_bytes(sig))
            .map_err(|_| LedgerError::BadSignature)
    }
}

/// An unsigned tree head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeHead {
    /// Number of entries covered.
    pub size: u64,
    /// RFC 6962 Merkle tree hash of those entries.
    pub root: Hash,
    /// When the head was made, milliseconds since the Unix epoch (UTC). The
    /// caller supplies it: this crate reads no clock.
    pub timestamp_ms: i64,
}

impl TreeHead {
    /// The exact bytes that are signed.
    pub fn signed_message(&self) -> [u8; 67] {
        let mut m = [0u8; 67];
        m[..19].copy_from_slice(DOMAIN);
        m[19..27].copy_from_slice(&self.size.to_be_bytes());
        m[27..59].copy_from_slice(&self.root);
        m[59..67].copy_from_slice(&self.timestamp_ms.to_be_bytes());
        m
    }

    /// Sign this head.
    pub fn sign(&self, key: &LedgerKey) -> SignedTreeHead {
        SignedTreeHead {
            head: *self,
            public_key: key.public().to_bytes(),
            signature: key.sign_bytes(&self.signed_message()),
        }
    }
}

/// A tree head with its signature and the key that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedTreeHead {
    /// What is claimed.
    pub head: TreeHead,
    /// The signer's public key as claimed by the head (checked against a
    /// trusted key in [`SignedTreeHead::verify`]).
    pub public_key: [u8; 32],
    /// Ed25519 signature over [`TreeHead::signed_message`].
    pub signature: [u8; 64],
}

impl SignedTreeHead {
    /// Check the signature with the trusted key. A head claiming another key
    /// is refused even if its signature is valid for that other key.
    pub fn verify(&self, trusted: &PublicKey) -> Result<(), LedgerError> {
        if self.public_key != trusted.to_bytes() {
            return Err(LedgerError::WrongKey);
        }
        trusted.verify_bytes(&self.head.signed_message(), &self.signature)
    }

    /// The printable form (ends with a newline).
    pub fn to_text(&self) -> String {
        let h = &self.head;
        format!(
            "{BEGIN}\nledger: tumen\nsize: {}\ntime: {}\nroot: {}\nkey: {}\nsignature: {}\n{END}\n",
            h.size,
            format_utc_ms(h.timestamp_ms),
            hex::encode(h.root),
            hex::encode(self.public_key),
            hex::encode(self.signature),
        )
    }

    /// Parse the printable form out of `text`, which may hold other prose
    /// around the block (a report, an e-mail). Lines may be indented or end
    /// in CR LF; hex may be in either case. The signature is *not* checked
    /// here: call [`SignedTreeHead::verify`].
    pub fn from_text(text: &str) -> Result<SignedTreeHead, LedgerError> {
        let mut lines = text.lines().map(str::trim).enumerate();
        let mut begin_line = None;
        for (n, l) in lines.by_ref() {
            if l == BEGIN {
                begin_line = Some(n);
                break;
            }
        }
        let begin = begin_line.ok_or(LedgerError::BadHeadText {
            line: 0,
            why: "no BEGIN line",
        })?;
        let mut fields: [Option<&str>; 6] = [None; 6];
        const NAMES: [&str; 6] = ["ledger", "size", "time", "root", "key", "signature"];
        let mut ended = false;
        for (n, l) in lines.by_ref() {
            let line = n + 1;
            if l == END {
                ended = true;
                break;
            }
            let (name, value) = l.split_once(':').ok_or(LedgerError::BadHeadText {
                line,
                why: "expected `name: value`",
            })?;
            let slot =
                NAMES
                    .iter()
                    .position(|x| *x == name.trim())
                    .ok_or(LedgerError::BadHeadText {
                        line,
                        why: "unknown field",
                    })?;
            if fields[slot].is_some() {
                return Err(LedgerError::BadHeadText {
                    line,
                    why: "field given twice",
                });
            }
            fields[slot] = Some(value.trim());
        }
        if !ended {
            return Err(LedgerError::BadHeadText {
                line: begin + 1,
                why: "no END line",
            });
        }
        let get = |i: usize, why: &'static str| {
            fields[i].ok_or(LedgerError::BadHeadText {
                line: begin + 1,
                why,
            })
        };
        if get(0, "missing `ledger`")? != "tumen" {
            return Err(LedgerError::BadHeadText {
                line: begin + 1,
                why: "not a tumen ledger head",
            });
        }
        let size_s = get(1, "missing `size`")?;
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(LedgerError::BadHeadText {
                line: begin + 1,
                why: "size is not a decimal number",
            });
        }
        let size: u64 = size_s.parse().map_err(|_| LedgerError::BadHeadText {
            line: begin + 1,
            why: "size is too large",
        })?;
        let timestamp_ms =
            parse_utc_ms(get(2, "missing `time`")?).ok_or(LedgerError::BadHeadText {
                line: begin + 1,
                why: "time is not YYYY-MM-DDTHH:MM:SS.mmmZ",
            })?;
        let root = hash_from_hex(get(3, "missing `root`")?).ok_or(LedgerError::BadHeadText {
            line: begin + 1,
            why: "root is not 64 hex digits",
        })?;
        let public_key =
            hash_from_hex(get(4, "missing `key`")?).ok_or(LedgerError::BadHeadText {
                line: begin + 1,
                why: "key is not 64 hex digits",
            })?;
        let mut signature = [0u8; 64];
        hex::decode_to_slice(get(5, "missing `signature`")?, &mut signature).map_err(|_| {
            LedgerError::BadHeadText {
                line: begin + 1,
                why: "signature is not 128 hex digits",
            }
        })?;
        Ok(SignedTreeHead {
            head: TreeHead {
                size,
                root,
                timestamp_ms,
            },
            public_key,
            signature,
        })
    }
}

/// Every signed tree head block in `text`, in order (e.g. the stored list
/// of checkpoints). Fails on the first malformed block.
pub fn all_from_text(text: &str) -> Result<Vec<SignedTreeHead>, LedgerError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let block = &rest[start..];
        let end = block.find(END).ok_or(LedgerError::BadHeadText {
            line: 0,
            why: "no END line",
        })?;
        out.push(SignedTreeHead::from_text(&block[..end + END.len()])?);
        rest = &block[end + END.len()..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    // RFC 8032 §7.1, TEST 1: secret key, public key, empty message, signature.
    #[test]
    fn rfc8032_test_1() {
        let seed: [u8; 32] = h("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .try_into()
            .unwrap();
        let key = LedgerKey::from_seed(&seed);
        assert_eq!(
            key.public().to_hex(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = key.sign_bytes(b"");
        assert_eq!(
            hex::encode(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(key.public().verify_bytes(b"", &sig).is_ok());
        let mut bad = sig;
        bad[0] ^= 1;
        assert!(key.public().verify_bytes(b"", &bad).is_err());
    }

    // RFC 8032 §7.1, TEST 2: verification only (public key, message 0x72, signature).
    #[test]
    fn rfc8032_test_2_verifies() {
        let pk =
            PublicKey::from_hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
                .unwrap();
        let sig: [u8; 64] = h("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00").try_into().unwrap();
        assert!(pk.verify_bytes(&[0x72], &sig).is_ok());
        assert!(pk.verify_bytes(&[0x73], &sig).is_err());
    }

    fn key(n: u8) -> LedgerKey {
        LedgerKey::from_seed(&[n; 32])
    }

    fn head() -> TreeHead {
        TreeHead {
            size: 8,
            root: hash_from_hex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
                .unwrap(),
            timestamp_ms: 1_696_809_600_123,
        }
    }

    #[test]
    fn signed_message_layout() {
        let m = head().signed_message();
        assert_eq!(&m[..19], b"tumen-tree-head-v1\n");
        assert_eq!(&m[19..27], &[0, 0, 0, 0, 0, 0, 0, 8]);
        assert_eq!(&m[27..59], &head().root);
        assert_eq!(&m[59..67], &1_696_809_600_123i64.to_be_bytes());
        assert_eq!(m.len(), 67);
    }

    #[test]
    fn text_round_trip_inside_prose_and_verifies() {
        let sth = head().sign(&key(1));
        let text = sth.to_text();
        assert!(text.contains("time: 2023-10-09T00:00:00.123Z"));
        let wrapped = format!(
            "Annex B.\r\n\r\n{}\r\nSigned, the documentation team.\r\n",
            text.replace('\n', "\r\n    ")
        );
        let parsed = SignedTreeHead::from_text(&wrapped).unwrap();
        assert_eq!(parsed, sth);
        parsed.verify(&key(1).public()).unwrap();
        let upper = SignedTreeHead::from_text(
            &text
                .to_uppercase()
                .replace("LEDGER: TUMEN", "ledger: tumen")
                .replace("SIZE", "size")
                .replace("TIME", "time")
                .replace("ROOT", "root")
                .replace("KEY", "key")
                .replace("SIGNATURE", "signature")
                .replace("-----BEGIN TUMEN SIGNED TREE HEAD-----", BEGIN)
                .replace("-----END TUMEN SIGNED TREE HEAD-----", END)
                .replace("T00:00:00.123z", "T00:00:00.123Z"),
        );
        assert_eq!(upper.unwrap(), sth);
    }

    #[test]
    fn forged_heads_are_refused() {
        let trusted = key(1).public();
        let sth = head().sign(&key(1));
        // Signed by someone else, claiming their own key.
        assert!(matches!(
            head().sign(&key(2)).verify(&trusted),
            Err(LedgerError::WrongKey)
        ));
        // Signed by someone else, claiming the trusted key.
        let mut f = head().sign(&key(2));
        f.public_key = trusted.to_bytes();
        assert!(matches!(f.verify(&trusted), Err(LedgerError::BadSignature)));
        // Altered root, size, time, signature.
        let mut f = sth;
        f.head.root[31] ^= 1;
        assert!(f.verify(&trusted).is_err());
        let mut f = sth;
        f.head.size -= 1;
        assert!(f.verify(&trusted).is_err());
        let mut f = sth;
        f.head.timestamp_ms += 1;
        assert!(f.verify(&trusted).is_err());
        let mut f = sth;
        f.signature[10] ^= 0x40;
        assert!(f.verify(&trusted).is_err());
        // Altered in its printed form.
        let t = sth.to_text().replace("size: 8", "size: 9");
        assert!(
            SignedTreeHead::from_text(&t)
                .unwrap()
                .verify(&trusted)
                .is_err()
        );
    }

    #[test]
    fn several_heads_in_one_text() {
        let a = head().sign(&key(1));
        let b = TreeHead { size: 9, ..head() }.sign(&key(1));
        let text = format!("{}{}", a.to_text(), b.to_text());
        assert_eq!(all_from_text(&text).unwrap(), vec![a, b]);
        assert_eq!(all_from_text("").unwrap(), vec![]);
        assert!(all_from_text(&text.replace("size: 9", "size: x")).is_err());
    }

    #[test]
    fn malformed_text_is_refused_with_a_reason() {
        let good = head().sign(&key(1)).to_text();
        let cases = [
            String::new(),
            good.replace(END, ""),
            good.replace("ledger: tumen", "ledger: other"),
            good.replace("size: 8", "size: 08"),
            good.replace("size: 8", "size: -8"),
            good.replace("size: 8", "size: 99999999999999999999"),
            good.replace("time: 2023-10-09", "time: 2023-02-30"),
            good.replace("root: 5d", "root: "),
            good.replace("key: ", "key: zz"),
            good.replace("signature: ", "signature: 00"),
            good.replace("size: 8\n", "size: 8\nsize: 8\n"),
            good.replace("size: 8\n", "size: 8\nextra: 1\n"),
            good.replace("size: 8\n", ""),
            good.replace("size: 8\n", "size 8\n"),
        ];
        for (i, c) in cases.iter().enumerate() {
            assert!(
                SignedTreeHead::from_text(c).is_err(),
                "case {i} parsed: {c}"
            );
        }
    }
}
