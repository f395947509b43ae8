#!/bin/sh
# Security benchmark (issue 6); see bench/security/run.rs. Figures go to
# BENCHMARKS.md, section "Security (issue 6)".
set -e
cd "$(dirname "$0")/../.."
TUMEN_BENCH_RECORDS="${TUMEN_BENCH_RECORDS:-20000}" cargo bench -p tumen-service --bench security
