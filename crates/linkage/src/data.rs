//! The records handed to linkage, held column by column with every distinct
//! value stored once. Lists of people repeat the same surnames, years and
//! places over and over; interning them makes exact comparisons a number
//! comparison, makes term frequencies a count, and keeps ten million records
//! of "Kim" in a few hundred megabytes instead of gigabytes.

use crate::error::LinkError;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// What a field holds, which decides how it is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A whole person name in any script ("Kim Chol Jin", "김철진", "金哲鎭").
    PersonName,
    /// Family name only.
    Surname,
    /// Given name only.
    GivenName,
    /// Date of birth, possibly partial.
    BirthDate,
    /// Another date (arrest, repatriation), possibly partial.
    Date,
    /// Sex / gender as recorded.
    Sex,
    /// A place name (town, county, province, detention facility).
    Place,
    /// A category from a vocabulary (state, act type, occupation).
    Category,
    /// An identity document number or other identifier.
    Identifier,
    /// A street address line.
    Address,
    /// A postcode.
    Postcode,
    /// A short number such as a street number.
    Number,
    /// Free text.
    Text,
}

impl FieldKind {
    /// Parses the kind names used on the command line.
    pub fn parse(s: &str) -> Option<FieldKind> {
        Some(
            match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "name" | "person_name" | "full_name" => FieldKind::PersonName,
                "surname" | "family_name" | "last_name" => FieldKind::Surname,
                "given_name" | "first_name" | "forename" => FieldKind::GivenName,
                "birth_date" | "dob" | "date_of_birth" | "birth" => FieldKind::BirthDate,
                "date" => FieldKind::Date,
                "sex" | "gender" => FieldKind::Sex,
                "place" => FieldKind::Place,
                "category" => FieldKind::Category,
                "identifier" | "id_number" | "document" => FieldKind::Identifier,
                "address" => FieldKind::Address,
                "postcode" | "zip" => FieldKind::Postcode,
                "number" => FieldKind::Number,
                "text" => FieldKind::Text,
                _ => return None,
            },
        )
    }

    pub fn is_name(self) -> bool {
        matches!(
            self,
            FieldKind::PersonName | FieldKind::Surname | FieldKind::GivenName
        )
    }
}

/// One compared field: its name (as in the source), kind, and whether common
/// values should count for less (term-frequency adjustment).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    pub kind: FieldKind,
    pub term_frequency: bool,
}

impl FieldSpec {
    /// A field with the default term-frequency setting for its kind (on for
    /// names, postcodes, numbers, places).
    pub fn new(name: impl Into<String>, kind: FieldKind) -> FieldSpec {
        let term_frequency = matches!(
            kind,
            FieldKind::PersonName
                | FieldKind::Surname
                | FieldKind::GivenName
                | FieldKind::Postcode
                | FieldKind::Number
                | FieldKind::Place
        );
        FieldSpec {
            name: name.into(),
            kind,
            term_frequency,
        }
    }
}

/// One column: distinct values and, per record, the code of its value
/// (0 = missing, `k` = `dict[k-1]`). A record may hold further values of the
/// field (a person's other spellings: Hangul, Hanja, romanizations, aliases);
/// `codes` keeps the first, `alt_codes` the others.
#[derive(Default)]
pub(crate) struct Column {
    pub dict: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
    pub codes: Vec<u32>,
    /// How many records hold each code as their first value (index 0 counts
    /// missing values).
    pub counts: Vec<u64>,
    /// Further values per record in compressed-row form: the values of
    /// record `r` are `alt_codes[alt_offsets[r]..alt_offsets[r + 1]]`. Empty
    /// while no record has a second value, so single-valued columns pay
    /// nothing.
    alt_offsets: Vec<u32>,
    alt_codes: Vec<u32>,
}

impl Column {
    fn intern(&mut self, v: &str) -> Result<u32, LinkError> {
        if let Some(c) = self.index.get(v) {
            return Ok(*c);
        }
        let c = u32::try_from(self.dict.len() + 1).map_err(|_| LinkError::TooManyRecords)?;
        let b: Box<str> = v.into();
        self.dict.push(b.clone());
        self.index.insert(b, c);
        self.counts.push(0);
        Ok(c)
    }

