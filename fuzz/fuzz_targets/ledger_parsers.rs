//! Fuzz what tumen's ledger and evidence code read from outside: published
//! signed tree heads (text), inclusion and consistency proofs (any sizes,
//! any hashes), custody-event ledger entries, and JPEG files (metadata
//! extraction and stripping). Nothing may panic or hang; whatever parses
//! must print back to something that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tumen_evidence::{CustodyEvent, jpeg};
use tumen_ledger::head::all_from_text;
use tumen_ledger::{
    Hash, MerkleTree, SignedTreeHead, leaf_hash, verify_consistency, verify_inclusion,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(h) = SignedTreeHead::from_text(s) {
            // Times outside years 0000..=9999 do not print back in the parsed form.
            if let Ok(again) = SignedTreeHead::from_text(&h.to_text()) {
                assert_eq!(again, h);
            }
        }
        let _ = all_from_text(s);
    }
    if data.len() >= 16 {
        let a = u64::from_le_bytes(data[..8].try_into().unwrap());
        let b = u64::from_le_bytes(data[8..16].try_into().unwrap());
        let hashes: Vec<Hash> = data[16..]
            .chunks_exact(32)
            .map(|c| c.try_into().unwrap())
            .collect();
        let (x, rest) = hashes
            .split_first()
            .map_or((leaf_hash(b""), &hashes[..]), |(x, r)| (*x, r));
        let _ = verify_inclusion(a, b, &x, rest, &x);
        let _ = verify_consistency(a, b, &x, &x, rest);
        // Small real trees: proofs for fuzzed positions verify.
        let n = b % 200;
        if n > 0 {
            let t = MerkleTree::from_leaf_hashes((0..n).map(|i| leaf_hash(&i.to_le_bytes())));
            let i = a % n;
            let p = t.inclusion_proof(i, n).unwrap();
            assert!(verify_inclusion(i, n, &t.leaf(i).unwrap(), &p, &t.root()).is_ok());
            let m = a % (n + 1);
            let p = t.consistency_proof(m, n).unwrap();
            assert!(verify_consistency(m, n, &t.root_at(m).unwrap(), &t.root(), &p).is_ok());
        }
    }
    if let Some((seq, e)) = CustodyEvent::from_leaf_bytes(data) {
        assert_eq!(e.leaf_bytes(seq), data);
    }
    let _ = jpeg::extract_metadata(data);
    let mut out = Vec::new();
    if jpeg::strip_metadata(&mut &data[..], &mut out).is_ok() {
        // A stripped image has nothing left to strip.
        let mut again = Vec::new();
        assert_eq!(jpeg::strip_metadata(&mut &out[..], &mut again).unwrap(), 0);
        assert_eq!(again, out);
    }
});
