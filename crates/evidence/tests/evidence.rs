//! Evidence files end to end on a real directory: acquisition, custody
//! events, no overwrite, path traversal, size limit, tampering, working
//! copies, JPEG metadata extraction and stripping, and the canary test that
//! no plaintext reaches the disk.

use std::fs;
use std::io::Read;
use std::path::Path;
use tumen_evidence::{
    CustodyAction, CustodyEvent, EvidenceError, EvidenceId, EvidenceStore, Limits,
};

const KEY: [u8; 32] = [0x42; 32];
const T: i64 = 1_764_340_000_000;

fn store(dir: &Path) -> EvidenceStore {
    EvidenceStore::open(dir, &KEY, Limits::default()).unwrap()
}

fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A JPEG built by hand: SOI, APP0 (JFIF), APP1 (Exif with Make and a GPS
/// IFD: 39°1'10" N, 125°45'15" E), APP13, DQT, SOF0, DHT, SOS + entropy data
/// (with a stuffed 0xFF00 and a restart marker), a COM between scans, a
/// second SOS + data, EOI. Returns (the file, the same file as it must look
/// with APP1, APP13 and COM removed).
fn test_jpeg() -> (Vec<u8>, Vec<u8>) {
    fn seg(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }
    // TIFF, big-endian. IFD0 at 8 with 2 entries (Make, GPS pointer).
    let mut t = Vec::new();
    t.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08");
    let ifd0_len = 2 + 2 * 12 + 4;
    let make_at = 8 + ifd0_len; // 38
    let gps_at = make_at + 8; // 46
    let gps_len = 2 + 4 * 12 + 4; // 54
    let lat_at = gps_at + gps_len; // 100
    let lon_at = lat_at + 24; // 124
    t.extend_from_slice(&2u16.to_be_bytes());
    t.extend_from_slice(&[0x01, 0x0F, 0, 2, 0, 0, 0, 8]);
    t.extend_from_slice(&(make_at as u32).to_be_bytes());
    t.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]);
    t.extend_from_slice(&(gps_at as u32).to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(b"TestCam\0");
    t.extend_from_slice(&4u16.to_be_bytes());
    t.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    t.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3]);
    t.extend_from_slice(&(lat_at as u32).to_be_bytes());
    t.extend_from_slice(&[0, 3, 0, 2, 0, 0, 0, 2, b'E', 0, 0, 0]);
    t.extend_from_slice(&[0, 4, 0, 5, 0, 0, 0, 3]);
    t.extend_from_slice(&(lon_at as u32).to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    for (n, d) in [(39u32, 1u32), (1, 1), (10, 1), (125, 1), (45, 1), (15, 1)] {
        t.extend_from_slice(&n.to_be_bytes());
        t.extend_from_slice(&d.to_be_bytes());
    }
    assert_eq!(t.len(), lon_at + 24);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&t);

    let soi = [0xFF, 0xD8];
    let app0 = seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let app1 = seg(0xE1, &exif);
    let app13 = seg(0xED, b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\0");
    let dqt = seg(0xDB, &[0u8; 65]);
    let sof = seg(0xC0, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
    let dht = seg(0xC4, &[0u8; 29]);
    let sos = seg(0xDA, &[1, 1, 0, 0, 63, 0]);
    let data1 = vec![0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78];
    let com = seg(0xFE, b"interviewed at the safe house");
    let data2 = vec![0x9A, 0xFF, 0x00, 0xBC];
    let eoi = vec![0xFF, 0xD9];
    let full = [
        &soi[..],
        &app0,
        &app1,
        &app13,
        &dqt,
        &sof,
        &dht,
        &sos,
        &data1,
        &com,
        &sos,
        &data2,
        &eoi,
    ]
    .concat();
    let clean = [
        &soi[..],
        &app0,
        &dqt,
        &sof,
        &dht,
        &sos,
        &data1,
        &sos,
        &data2,
        &eoi,
    ]
    .concat();
    (full, clean)
}

#[test]
fn acquisition_hashes_encrypts_and_reads_back() {
    let d = tempfile::tempdir().unwrap();
    let s = store(d.path());
    // FIPS 180-2 / NIST example: SHA-256("abc").
    let (id, info, ev) = s.acquire(&mut &b"abc"[..], "note.txt", "kim", T).unwrap();
    assert_eq!(
        id.to_hex(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(info.size, 3);
    assert_eq!(info.name, "note.txt");
    assert_eq!(ev.action, CustodyAction::Acquire);
    assert_eq!(ev.evidence_sha256, id.0);
    assert_eq!((ev.actor.as_str(), ev.time_ms), ("kim", T));
    let mut out = Vec::new();
    let ev = s.access(&id, &mut out, "lee", T + 1).unwrap();
    assert_eq!(out, b"abc");
    assert_eq!(ev.action, CustodyAction::Access);
    assert_eq!(s.info(&id).unwrap(), info);
    // The custody event is a ledger leaf that decodes back.
    let leaf = ev.leaf_bytes(12);
    assert_eq!(CustodyEvent::from_leaf_bytes(&leaf), Some((12, ev)));
    // A store opened later with the same key reads it; another key does not.
    let again = store(d.path());
    let mut out = Vec::new();
    again.access(&id, &mut out, "lee", T).unwrap();
    assert_eq!(out, b"abc");
    let wrong = EvidenceStore::open(d.path(), &[1; 32], Limits::default()).unwrap();
    assert!(wrong.access(&id, &mut Vec::new(), "x", T).is_err());
}

#[test]
fn large_files_stream_through_many_chunks() {
    let d = tempfile::tempdir().unwrap();
    let s = store(d.path());
    // 5 MiB + 3 bytes of a pattern, from a reader that hands out odd-sized reads.
    struct Pattern(u64, u64);
    impl Read for Pattern {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = (buf.len() as u64).min(self.1 - self.0).min(7777) as usize;
            for (k, b) in buf[..n].iter_mut().enumerate() {
                *b = (((self.0 + k as u64) * 2654435761) >> 13) as u8;
            }
            self.0 += n as u64;
            Ok(n)
        }
    }
    let len = 5 * 1024 * 1024 + 3;
    let mut want = Vec::new();
    Pattern(0, len).read_to_end(&mut want).unwrap();
    let (id, info, _) = s
        .acquire(&mut Pattern(0, len), "interview.wav", "kim", T)
        .unwrap();
    assert_eq!(info.size, len);
    use sha2::Digest;
    assert_eq!(id.0, <[u8; 32]>::from(sha2::Sha256::digest(&want)));
    let mut out = Vec::new();
    s.access(&id, &mut out, "kim", T).unwrap();
    assert!(out == want);
    s.verify(&id, "auditor", T).unwrap();
}

#[test]
fn originals_are_never_overwritten_and_are_read_only() {
    let d = tempfile::tempdir().unwrap();
    let s = store(d.path());
    let (id, _, _) = s.acquire(&mut &b"first"[..], "a.txt", "kim", T).unwrap();
    let before: Vec<(std::path::PathBuf, Vec<u8>)> = all_files(d.path())
        .into_iter()
        .map(|p| (p.clone(), fs::read(&p).unwrap()))
        .collect();
    let e = s
        .acquire(&mut &b"first"[..], "other-name.txt", "lee", T + 5)
        .unwrap_err();
    assert!(matches!(e, EvidenceError::AlreadyAcquired { .. }), "{e}");
    let after: Vec<(std::path::PathBuf, Vec<u8>)> = all_files(d.path())
        .into_iter()
        .map(|p| (p.clone(), fs::read(&p).unwrap()))
        .collect();
    assert_eq!(before, after, "a second acquisition changed the archive");
    assert_eq!(s.info(&id).unwrap().acquired_by, "kim");
    for p in all_files(&d.path().join("evidence/originals")) {
        assert!(
            fs::metadata(&p).unwrap().permissions().readonly(),
            "{} is writable",
            p.display()
        );
    }
}

#[test]
fn an_acquisition_interrupted_between_its_two_files_can_be_repeated() {
    let d = tempfile::tempdir().unwrap();
    let s = store(d.path());
    let (id, _, _) = s
        .acquire(&mut &b"statement"[..], "s.txt", "kim", T)
        .unwrap();
    // Simulate a crash after the metadata was linked but before the file was.
    for p in all_files(&d.path().join("evidence/originals")) {
        if p.extension().is_some_and(|x| x == "tev") {
            fs::remove_file(p).unwrap();
        }
    }
    assert!(s.access(&id, &mut Vec::new(), "kim", T).is_err());
    let (again, _, _) = s
        .acquire(&mut &b"statement"[..], "s.txt", "kim", T + 1)
        .unwrap();
    assert_eq!(again, id);
    let mut out = Vec::new();
    s.access(&id, &mut out, "kim", T).unwrap();
    assert_eq!(out, b"statement");
}

#[test]
fn path_traversal_in_names_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let s = store(d.path());
    for name in [
        "../x",
        "../../etc/passwd",
        "/etc/passwd",
        "a/b.jpg",
        "..\\x",
        "c:\\evil",
        "C:evil",
        "",
        ".",
        "..",
        "a\0b",
        "a\nb",
    ] {
        let e = s.acquire(&mut &b"data"[..], name, "kim", T).unwrap_err();
        assert!(
            matches!(e, EvidenceError::BadName { .. }),
            "{name:?} accepted: {e}"
        );
    }
    assert!(
        s.acquire(&mut &b"data"[..], &"x".repeat(256), "kim", T)
            .is_err()
    );
    assert!(
        all_files(d.path()).is_empty(),
        "a refused acquisition left files"
    );
    // Ids from users cannot name paths either.
    for id in ["../../etc/passwd", "ab", &"g".repeat(64)] {
        assert!(matches!(
            EvidenceId::parse(id),
            Err(EvidenceError::BadId(_))
        ));
    }
    assert!(
        s.read_working_copy("../../../../etc/passwd", &mut Vec::new())
            .is_err()
    );
    assert!(s.discard_working_copy("../originals/x").is_err());
}

#[test]
fn oversized_files_are_refused_and_leave_nothing() {
    let d = tempfile::tempdir().unwrap();
    let s = EvidenceStore::open(d.path(), &KEY, Limits { max_bytes: 100_000 }).unwrap();
    let big = vec![1u8; 100_001];
    let e = s.acquire(&mut &big[..], "big.bin", "kim", T).unwrap_err();
    assert!(
        matches!(e, EvidenceError::TooLarge { limit: 100_000 }),
        "{e}"
    );
    assert!(all_files(d.path()).is_empty());
    // Exactly at the limit is accepted.
    s.acquire(&mut &big[..100_000], "ok.bin", "kim", T).unwrap();
}

#[test]
fn tampering_with_a_stored_file_is_detected() {
    let d = tempfile::tempdir().unwrap();
    let s = store(d.path());
    let (a, _, _) = s
        .acquire(&mut &vec![5u8; 200_000][..], "a.bin", "kim", T)
        .unwrap();
    let (b, _, _) = s
        .acquire(&mut &vec![6u8; 200_000][..], "b.bin", "kim", T)
        .unwrap();
    let tev: Vec<_> = all_files(&d.path().join("evidence/originals"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "tev"))
        .collect();
    assert_eq!(tev.len(), 2);
    // Swap the two encrypted files: each still decrypts, but to the other's
    // content, which no longer hashes to the id.
    let (x, y) = (fs::read(&tev[0]).unwrap(), fs::read(&tev[1]).unwrap());
    let set = |p: &Path, v: &[u8]| {
        let mut perm = fs::metadata(p).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perm.set_readonly(false);
        fs::set_permissions(p, perm).unwrap();
        fs::write(p, v).unwrap();
    };
    set(&tev[0], &y);
    set(&tev[1], &x);
    for id in [a, b] {
        let e = s.verify(&id, "auditor", T).unwrap_err();
        assert!(matches!(e, EvidenceError::HashMismatch { .. }), "{e}");
    }
    // A flipped bit.
    let mut z = x.clone();
    z[70_000] ^= 1;
    set(&tev[1], &z);
    set(&tev[0], &y);
    let broken = if s.verify(&a, "x", T).is_err() { a } else { b };
    assert!(matches!(
        s.verify(&broken, "x", T).unwrap_err(),
        EvidenceError::Crypt { .. }
    ));
    // Truncation.
    set(&tev[1], &x[..x.len() - 100]);
    assert!(s.verify(&a, "x", T).is_err() || s.verify(&b, "x", T).is_err());
}

#[test]
fn working_copies_are_separate_from_the_original() {
    let d = tempfile::tempdir().unwrap();
    let s = store(d.path());
    let (id, _, _) = s
        .acquire(&mut &b"original testimony"[..], "t.txt", "kim", T)
        .unwrap();
    let originals = d.path().join("evidence/originals");
    let snapshot: Vec<_> = all_files(&originals)
        .into_iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    let (wid, ev) = s.working_copy(&id, "lee", T + 1).unwrap();
    assert_eq!(ev.action, CustodyAction::Copy);
    assert!(ev.detail.contains(&wid));
    assert!(
        d.path()
            .join("evidence/work")
            .join(format!("{wid}.tev"))
            .exists()
    );
    let mut out = Vec::new();
    s.read_working_copy(&wid, &mut out).unwrap();
    assert_eq!(out, b"original testimony");
    s.discard_working_copy(&wid).unwrap();
    assert!(s.read_working_copy(&wid, &mut Vec::new()).is_err());
    let after: Vec<_> = all_files(&originals)
        .into_iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    assert_eq!(snapshot, after);
    s.verify(&id, "auditor", T).unwrap();
}

#[test]
fn jpeg_gps_is_extracted_and_stripped_from_shared_copies() {
    let d = tempfile::tempdir().unwrap();
    let s = store(d.path());
    let (jpeg, clean) = test_jpeg();
    let (id, info, _) = s.acquire(&mut &jpeg[..], "photo.jpg", "kim", T).unwrap();
    assert_eq!(info.media_type, "image/jpeg");
    // 39 + 1/60 + 10/3600 and 125 + 45/60 + 15/3600, to six places.
    assert_eq!(
        info.metadata.get("gps.latitude").map(String::as_str),
        Some("39.019444")
    );
    assert_eq!(
        info.metadata.get("gps.longitude").map(String::as_str),
        Some("125.754167")
    );
    assert_eq!(
        info.metadata.get("exif.make").map(String::as_str),
        Some("TestCam")
    );
    assert_eq!(
        info.metadata.get("iptc.present").map(String::as_str),
        Some("true")
    );

    let mut shared = Vec::new();
    let ev = s
        .export(&id, &mut shared, true, "lee", T + 2, "un-submission")
        .unwrap();
    assert_eq!(
        shared, clean,
        "stripped copy is not the image without APP1/APP13/COM"
    );
    assert!(!contains(&shared, b"Exif"));
    assert!(!contains(&shared, b"TestCam"));
    assert!(!contains(&shared, b"safe house"));
    assert!(!contains(&shared, b"Photoshop"));
    // The GPS rationals (39/1, 125/1) are gone.
    assert!(!contains(&shared, &[0, 0, 0, 39, 0, 0, 0, 1]));
    assert!(!contains(&shared, &[0, 0, 0, 125, 0, 0, 0, 1]));
    assert_eq!(ev.action, CustodyAction::Export);
    use sha2::Digest;
    assert_eq!(
        ev.result_sha256,
        <[u8; 32]>::from(sha2::Sha256::digest(&shared))
    );
    assert!(ev.detail.contains("metadata_stripped"));
    assert!(ev.detail.contains("segments_removed=3"));
    // The original is untouched: an unstripped export is byte-identical.
    let mut orig = Vec::new();
    let ev = s
        .export(&id, &mut orig, false, "lee", T + 3, "court")
        .unwrap();
    assert_eq!(orig, jpeg);
    assert_eq!(ev.result_sha256, id.0);
    // A non-JPEG cannot be "cleaned": refused rather than shared as is.
    let (doc, _, _) = s
        .acquire(&mut &b"%PDF-1.4 ..."[..], "a.pdf", "kim", T)
        .unwrap();
    assert!(matches!(
        s.export(&doc, &mut Vec::new(), true, "lee", T, "x"),
        Err(EvidenceError::Jpeg { .. })
    ));
}

#[test]
fn canary_plaintext_reaches_no_file_under_the_evidence_directory() {
    let d = tempfile::tempdir().unwrap();
    let s = store(d.path());
    let canary = b"CANARY-7f3a9c-witness-Pak-Chol-Su-Hyesan";
    let mut content = Vec::new();
    for _ in 0..3000 {
        content.extend_from_slice(canary);
    }
    let name = "CANARYNAME-kim-young-hee-statement.txt";
    let (id, _, _) = s.acquire(&mut &content[..], name, "kim", T).unwrap();
    let (wid, _) = s.working_copy(&id, "kim", T).unwrap();
    let (jpeg, _) = test_jpeg();
    let (jid, _, _) = s.acquire(&mut &jpeg[..], "gps.jpg", "kim", T).unwrap();
    s.working_copy(&jid, "kim", T).unwrap();
    s.export(&id, &mut Vec::new(), false, "kim", T, "x")
        .unwrap();
    let files = all_files(d.path());
    assert!(files.len() >= 8, "{files:?}");
    for p in files {
        let bytes = fs::read(&p).unwrap();
        let fname = p.to_string_lossy().to_string();
        for needle in [
            &canary[..],
            &canary[..16],
            b"CANARYNAME",
            b"kim-young-hee",
            b"TestCam",
            b"Exif",
            b"safe house",
        ] {
            assert!(
                !contains(&bytes, needle),
                "{} holds {:?}",
                fname,
                String::from_utf8_lossy(needle)
            );
            assert!(
                !fname.contains(&*String::from_utf8_lossy(needle)),
                "file name {fname} leaks"
            );
        }
        // No confirmation oracle: file names are not the plaintext hashes.
        assert!(
            !fname.contains(&id.to_hex()) && !fname.contains(&jid.to_hex()),
            "{fname} names the plaintext hash"
        );
        assert!(!fname.contains(&wid) || fname.contains("/work/"));
    }
}

#[test]
fn reencryption_under_a_new_key_keeps_every_file_and_the_old_key_opens_none() {
    let d = tempfile::tempdir().unwrap();
    let old = store(d.path());
    // Over two chunks, so the stream is re-encrypted chunk by chunk.
    let plain: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    let (id, _, _) = old
        .acquire(&mut &plain[..], "interview.wav", "kim", 1)
        .unwrap();
    let (wid, _) = old.working_copy(&id, "kim", 2).unwrap();
    let new_key = [9u8; 32];
    let new_dir = d.path().join("evidence-next");
    let new = EvidenceStore::open_dir(&new_dir, &new_key, Limits::default()).unwrap();
    assert_eq!(old.reencrypt_into(&new).unwrap(), 2);
    // The new files hold the same plaintext and metadata.
    let mut out = Vec::new();
    new.access(&id, &mut out, "kim", 3).unwrap();
    assert_eq!(out, plain);
    assert_eq!(new.info(&id).unwrap().name, "interview.wav");
    let mut copy = Vec::new();
    new.read_working_copy(&wid, &mut copy).unwrap();
    assert_eq!(copy, plain);
    // The old key opens none of the new files (names nor contents).
    let with_old_key = EvidenceStore::open_dir(&new_dir, &KEY, Limits::default()).unwrap();
    assert!(with_old_key.access(&id, &mut Vec::new(), "kim", 4).is_err());
    assert!(with_old_key.list().is_err());
    assert!(
        with_old_key
            .read_working_copy(&wid, &mut Vec::new())
            .is_err()
    );
    // No new file is byte-equal to an old one, and none holds plaintext.
    let old_files: Vec<Vec<u8>> = all_files(&d.path().join("evidence"))
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    for p in all_files(&new_dir) {
        let b = fs::read(&p).unwrap();
        assert!(!old_files.contains(&b), "{}", p.display());
        assert!(!contains(&b, b"interview.wav"), "{}", p.display());
        assert!(!contains(&b, &plain[1000..1100]), "{}", p.display());
    }
}