    /// Appends one record's values (the first is its main value).
    fn push(&mut self, values: &[&str]) -> Result<(), LinkError> {
        if self.counts.is_empty() {
            self.counts.push(0);
        }
        let mut it = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty());
        let code = match it.next() {
            None => 0,
            Some(v) => self.intern(v)?,
        };
        if let Some(n) = self.counts.get_mut(code as usize) {
            *n += 1;
        }
        let start = self.alt_codes.len();
        for v in it {
            let c = self.intern(v)?;
            if c != code && !self.alt_codes[start..].contains(&c) {
                self.alt_codes.push(c);
            }
        }
        let r = self.codes.len();
        self.codes.push(code);
        if self.alt_codes.len() > start && self.alt_offsets.is_empty() {
            // First record with a second value: earlier records had none.
            self.alt_offsets = vec![0; r + 1];
        }
        if !self.alt_offsets.is_empty() {
            let end = u32::try_from(self.alt_codes.len()).map_err(|_| LinkError::TooManyRecords)?;
            self.alt_offsets.push(end);
        }
        Ok(())
    }

    /// Whether any record holds more than one value.
    #[inline]
    pub fn has_alternates(&self) -> bool {
        !self.alt_offsets.is_empty()
    }

    /// The further values of record `r` (empty for most).
    #[inline]
    pub fn alternates(&self, r: u32) -> &[u32] {
        let r = r as usize;
        match (self.alt_offsets.get(r), self.alt_offsets.get(r + 1)) {
            (Some(a), Some(b)) => self.alt_codes.get(*a as usize..*b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    pub fn value(&self, code: u32) -> Option<&str> {
        if code == 0 {
            None
        } else {
            self.dict.get(code as usize - 1).map(|b| &**b)
        }
    }
}

/// Records to link, held in memory by the caller's choice of fields. The CLI
/// fills it from CSV files; the service layer will fill it from the store.
pub struct Dataset {
    fields: Vec<FieldSpec>,
    pub(crate) columns: Vec<Column>,
    ids: String,
    id_ends: Vec<usize>,
    pub(crate) sources: Vec<u16>,
    source_names: Vec<String>,
    seen_ids: HashSet<u64>,
}

impl Dataset {
    /// An empty dataset comparing `fields`. Field names must be distinct.
    pub fn new(fields: Vec<FieldSpec>) -> Result<Dataset, LinkError> {
        if fields.is_empty() {
            return Err(LinkError::NoFields);
        }
        if fields.len() > 64 {
            return Err(LinkError::TooManyFields(fields.len()));
        }
        let mut names = HashSet::new();
        for f in &fields {
            if !names.insert(f.name.as_str()) {
                return Err(LinkError::DuplicateField(f.name.clone()));
            }
        }
        let columns = fields
            .iter()
            .map(|_| Column {
                counts: vec![0],
                ..Column::default()
            })
            .collect();
        Ok(Dataset {
            fields,
            columns,
            ids: String::new(),
            id_ends: Vec::new(),
            sources: Vec::new(),
            source_names: Vec::new(),
            seen_ids: HashSet::new(),
        })
    }

    /// Declares a source (a list, a file, a collection) and returns its number.
    pub fn add_source(&mut self, name: impl Into<String>) -> Result<u16, LinkError> {
        let n = u16::try_from(self.source_names.len()).map_err(|_| LinkError::TooManySources)?;
        self.source_names.push(name.into());
        Ok(n)
    }

    /// Adds one record. `values` follow the order of the fields; `None` or an
    /// empty string is a missing value. Ids must be unique in the dataset.
    pub fn push(
        &mut self,
        id: &str,
        source: u16,
        values: &[Option<&str>],
    ) -> Result<(), LinkError> {
        let many: Vec<&[&str]> = values
            .iter()
            .map(|v| match v {
                Some(v) => std::slice::from_ref(v),
                None => &[][..],
            })
            .collect();
        self.push_many(id, source, &many)
    }

    /// Adds one record whose fields may hold several values each (a person's
    /// names in every script and romanization): the first non-empty value of
    /// a field is its main one, the others are compared too and the best
    /// agreement counts (see [`crate::LinkResult::explain`] for which pair
    /// met). Blocking keys are taken from every value.
    pub fn push_many(
        &mut self,
        id: &str,
        source: u16,
        values: &[&[&str]],
    ) -> Result<(), LinkError> {
        if usize::from(source) >= self.source_names.len() {
            return Err(LinkError::UnknownSource(source));
        }
        if id.trim().is_empty() {
            return Err(LinkError::EmptyId {
                record: self.len() + 1,
            });
        }
        if values.len() != self.fields.len() {
            return Err(LinkError::WrongValueCount {
                id: id.to_string(),
                expected: self.fields.len(),
                got: values.len(),
            });
        }
        if self.len() >= u32::MAX as usize - 1 {
            return Err(LinkError::TooManyRecords);
        }
        if !self.seen_ids.insert(crate::strsim::hash_str(id)) && self.find_id(id).is_some() {
            return Err(LinkError::DuplicateId(id.to_string()));
        }
        for (col, v) in self.columns.iter_mut().zip(values) {
            col.push(v)?;
        }
        self.ids.push_str(id);
        self.id_ends.push(self.ids.len());
        self.sources.push(source);
        Ok(())
    }

    fn find_id(&self, id: &str) -> Option<u32> {
        (0..self.len())
            .find(|i| self.id(*i as u32) == id)
            .map(|i| i as u32)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.id_ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id_ends.is_empty()
    }

    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }

    pub fn source_names(&self) -> &[String] {
        &self.source_names
    }

    /// The id of record `i` (as given to [`Dataset::push`]).
    pub fn id(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 {
            0
        } else {
            self.id_ends.get(i - 1).copied().unwrap_or(0)
        };
        let end = self.id_ends.get(i).copied().unwrap_or(start);
        self.ids.get(start..end).unwrap_or("")
    }

    /// The source of record `i`.
    pub fn source(&self, i: u32) -> u16 {
        self.sources.get(i as usize).copied().unwrap_or(0)
    }

    /// The value of field `f` of record `i`, if present (its main value when
    /// it has several).
    pub fn value(&self, i: u32, f: usize) -> Option<&str> {
        let col = self.columns.get(f)?;
        col.value(*col.codes.get(i as usize)?)
    }

    /// Every value of field `f` of record `i`, main value first.
    pub fn values(&self, i: u32, f: usize) -> Vec<&str> {
        let Some(col) = self.columns.get(f) else {
            return Vec::new();
        };
        let main = col.codes.get(i as usize).copied().unwrap_or(0);
        std::iter::once(main)
            .chain(col.alternates(i).iter().copied())
            .filter_map(|c| col.value(c))
            .collect()
    }

    /// Index from id to record number (built on demand; used for decisions).
    pub(crate) fn id_index(&self) -> HashMap<&str, u32> {
        (0..self.len() as u32).map(|i| (self.id(i), i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_and_errors() {
        let mut d = Dataset::new(vec![FieldSpec::new("surname", FieldKind::Surname)]).unwrap();
        let s = d.add_source("a").unwrap();
        d.push("1", s, &[Some("Kim")]).unwrap();
        d.push("2", s, &[Some(" Kim ")]).unwrap();
        d.push("3", s, &[Some("")]).unwrap();
        assert_eq!(d.columns[0].dict.len(), 1);
        assert_eq!(d.columns[0].codes, vec![1, 1, 0]);
        assert_eq!(d.columns[0].counts, vec![1, 2]);
        assert_eq!(d.id(1), "2");
        assert_eq!(d.value(2, 0), None);
        assert!(matches!(
            d.push("1", s, &[Some("x")]),
            Err(LinkError::DuplicateId(_))
        ));
        assert!(matches!(
            d.push("4", s, &[]),
            Err(LinkError::WrongValueCount { .. })
        ));
        assert!(matches!(
            d.push("", s, &[None]),
            Err(LinkError::EmptyId { .. })
        ));
        assert!(matches!(
            d.push("5", 9, &[None]),
            Err(LinkError::UnknownSource(9))
        ));
        assert!(Dataset::new(vec![]).is_err());
    }
}
