#!/usr/bin/env bash
# LCMCR benchmark (issue 4): Gibbs sweeps per second with K = 10 on a 4-list
# table of about 4,400 people, tumen beside its peers on the same table in one
# run, each pinned to one core:
#   1. tumen (`cargo bench -p tumen-estimate --bench lcmcr -- --quick`);
#   2. the plain-Python per-person sampler tests/reference/lcmcr_naive.py
#      (an independent implementation of the same Gibbs sampler; few sweeps:
#      it is slow).
# R's LCMCR package (the reference C++ sampler) would be the natural peer,
# but CRAN cannot be reached from this machine; the issue quotes it at about
# 29,000 sweeps per second on this kind of table and machine.
#
#   bench/estimate/lcmcr.sh                 # Python: 200 sweeps
#   PY_SWEEPS=500 bench/estimate/lcmcr.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PY_SWEEPS="${PY_SWEEPS:-200}"
OUT=bench/out/estimate
mkdir -p "$OUT"
PIN=""
command -v taskset >/dev/null && PIN="taskset -c 0"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/estimate-rel}"
echo "== tumen (one core) =="
$PIN cargo bench -q -p tumen-estimate --bench lcmcr -- --quick | tee "$OUT/lcmcr-tumen.txt"
COUNTS=$(sed -n 's/^counts: //p' "$OUT/lcmcr-tumen.txt")
echo "== Python reference sampler (one core), K = 10, $PY_SWEEPS sweeps =="
T0=$(date +%s.%N)
$PIN python3 crates/estimate/tests/reference/lcmcr_naive.py "$COUNTS" "$PY_SWEEPS" 0 1
T1=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print('python reference sampler: %d sweeps in %.1f s wall = %.1f sweeps per second' % (int(sys.argv[3]), s, int(sys.argv[3])/s))" "$T0" "$T1" "$PY_SWEEPS"
