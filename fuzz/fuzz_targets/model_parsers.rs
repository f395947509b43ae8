//! Fuzz the model's parsers of user input: partial dates, counts, record
//! JSON and CSV rows. Nothing may panic; whatever parses must print back
//! to something that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tumen_model::{Count, PartialDate, Record, RecordKind, Vocabularies, flat};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(d) = PartialDate::parse(s) {
        assert_eq!(d.to_string(), s);
        let _ = d.bounds();
    }
    if let Ok(c) = Count::parse(s) {
        assert_eq!(c.to_string(), s);
    }
    if let Ok(r) = Record::from_json(s) {
        let again = Record::from_json(&r.to_json()).expect("printed record re-parses");
        assert_eq!(again, r);
        let _ = r.validate(&Vocabularies::builtin());
        let _ = r.index_terms();
        let _ = r.redact(tumen_model::Sensitivity::Public);
        let (h, v) = flat::to_row(&r);
        let vr: Vec<&str> = v.iter().map(String::as_str).collect();
        let _ = flat::from_row(r.kind(), &h, &vr);
    }
    // Split the input into cells as a CSV row of an act.
    let cells: Vec<&str> = s.split('\t').collect();
    let cols = flat::columns(RecordKind::Act);
    let n = cells.len().min(cols.len());
    let _ = flat::from_row(RecordKind::Act, &cols[..n], &cells[..n]);
});
