//! Why a linkage request was refused. Messages name the record id, field or
//! blocking rule and never a field's value (values may be confidential).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum LinkError {
    #[error("no fields to compare: give at least one field besides the id")]
    NoFields,
    #[error("{0} fields given; at most 64 can be compared")]
    TooManyFields(usize),
    #[error("field `{0}` is given twice")]
    DuplicateField(String),
    #[error("more records than linkage can index (4 billion)")]
    TooManyRecords,
    #[error("more than 65,535 sources")]
    TooManySources,
    #[error("source number {0} was not declared with add_source")]
    UnknownSource(u16),
    #[error("record {record}: empty id")]
    EmptyId { record: usize },
    #[error("record {0}: this id appears twice; ids must be unique across all inputs")]
    DuplicateId(String),
    #[error("record {id}: {got} values given for {expected} fields")]
    WrongValueCount {
        id: String,
        expected: usize,
        got: usize,
    },
    #[error("blocking rule `{rule}` names field `{field}`, which is not among the compared fields")]
    UnknownBlockingField { rule: String, field: String },
    #[error("blocking rule `{0}` has no key parts")]
    EmptyBlockingRule(String),
    #[error(
        "blocking rule `{rule}` would generate {pairs} candidate pairs, more than the cap of {cap}; \
         its largest block has {largest_block} records. Add a field or a transform to the rule \
         (e.g. `+date_of_birth:year`) or raise the cap"
    )]
    RuleTooBroad {
        rule: String,
        pairs: u128,
        cap: u64,
        largest_block: u64,
    },
    #[error(
        "the blocking rules together would generate up to {pairs} candidate pairs, more than the cap of {cap} \
         (largest: `{largest_rule}` with {largest_pairs}); tighten a rule or raise the cap"
    )]
    TooManyPairs {
        pairs: u128,
        cap: u64,
        largest_rule: String,
        largest_pairs: u128,
    },
    #[error("linking across sources needs records from at least two sources")]
    NeedTwoSources,
    #[error("invalid option {name}: {why}")]
    InvalidOption { name: &'static str, why: String },
    #[error("decision {index}: record id {id} is not among the records")]
    UnknownDecisionId { index: usize, id: String },
}
