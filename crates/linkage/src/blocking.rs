//! Blocking: which pairs of records are compared at all. A rule is a list of
//! key parts (a field, possibly transformed: a prefix, a birth year, the
//! names library's cross-script keys); two records are a candidate pair under
//! a rule when they share a key. The candidates are the union over the rules.
//!
//! Before a single pair is materialised, every rule's pair count is computed
//! from its block sizes; a rule (or the union) above the configured cap is
//! refused with the rule's name and its count. Ten million records with the
//! surname Kim blocked on surname alone is 5×10¹³ pairs: refused in a second,
//! not an out-of-memory crash. Each pair is emitted once: by the first rule
//! that finds it, and within a rule by the smallest key the two records share.

use crate::LinkMode;
use crate::compare::NameComparator;
use crate::data::{Dataset, FieldKind};
use crate::date;
use crate::error::LinkError;
use crate::strsim::{hash_str, mix, normalize};
use serde::{Deserialize, Serialize};

/// How a field's value becomes a blocking key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyTransform {
    /// The normalised value.
    Exact,
    /// The first `n` characters of the normalised value.
    Prefix(u8),
    /// The year of a date.
    Year,
    /// The name comparator's keys (cross-script for person names); a record
    /// may have several.
    NameKeys,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPart {
    pub field: String,
    pub transform: KeyTransform,
}

/// A blocking rule: records sharing every key part are compared. With
/// `any_order`, the parts' values may appear in either order (given name and
/// surname swapped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockingRule {
    pub name: String,
    pub parts: Vec<KeyPart>,
    pub any_order: bool,
}

impl BlockingRule {
    /// Parses `field[:transform]+field[:transform]…`, optionally prefixed by
    /// `any-order:`. Transforms: `exact` (default), `prefixN`, `year`, `keys`.
    /// Example: `surname:prefix3+birth_date:year`, `any-order:given_name+surname`.
    pub fn parse(spec: &str) -> Result<BlockingRule, LinkError> {
        let spec = spec.trim();
        let (any_order, body) = match spec.strip_prefix("any-order:") {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let mut parts = Vec::new();
        for p in body.split('+').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, t) = match p.rsplit_once(':') {
                Some((f, t)) => (f.trim(), t.trim().to_ascii_lowercase()),
                None => (p, "exact".to_string()),
            };
            let transform = match t.as_str() {
                "exact" => KeyTransform::Exact,
                "year" => KeyTransform::Year,
                "keys" | "namekeys" => KeyTransform::NameKeys,
                _ => match t.strip_prefix("prefix").and_then(|n| n.parse::<u8>().ok()) {
                    Some(n) if n > 0 => KeyTransform::Prefix(n),
                    _ => {
                        return Err(LinkError::InvalidOption {
                            name: "blocking rule",
                            why: format!(
                                "`{spec}`: unknown transform `{t}` (use exact, prefixN, year, keys)"
                            ),
                        });
                    }
                },
            };
            parts.push(KeyPart {
                field: field.to_string(),
                transform,
            });
        }
        if parts.is_empty() {
            return Err(LinkError::EmptyBlockingRule(spec.to_string()));
        }
        Ok(BlockingRule {
            name: spec.to_string(),
            parts,
            any_order,
        })
    }
}

