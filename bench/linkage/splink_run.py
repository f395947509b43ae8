#!/usr/bin/env python3
"""The Splink (DuckDB) peer run, for the side-by-side benchmarks.

usage: splink_run.py febrl A.csv B.csv OUT.csv
       splink_run.py febrl-state A.csv B.csv OUT.csv
       splink_run.py persons FILE.csv OUT.csv [--rows N]
FEBRL4 uses Splink's own published FEBRL4 example settings (the "detailed"
model of docs/demos/examples/duckdb/febrl4: blocking rules, comparisons,
deterministic-rule prior with recall 0.8, u by random sampling of 1e6 pairs,
EM blocked on date_of_birth and on postcode). `febrl-state` trains the
same model but predicts on every pair within a state (5.46 M pairs), the
large common candidate set on which both tools' scoring throughput is
compared. `persons` is the generic
person model on the synthetic sets (name, sex, birth date, place) with
Splink's standard comparators. Writes id_l,id_r,match_probability for every
prediction at p >= 0.01 and prints one JSON line with the timings.
"""
import json, sys, time

t0 = time.time()
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

mode = sys.argv[1]


def prepare_febrl(path):
    df = pd.read_csv(path, dtype=str, skipinitialspace=True, keep_default_na=False)
    df = df.rename(columns=lambda x: x.strip())
    for c in df.columns:
        df[c] = df[c].str.strip().replace("", None)
    return df


if mode in ("febrl", "febrl-state"):
    dfs = [prepare_febrl(sys.argv[2]), prepare_febrl(sys.argv[3])]
    out = sys.argv[4]
    blocking_rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                                     invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    tables = [db.register(d) for d in dfs]
    link_type, rules = "link_only", blocking_rules
    linker = Linker(tables, settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8)
    t_u = time.time()
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    u_seconds = time.time() - t_u
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True)
    id_col = "rec_id"
    if mode == "febrl-state":
        rules = [block_on("state")]
        linker._settings_obj._blocking_rules_to_generate_predictions = [
            r.get_blocking_rule("duckdb") for r in rules]
else:
    path, out = sys.argv[2], sys.argv[3]
    rows = None
    if "--rows" in sys.argv:
        rows = int(sys.argv[sys.argv.index("--rows") + 1])
    df = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=rows)
    df = df.drop(columns=["cluster"])
    for c in df.columns:
        df[c] = df[c].str.strip().replace("", None)
    df["birth_year"] = df["date_of_birth"].str.slice(0, 4)
    df = df.rename(columns={"id": "unique_id"})
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("name", "birth_year"),
            block_on("date_of_birth", "place"),
        ],
        comparisons=[
            cl.NameComparison("name").configure(term_frequency_adjustments=True),
            cl.ExactMatch("sex"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y-%m-%d",
                                     invalid_dates_as_null=True),
            cl.ExactMatch("place").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    tables = db.register(df)
    link_type, rules = "dedupe_only", [block_on("name", "birth_year"), block_on("date_of_birth", "place")]
    linker = Linker(tables, settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name", "date_of_birth")], recall=0.7)
    t_u = time.time()
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    u_seconds = time.time() - t_u
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    id_col = "unique_id"

t1 = time.time()
pred = linker.inference.predict(threshold_match_probability=0.01)
pdf = pred.as_pandas_dataframe()
t2 = time.time()
# Comparisons scored: all blocked pairs (predict() scores every one of them).
pdf = pdf.rename(columns={f"{id_col}_l": "id_l", f"{id_col}_r": "id_r"})
pdf[["id_l", "id_r", "match_probability"]].to_csv(out, index=False)
total = round(time.time() - t0, 2)
# Scoring throughput: every blocked pair (counted exactly, after the timed
# part) over the wall time of predict().
try:
    from splink.blocking_analysis import count_comparisons_from_blocking_rules
    recs = count_comparisons_from_blocking_rules(
        tables, blocking_rules=rules, link_type=link_type,
        unique_id_column_name=id_col, record_sample_proportion=1.0)
    comparisons = int(recs[-1]["cumulative_comparison_count"])
except Exception as e:  # the count is informative only
    print(f"could not count Splink's comparisons: {e}", file=sys.stderr)
    comparisons = None
# u: Splink samples records so that about max_pairs = 1e6 pairs are scored.
print(json.dumps({"tool": "splink", "mode": mode, "train_seconds": round(t1 - t0, 2),
                  "u_seconds": round(u_seconds, 2), "u_pairs_per_second": round(1e6 / u_seconds),
                  "predict_seconds": round(t2 - t1, 2), "total_seconds": total,
                  "predictions_p_ge_0.01": len(pdf), "comparisons": comparisons,
                  "comparisons_per_second": round(comparisons / (t2 - t1)) if comparisons and t2 > t1 else None}))
