#!/usr/bin/env bash
# Store benchmark (issue 2): 1,000,000 acts with their persons and sources,
# imported from JSON Lines through the service's batch path, encrypted and
# unencrypted side by side; then the filtered query. Figures go to
# BENCHMARKS.md, section "Store (issue 2)".
#   TUMEN_BENCH_ACTS=100000 bench/store/run.sh    # a quicker run
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/store}"
cargo bench -p tumen-service --bench store