/// Blocking rules suited to the fields present, in the spirit of Splink's
/// published FEBRL4 settings: names (either order), birth date, each
/// identifier, street number with address, postcode, and for whole person
/// names the cross-script name keys.
pub fn default_rules(fields: &[crate::data::FieldSpec]) -> Vec<BlockingRule> {
    let of = |k: FieldKind| {
        fields
            .iter()
            .filter(move |f| f.kind == k)
            .map(|f| f.name.clone())
    };
    let mut specs: Vec<String> = Vec::new();
    let given: Vec<String> = of(FieldKind::GivenName).collect();
    let sur: Vec<String> = of(FieldKind::Surname).collect();
    if let (Some(g), Some(s)) = (given.first(), sur.first()) {
        specs.push(format!("any-order:{g}+{s}"));
    }
    for n in of(FieldKind::PersonName) {
        specs.push(format!("{n}:keys"));
    }
    for b in of(FieldKind::BirthDate) {
        specs.push(b.clone());
    }
    for i in of(FieldKind::Identifier) {
        specs.push(i);
    }
    if let (Some(n), Some(a)) = (of(FieldKind::Number).next(), of(FieldKind::Address).next()) {
        specs.push(format!("{n}+{a}"));
    }
    if let (Some(c), Some(a)) = (
        of(FieldKind::Category).next(),
        of(FieldKind::Address).next(),
    ) {
        specs.push(format!("{c}+{a}"));
    }
    for p in of(FieldKind::Postcode) {
        specs.push(p);
    }
    // Person name without a birth date rule: add name keys with place.
    if specs.is_empty() {
        if let Some(f) = fields.first() {
            specs.push(f.name.clone());
        }
    }
    specs
        .iter()
        .filter_map(|s| BlockingRule::parse(s).ok())
        .collect()
}

/// Per-record keys of one rule, in compressed-row form.
struct RuleKeys {
    offsets: Vec<u32>,
    keys: Vec<u64>,
}

