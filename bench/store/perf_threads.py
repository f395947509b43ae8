#!/usr/bin/env python3
"""Per-thread figures of one import process from `perf script` text.

Two uses (BENCHMARKS.md, Store, session of 2026-11-30 04:08 UTC):

  perf record -F 499 -g -o on.data <import command>
  perf script -i on.data -F tid,time | bench/store/perf_threads.py on-cpu
      samples per thread and per second: at 499 Hz, 499 samples in a
      second is one core fully busy

  perf record -e sched:sched_switch -g -o off.data <import command>
  perf script -i off.data -F tid,time,trace,ip,sym | bench/store/perf_threads.py off-cpu
      seconds each thread spent switched out (not runnable), from its
      switch-out to its next switch-in, with the three innermost frames of
      the longest waits
"""
import collections
import re
import sys


def on_cpu(lines):
    per = collections.Counter()
    for line in lines:
        m = re.match(r"\s*(\d+)\s+([\d.]+):", line)
        if m:
            per[(int(m.group(1)), int(float(m.group(2))))] += 1
    first = min(s for _, s in per) if per else 0
    for tid in sorted({t for t, _ in per}):
        row = [per[(tid, s)] for s in range(first, max(s for _, s in per) + 1)]
        print(f"thread {tid}: {sum(row)} samples; per second: {' '.join(map(str, row))}")


def off_cpu(lines):
    switch = re.compile(
        r"\s*\d+\s+([\d.]+): prev_comm=\S+ prev_pid=(\d+) prev_prio=\d+ "
        r"prev_state=(\S+) ==> next_comm=\S+ next_pid=(\d+)"
    )
    events, cur = [], None
    for line in lines:
        m = switch.match(line)
        if m:
            cur = dict(t=float(m.group(1)), prev=int(m.group(2)), state=m.group(3),
                       next=int(m.group(4)), stack=[])
            events.append(cur)
        elif cur is not None and line.strip():
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                cur["stack"].append(parts[1])
    ours = {e["prev"] for e in events}
    out, total, where = {}, collections.Counter(), collections.Counter()
    for e in events:
        # A thread preempted while runnable (R) is not waiting.
        if e["prev"] in ours and not e["state"].startswith("R"):
            out[e["prev"]] = e
        if e["next"] in out:
            o = out.pop(e["next"])
            d = e["t"] - o["t"]
            total[e["next"]] += d
            frames = [f for f in o["stack"] if not f.startswith(("__schedule", "schedule"))]
            where[(e["next"], " < ".join(frames[:3]))] += d
    for tid, secs in total.most_common():
        print(f"thread {tid}: {secs:.3f} s switched out")
        for (t, w), d in where.most_common():
            if t == tid and d >= 0.01:
                print(f"    {d:.3f} s  {w}")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "on-cpu":
        on_cpu(sys.stdin)
    elif mode == "off-cpu":
        off_cpu(sys.stdin)
    else:
        sys.exit(__doc__)
