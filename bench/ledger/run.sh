#!/usr/bin/env bash
# Ledger and evidence benchmarks (issue 6). Prints the figures recorded in
# BENCHMARKS.md, section "Ledger and evidence (issue 6)".
#
#   bench/ledger/run.sh                 # N = 1,000,000 entries, 2,000 store writes
#   N=200000 WRITES=500 bench/ledger/run.sh
set -euo pipefail
cd "$(dirname "$0")"
N="${N:-1000000}"
WRITES="${WRITES:-2000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/ledger-bench}"
cargo build -q --release
PIN=""
command -v taskset >/dev/null && PIN="taskset -c 0"
$PIN "$CARGO_TARGET_DIR/release/tumen-ledger-bench" "$N" "$WRITES"
