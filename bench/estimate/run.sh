#!/usr/bin/env bash
# Model-search benchmark (issue 4): all 2^15 = 32,768 log-linear models with
# the 6 main effects and any subset of the 15 two-way interactions, fitted
# and ranked by tumen on one core, side by side with statsmodels' Poisson GLM
# on a fixed random subset of the same models (extrapolated: all 32,768 in
# Python would take tens of minutes). Writes into bench/out/estimate/.
#
#   bench/estimate/run.sh            # M = 1000 statsmodels fits
#   M=300 bench/estimate/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
M="${M:-1000}"
OUT=bench/out/estimate
mkdir -p "$OUT"
PY=bench/.venv/bin/python
if ! "$PY" -c 'import statsmodels' 2>/dev/null; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q statsmodels
fi
"$PY" bench/estimate/bench_statsmodels.py make-table "$OUT/six.csv"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/estimate-rel}"
cargo build -q --release -p tumen-estimate --example search_bench
PIN=""
command -v taskset >/dev/null && PIN="taskset -c 0"
echo "== tumen (one core) =="
$PIN "$CARGO_TARGET_DIR/release/examples/search_bench" "$OUT/six.csv" 2 "$OUT/rows.json"
echo "== statsmodels $M of 32,768 models (one core) =="
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $PIN "$PY" bench/estimate/bench_statsmodels.py fit "$OUT/six.csv" "$OUT/rows.json" "$M"