impl RuleKeys {
    fn of(&self, r: u32) -> &[u64] {
        let r = r as usize;
        match (self.offsets.get(r), self.offsets.get(r + 1)) {
            (Some(a), Some(b)) => self.keys.get(*a as usize..*b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

fn shared_min(a: &[u64], b: &[u64]) -> Option<u64> {
    // Both sorted ascending.
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return Some(a[i]),
        }
    }
    None
}

/// What one rule contributed.
#[derive(Clone, Debug, Serialize)]
pub struct RuleReport {
    pub rule: String,
    /// Pairs the rule's blocks hold (before removing pairs an earlier rule found).
    pub pairs_in_blocks: u128,
    /// Largest block (records sharing one key).
    pub largest_block: u64,
    /// New candidate pairs this rule added to the union.
    pub new_pairs: u64,
}

const MAX_KEYS_PER_RECORD: usize = 32;

/// The blocks of every rule, counted and accepted under the cap.
pub(crate) struct Blocks {
    keys: Vec<RuleKeys>,
    entries: Vec<Vec<(u64, u32)>>,
    pub reports: Vec<RuleReport>,
}

/// Candidate pairs and what each rule contributed.
#[cfg(test)]
type Candidates = (Vec<(u32, u32)>, Vec<RuleReport>);

/// Computes candidate pairs (a < b by record number) for the rules, refusing
/// any rule or union above `cap`.
#[cfg(test)]
pub(crate) fn candidates(
    data: &Dataset,
    names: &dyn NameComparator,
    rules: &[BlockingRule],
    mode: LinkMode,
    cap: u64,
    threads: usize,
) -> Result<Candidates, LinkError> {
    let mut blocks = plan(data, names, rules, mode, cap)?;
    let pairs = blocks.union_pairs(data, mode, threads);
    Ok((pairs, blocks.reports))
}

/// Computes every rule's keys and block sizes; refuses any rule, or the
/// union, above `cap` before a pair is generated.
pub(crate) fn plan(
    data: &Dataset,
    names: &dyn NameComparator,
    rules: &[BlockingRule],
    mode: LinkMode,
    cap: u64,
) -> Result<Blocks, LinkError> {
    let n = data.len();
    let mut all_keys: Vec<RuleKeys> = Vec::with_capacity(rules.len());
    let mut reports = Vec::with_capacity(rules.len());
    let mut sorted_entries: Vec<Vec<(u64, u32)>> = Vec::with_capacity(rules.len());
    let mut total: u128 = 0;
    for rule in rules {
        // Key values per part per distinct value.
        let mut part_fields = Vec::with_capacity(rule.parts.len());
        let mut part_tables: Vec<Vec<Vec<u64>>> = Vec::with_capacity(rule.parts.len());
        for p in &rule.parts {
            let f = data
                .fields()
                .iter()
                .position(|f| f.name == p.field)
                .ok_or_else(|| LinkError::UnknownBlockingField {
                    rule: rule.name.clone(),
                    field: p.field.clone(),
                })?;
            let col = &data.columns[f];
            let table: Vec<Vec<u64>> = col
                .dict
                .iter()
                .map(|v| part_keys(v, &p.transform, data.fields()[f].kind, names))
                .collect();
            part_fields.push(f);
            part_tables.push(table);
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut keys: Vec<u64> = Vec::new();
        offsets.push(0u32);
        let mut combo: Vec<u64> = Vec::new();
        let mut several: Vec<u64> = Vec::new();
        for r in 0..n {
            combo.clear();
            combo.push(0);
            let mut ok = true;
            for (pi, (&f, table)) in part_fields.iter().zip(&part_tables).enumerate() {
                let col = &data.columns[f];
                let code = col.codes[r];
                let keys_of = |c: u32| -> &[u64] {
                    if c == 0 {
                        &[]
                    } else {
                        table.get(c as usize - 1).map_or(&[], |v| v)
                    }
                };
                let alts = col.alternates(r as u32);
                let pk: &[u64] = if alts.is_empty() {
                    keys_of(code)
                } else {
                    // A record with several spellings: the keys of all.
                    several.clear();
                    several.extend_from_slice(keys_of(code));
                    for c in alts {
                        several.extend_from_slice(keys_of(*c));
                    }
                    several.sort_unstable();
                    several.dedup();
                    &several
                };
                if pk.is_empty() {
                    ok = false;
                    break;
                }
                let mut next = Vec::with_capacity(combo.len() * pk.len());
                for c in &combo {
                    for k in pk {
                        let part = if rule.any_order {
                            *k
                        } else {
                            mix(*k ^ (pi as u64 + 1).wrapping_mul(0x9E37_79B9))
                        };
                        // any-order: combine commutatively.
                        next.push(if rule.any_order {
                            c.wrapping_add(mix(part))
                        } else {
                            mix(c ^ part)
                        });
                        if next.len() >= MAX_KEYS_PER_RECORD {
                            break;
                        }
                    }
                }
                combo = next;
            }
            if ok {
                let start = keys.len();
                keys.extend_from_slice(&combo);
                keys[start..].sort_unstable();
                let mut w = start;
                for i in start..keys.len() {
                    if i == start || keys[i] != keys[w - 1] {
                        keys[w] = keys[i];
                        w += 1;
                    }
                }
                keys.truncate(w);
            }
            let off = u32::try_from(keys.len()).map_err(|_| LinkError::TooManyRecords)?;
            offsets.push(off);
        }
        let rk = RuleKeys { offsets, keys };
        let mut entries: Vec<(u64, u32)> = Vec::with_capacity(rk.keys.len());
        for r in 0..n as u32 {
            for k in rk.of(r) {
                entries.push((*k, r));
            }
        }
        entries.sort_unstable();
        // Count pairs from block sizes.
        let mut pairs: u128 = 0;
        let mut largest: u64 = 0;
        for_each_block(&entries, |block| {
            largest = largest.max(block.len() as u64);
            pairs += block_pairs(block, data, mode);
        });
        if pairs > u128::from(cap) {
            return Err(LinkError::RuleTooBroad {
                rule: rule.name.clone(),
                pairs,
                cap,
                largest_block: largest,
            });
        }
        total += pairs;
        reports.push(RuleReport {
            rule: rule.name.clone(),
            pairs_in_blocks: pairs,
            largest_block: largest,
            new_pairs: 0,
        });
        all_keys.push(rk);
        sorted_entries.push(entries);
    }
    if total > u128::from(cap) {
        let biggest = reports.iter().max_by_key(|r| r.pairs_in_blocks);
        return Err(LinkError::TooManyPairs {
            pairs: total,
            cap,
            largest_rule: biggest.map(|r| r.rule.clone()).unwrap_or_default(),
            largest_pairs: biggest.map_or(0, |r| r.pairs_in_blocks),
        });
    }
    Ok(Blocks {
        keys: all_keys,
        entries: sorted_entries,
        reports,
    })
}

impl Blocks {
    /// The union of all rules' pairs, each once, rule by rule; sets each
    /// report's `new_pairs`.
    pub(crate) fn union_pairs(
        &mut self,
        data: &Dataset,
        mode: LinkMode,
        threads: usize,
    ) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for ri in 0..self.entries.len() {
            let before = out.len();
            out.extend(self.rule_pairs(ri, true, data, mode, threads));
            if let Some(r) = self.reports.get_mut(ri) {
                r.new_pairs = (out.len() - before) as u64;
            }
        }
        out
    }

    /// Whether records `a` and `b` share a key of rule `ri` (whether the
    /// rule makes them a candidate pair, the mode aside).
    pub(crate) fn in_rule(&self, ri: usize, a: u32, b: u32) -> bool {
        self.keys
            .get(ri)
            .is_some_and(|k| shared_min(k.of(a), k.of(b)).is_some())
    }

    /// The pairs of rule `ri`; with `union`, without those an earlier rule
    /// found.
    pub(crate) fn rule_pairs(
        &self,
        ri: usize,
        union: bool,
        data: &Dataset,
        mode: LinkMode,
        threads: usize,
    ) -> Vec<(u32, u32)> {
        let Some(entries) = self.entries.get(ri) else {
            return Vec::new();
        };
        let mut blocks: Vec<(usize, usize, u64)> = Vec::new();
        let mut start = 0;
        for_each_block_range(entries, |s, e| {
            if e - s > 1 {
                let np = ((e - s) * (e - s - 1) / 2) as u64;
                blocks.push((s, e, np));
            }
            start = e;
        });
        let total_work: u64 = blocks.iter().map(|b| b.2).sum();
        let threads = threads.max(1);
        let per = total_work / threads as u64 + 1;
        let mut chunks: Vec<&[(usize, usize, u64)]> = Vec::new();
        let mut acc = 0u64;
        let mut cs = 0usize;
        for (i, b) in blocks.iter().enumerate() {
            acc += b.2;
            if acc >= per && chunks.len() + 1 < threads {
                chunks.push(&blocks[cs..=i]);
                cs = i + 1;
                acc = 0;
            }
        }
        chunks.push(&blocks[cs..]);
        let keys_ref = &self.keys;
        let earlier = if union { ri } else { 0 };
        let results: Vec<Vec<(u32, u32)>> = std::thread::scope(|sc| {
            let handles: Vec<_> = chunks
                .iter()
                .map(|chunk| {
                    sc.spawn(move || {
                        let mut v = Vec::new();
                        for &(s, e, _) in chunk.iter() {
                            emit_block(&entries[s..e], ri, earlier, keys_ref, data, mode, &mut v);
                        }
                        v
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        results.concat()
    }
}

fn emit_block(
    block: &[(u64, u32)],
    ri: usize,
    earlier: usize,
    keys: &[RuleKeys],
    data: &Dataset,
    mode: LinkMode,
    out: &mut Vec<(u32, u32)>,
) {
    let Some(&(key, _)) = block.first() else {
        return;
    };
    for x in 0..block.len() {
        let a = block[x].1;
        let ka = keys[ri].of(a);
        let multi_a = ka.len() > 1;
        for item in &block[x + 1..] {
            let b = item.1;
            if !mode.allows(data.source(a), data.source(b)) {
                continue;
            }
            if (multi_a || keys[ri].of(b).len() > 1) && shared_min(ka, keys[ri].of(b)) != Some(key)
            {
                continue;
            }
            if keys[..earlier]
                .iter()
                .any(|k| shared_min(k.of(a), k.of(b)).is_some())
            {
                continue;
            }
            out.push((a.min(b), a.max(b)));
        }
    }
}

fn for_each_block(entries: &[(u64, u32)], mut f: impl FnMut(&[(u64, u32)])) {
    for_each_block_range(entries, |s, e| f(&entries[s..e]));
}

fn for_each_block_range(entries: &[(u64, u32)], mut f: impl FnMut(usize, usize)) {
    let mut s = 0;
    while s < entries.len() {
        let k = entries[s].0;
        let mut e = s + 1;
        while e < entries.len() && entries[e].0 == k {
            e += 1;
        }
        f(s, e);
        s = e;
    }
}

fn block_pairs(block: &[(u64, u32)], data: &Dataset, mode: LinkMode) -> u128 {
    let n = block.len() as u128;
    let all = n * n.saturating_sub(1) / 2;
    match mode {
        LinkMode::Dedupe | LinkMode::LinkAndDedupe => all,
        LinkMode::Link => {
            if n < 2 {
                return 0;
            }
            let mut srcs: Vec<u16> = block.iter().map(|(_, r)| data.source(*r)).collect();
            srcs.sort_unstable();
            let mut same: u128 = 0;
            let mut s = 0;
            while s < srcs.len() {
                let mut e = s + 1;
                while e < srcs.len() && srcs[e] == srcs[s] {
                    e += 1;
                }
                let k = (e - s) as u128;
                same += k * (k - 1) / 2;
                s = e;
            }
            all - same
        }
    }
}

fn part_keys(v: &str, t: &KeyTransform, kind: FieldKind, names: &dyn NameComparator) -> Vec<u64> {
    let norm = || -> String {
        match kind {
            FieldKind::Identifier
            | FieldKind::Postcode
            | FieldKind::Number
            | FieldKind::BirthDate
            | FieldKind::Date => normalize(v).replace(' ', ""),
            _ => normalize(v),
        }
    };
    match t {
        KeyTransform::Exact => {
            let n = norm();
            if n.is_empty() {
                vec![]
            } else {
                vec![hash_str(&n)]
            }
        }
        KeyTransform::Prefix(k) => {
            let n: String = norm().chars().take(*k as usize).collect();
            if n.is_empty() {
                vec![]
            } else {
                vec![hash_str(&n)]
            }
        }
        KeyTransform::Year => date::parse(v)
            .map(|d| vec![mix(u64::from(d.year) + 0x5eed)])
            .unwrap_or_default(),
        KeyTransform::NameKeys => {
            let mut k = names.blocking_keys(v);
            k.sort_unstable();
            k.dedup();
            k
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::GenericNames;
    use crate::data::FieldSpec;

    fn ds(rows: &[(&str, u16, &str, &str)]) -> Dataset {
        let mut d = Dataset::new(vec![
            FieldSpec::new("given", FieldKind::GivenName),
            FieldSpec::new("sur", FieldKind::Surname),
        ])
        .unwrap();
        d.add_source("a").unwrap();
        d.add_source("b").unwrap();
        for (id, s, g, n) in rows {
            d.push(id, *s, &[Some(g), Some(n)]).unwrap();
        }
        d
    }

    fn run(
        d: &Dataset,
        rules: &[&str],
        mode: LinkMode,
        cap: u64,
    ) -> Result<Vec<(u32, u32)>, LinkError> {
        let rules: Vec<BlockingRule> = rules
            .iter()
            .map(|r| BlockingRule::parse(r).unwrap())
            .collect();
        let mut p = candidates(d, &GenericNames, &rules, mode, cap, 2)?.0;
        p.sort_unstable();
        Ok(p)
    }

    #[test]
    fn union_without_duplicates_and_any_order() {
        let d = ds(&[
            ("1", 0, "chol", "kim"),
            ("2", 1, "chol", "kim"),
            ("3", 1, "kim", "chol"),
            ("4", 1, "chol", "pak"),
            ("5", 0, "x", "kim"),
        ]);
        // Brute force reference: pairs sharing given, or sharing surname.
        let got = run(&d, &["given", "sur"], LinkMode::Dedupe, 100).unwrap();
        assert_eq!(got, vec![(0, 1), (0, 3), (0, 4), (1, 3), (1, 4)]);
        let got = run(&d, &["any-order:given+sur"], LinkMode::Dedupe, 100).unwrap();
        assert_eq!(got, vec![(0, 1), (0, 2), (1, 2)]);
        let got = run(&d, &["given", "sur"], LinkMode::Link, 100).unwrap();
        assert_eq!(got, vec![(0, 1), (0, 3), (1, 4)]);
    }

    /// A rule's own pairs (what EM trains on) are exactly the union's
    /// pairs that share one of the rule's keys: the session is taken from
    /// the candidates by `in_rule` instead of being enumerated again.
    #[test]
    fn in_rule_picks_each_rules_pairs_out_of_the_union() {
        let d = ds(&[
            ("1", 0, "chol", "kim"),
            ("2", 1, "chol", "kim"),
            ("3", 1, "kim", "chol"),
            ("4", 1, "chol", "pak"),
            ("5", 0, "x", "kim"),
            ("6", 0, "chol", "x"),
            ("7", 1, "x", "pak"),
        ]);
        let rules: Vec<BlockingRule> = ["given", "sur", "any-order:given+sur"]
            .iter()
            .map(|r| BlockingRule::parse(r).unwrap())
            .collect();
        for mode in [LinkMode::Dedupe, LinkMode::Link] {
            let mut blocks = plan(&d, &GenericNames, &rules, mode, 100).unwrap();
            let union = blocks.union_pairs(&d, mode, 2);
            for ri in 0..rules.len() {
                let mut own = blocks.rule_pairs(ri, false, &d, mode, 2);
                own.sort_unstable();
                let mut picked: Vec<(u32, u32)> = union
                    .iter()
                    .copied()
                    .filter(|&(a, b)| blocks.in_rule(ri, a, b))
                    .collect();
                picked.sort_unstable();
                assert_eq!(picked, own, "rule {ri} {mode:?}");
            }
        }
    }

    #[test]
    fn prefix_transform() {
        let d = ds(&[
            ("1", 0, "chol", "kim"),
            ("2", 0, "choe", "kim"),
            ("3", 0, "pak", "kim"),
        ]);
        assert_eq!(
            run(&d, &["given:prefix3"], LinkMode::Dedupe, 100).unwrap(),
            vec![(0, 1)]
        );
        assert!(BlockingRule::parse("given:prefix0").is_err());
        assert!(BlockingRule::parse("given:soundex").is_err());
        assert!(BlockingRule::parse("  ").is_err());
        assert!(matches!(
            run(&d, &["nosuch"], LinkMode::Dedupe, 100),
            Err(LinkError::UnknownBlockingField { .. })
        ));
    }

    #[test]
    fn cap_refuses_with_rule_and_count() {
        let rows: Vec<(String, u16)> = (0..1000).map(|i| (i.to_string(), 0)).collect();
        let rows: Vec<(&str, u16, &str, &str)> = rows
            .iter()
            .map(|(i, s)| (i.as_str(), *s, "x", "kim"))
            .collect();
        let d = ds(&rows);
        match run(&d, &["sur"], LinkMode::Dedupe, 1000) {
            Err(LinkError::RuleTooBroad {
                rule,
                pairs,
                largest_block,
                ..
            }) => {
                assert_eq!(rule, "sur");
                assert_eq!(pairs, 1000 * 999 / 2);
                assert_eq!(largest_block, 1000);
            }
            other => panic!("expected refusal, got {other:?}"),
        }
        // Two rules each under the cap whose union bound exceeds it.
        match run(&d, &["sur", "given"], LinkMode::Dedupe, 600_000) {
            Err(LinkError::TooManyPairs { pairs, .. }) => assert_eq!(pairs, 2 * 499_500),
            other => panic!("expected refusal, got {other:?}"),
        }
    }
}
