//! Fuzz the linkage inputs a user controls: dates, blocking rule specs, and
//! whole small datasets through `link` (must never panic).
#![no_main]
use libfuzzer_sys::fuzz_target;
use tumen_linkage::{BlockingRule, Dataset, FieldKind, FieldSpec, LinkRequest, date, link};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = date::parse(s);
    let _ = BlockingRule::parse(s);
    let Ok(mut d) = Dataset::new(vec![
        FieldSpec::new("name", FieldKind::PersonName),
        FieldSpec::new("birth", FieldKind::BirthDate),
        FieldSpec::new("id_no", FieldKind::Identifier),
        FieldSpec::new("addr", FieldKind::Address),
    ]) else { return };
    let Ok(src) = d.add_source("fuzz") else { return };
    for (i, line) in s.lines().take(200).enumerate() {
        let mut f = line.split(',');
        let v: Vec<Option<&str>> = (0..4).map(|_| f.next()).collect();
        let _ = d.push(&i.to_string(), src, &v);
    }
    let req = LinkRequest { u_sample_pairs: 1000, max_pairs: 10_000, ..LinkRequest::default() };
    if let Ok(r) = link(&d, &req) {
        for p in r.pairs.iter().take(5) {
            let _ = r.explain(&d, p.a, p.b).to_string();
        }
    }
});
