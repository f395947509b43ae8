//! Evidence files through the binary: acquisition (hash, encryption,
//! Exif/GPS extraction), listing by role, exports stripped for sharing,
//! custody entries in the ledger, and a tampered file found by
//! `tumen evidence verify`.

mod common;
use common::{contains, files_below};

use std::path::Path;
use std::process::{Command, Output};
use tumen_model::{Record, RecordId, Sensitivity};
use tumen_service::{Archive, InitOptions, local_administrator};

const PW: &str = "correct horse battery staple";
const USER_PW: &str = "blue-lantern-quietly-47";

fn tumen(data: &Path, user: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tumen"));
    c.arg("--data")
        .arg(data)
        .args(args)
        .env("TUMEN_PASSPHRASE", PW)
        .env_remove("TUMEN_USER")
        .env("TUMEN_USER_PASSWORD", USER_PW)
        .env("TUMEN_NEW_PASSWORD", USER_PW);
    if let Some(u) = user {
        c.env("TUMEN_USER", u);
    }
    c.output().expect("run tumen")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The demo archive; returns (a public record id, a confidential one).
fn archive(dir: &Path) -> (RecordId, RecordId) {
    let archive = Archive::init(dir, PW, InitOptions::insecure_fast_for_tests()).expect("init");
    let session = archive.session(local_administrator("kim"));
    let mut pending: Vec<Record> = include_str!("../../../data/demo/records.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Record::from_json(l).expect("demo record"))
        .collect();
    let pick = |s: Sensitivity| {
        pending
            .iter()
            .find(|r| r.envelope().sensitivity == s && r.envelope().access_groups.is_empty())
            .map(|r| r.id().clone())
            .expect("a record")
    };
    let ids = (pick(Sensitivity::Public), pick(Sensitivity::Confidential));
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|r| session.create(r).is_err());
        assert!(pending.len() < before, "cannot create the demo records");
    }
    ids
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
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
fn add_list_export_stripped_and_custody_in_the_ledger() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let (public, confidential) = archive(&data);
    assert!(
        tumen(&data, None, &["user", "add", "ana", "--role", "analyst"])
            .status
            .success()
    );
    let (jpeg, clean) = test_jpeg();
    let photo = tmp.path().join("safe-house.jpg");
    std::fs::write(&photo, &jpeg).expect("photo");

    let o = tumen(
        &data,
        None,
        &[
            "evidence",
            "add",
            photo.to_str().expect("p"),
            "--record",
            public.as_str(),
            "--note",
            "photo from the witness",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let hash = hex(&tumen_ledger::sha256(&jpeg));
    assert!(text(&o).starts_with(&hash), "{}", text(&o));
    // The same file for the confidential record too.
    let o = tumen(
        &data,
        None,
        &[
            "evidence",
            "add",
            photo.to_str().expect("p"),
            "--record",
            confidential.as_str(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));

    // Neither the picture nor its GPS or camera is in clear on disk.
    for f in files_below(&data) {
        let b = std::fs::read(&f).expect("read");
        assert!(
            !contains(&b, b"TestCam") && !contains(&b, b"safe house"),
            "{}",
            f.display()
        );
        assert!(!contains(&b, b"safe-house.jpg"), "{}", f.display());
    }

    // The administrator sees the metadata; the analyst sees the file, not
    // where it was taken, and nothing of the confidential record.
    let t = text(&tumen(&data, None, &["evidence", "list", public.as_str()]));
    assert!(
        t.contains(&hash) && t.contains("39.019444") && t.contains("safe-house.jpg"),
        "{t}"
    );
    let t = text(&tumen(
        &data,
        Some("ana"),
        &["evidence", "list", public.as_str()],
    ));
    assert!(t.contains(&hash) && t.contains("(name withheld)"), "{t}");
    assert!(
        !t.contains("39.019") && !t.contains("TestCam") && !t.contains("safe-house"),
        "{t}"
    );
    let o = tumen(
        &data,
        Some("ana"),
        &["evidence", "list", confidential.as_str()],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("does not exist"), "{}", text(&o));

    // The file is attached to a confidential record, so an analyst may not
    // export it at all; the administrator exports a stripped copy.
    let out = tmp.path().join("shared.jpg");
    let o = tumen(
        &data,
        Some("ana"),
        &[
            "evidence",
            "export",
            &hash,
            "--out",
            out.to_str().expect("o"),
            "--strip",
        ],
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(!out.exists());
    let o = tumen(
        &data,
        None,
        &[
            "evidence",
            "export",
            &hash,
            "--out",
            out.to_str().expect("o"),
            "--strip",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read(&out).expect("copy"),
        clean,
        "Exif, GPS, IPTC and comments removed"
    );
    assert!(
        text(&o).contains(&hex(&tumen_ledger::sha256(&clean))),
        "{}",
        text(&o)
    );
    // Never overwrites.
    let o = tumen(
        &data,
        None,
        &[
            "evidence",
            "export",
            &hash,
            "--out",
            out.to_str().expect("o"),
        ],
    );
    assert!(!o.status.success());
    let full = tmp.path().join("full.jpg");
    let o = tumen(
        &data,
        None,
        &[
            "evidence",
            "export",
            &hash,
            "--out",
            full.to_str().expect("o"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&full).expect("copy"), jpeg);

    // Re-hash everything, then the ledger: 2 acquisitions, 2 exports, 1 check.
    let o = tumen(&data, None, &["evidence", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("1 evidence file(s) checked, 1 intact, 0 bad"),
        "{}",
        text(&o)
    );
    let o = tumen(&data, None, &["verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("and 5 evidence custody events"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_tampered_evidence_file_is_detected() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let (public, _) = archive(&data);
    let f = tmp.path().join("statement.txt");
    std::fs::write(&f, "the witness statement, page 1".repeat(100)).expect("write");
    let o = tumen(
        &data,
        None,
        &[
            "evidence",
            "add",
            f.to_str().expect("f"),
            "--record",
            public.as_str(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(tumen(&data, None, &["evidence", "verify"]).status.success());

    let original = files_below(&data.join("evidence").join("originals"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "tev"))
        .expect("an original");
    let mut perm = std::fs::metadata(&original).expect("meta").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&original, perm).expect("chmod");
    let mut b = std::fs::read(&original).expect("read");
    let mid = b.len() / 2;
    b[mid] ^= 0x01;
    std::fs::write(&original, &b).expect("tamper");

    let o = tumen(&data, None, &["evidence", "verify"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("1 evidence file(s) checked, 0 intact, 1 bad"),
        "{t}"
    );
    // A tampered file is not exported either.
    let hash = t
        .lines()
        .find_map(|l| l.strip_prefix("BAD "))
        .and_then(|l| l.split(':').next())
        .expect("named")
        .to_string();
    let out = tmp.path().join("copy.txt");
    let o = tumen(
        &data,
        None,
        &[
            "evidence",
            "export",
            &hash,
            "--out",
            out.to_str().expect("o"),
        ],
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(!out.exists(), "a failed export leaves nothing");
}

#[test]
fn path_like_hashes_and_unknown_records_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    archive(&data);
    let out = tmp.path().join("x");
    let o = tumen(
        &data,
        None,
        &[
            "evidence",
            "export",
            "../../keyring.json",
            "--out",
            out.to_str().expect("o"),
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("is not 64 hexadecimal digits"),
        "{}",
        text(&o)
    );
    let f = tmp.path().join("a.txt");
    std::fs::write(&f, "x").expect("w");
    let o = tumen(
        &data,
        None,
        &[
            "evidence",
            "add",
            f.to_str().expect("f"),
            "--record",
            "no-such-record",
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("does not exist"), "{}", text(&o));
}
