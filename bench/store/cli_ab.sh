#!/usr/bin/env bash
# The import through the `tumen` binary, two builds side by side: each run
# makes a new archive (`tumen init`) and times `tumen import FILE` with
# /usr/bin/time; the builds alternate, so that a shared machine's drift
# falls on both. Figures go to BENCHMARKS.md.
#   bench/store/cli_ab.sh OLD_TUMEN NEW_TUMEN acts.jsonl [PAIRS] [WORKDIR]
# acts.jsonl: the store bench's file (bench/store/run.sh with
# TUMEN_BENCH_DIR=DIR leaves it in DIR).
set -euo pipefail
old=$1 new=$2 data=$3 pairs=${4:-3} work=${5:-$(mktemp -d)}
export TUMEN_PASSPHRASE=${TUMEN_PASSPHRASE:-bench-passphrase}
for i in $(seq "$pairs"); do
  for side in old new; do
    bin=$old; [ "$side" = new ] && bin=$new
    dir=$work/cli-$side; rm -rf "$dir"
    "$bin" --data "$dir" init >/dev/null 2>&1
    /usr/bin/time -f "$side run $i: %e s wall, %U s user, %S s system, %M KB peak" \
      "$bin" --data "$dir" import "$data" 2>&1 >/dev/null | grep " run $i: "
  done
  rm -rf "$work"/cli-old "$work"/cli-new
done
