#!/usr/bin/env bash
# Does the float32 forward's speed depend on where a process's memory lands? Runs ForwardBench
# (16 x 128 tokens) in PAIRS pairs of processes, alternating: one with the kernel's address
# randomisation as usual, one under `setarch -R` (randomisation off, so every such process gets the
# same addresses for its heap, its mappings and its libraries). On the Intel machine of
# performance.md ("Intel with AMX") fedpeft's fp32 times fell into two groups about 40 % apart from
# one process to the next; if the processes without randomisation all land in one group while the
# others still split, the layout of memory decides it.
# Usage: process_spread.sh [PAIRS] [TIMED_BATCHES]   (defaults 6 and 20)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 2 "$@"
if (($# >= 1)); then check_count PAIRS "$1"; fi
if (($# >= 2)); then check_count TIMED_BATCHES "$2"; fi
pairs="${1:-6}"
timed="${2:-20}"
build_bench
wait_quiet
bench_java org.fedpeft.bench.MachineInfo
random=()
fixed=()
median_of() { # one ForwardBench output on stdin -> its median in seconds
  sed -n 's/^forward [0-9]*x[0-9]*: median \([0-9.]*\) s.*/\1/p'
}
for i in $(seq 1 "$pairs"); do
  a=$(bench_java org.fedpeft.bench.ForwardBench 16 "$timed" 2>/dev/null | median_of)
  b=$(BENCH_BUILD=0 QUIET_WAIT=0 setarch "$(uname -m)" -R "$here/run.sh" ForwardBench 16 "$timed" \
    2>/dev/null | median_of)
  echo "pair $i: forward median ${a} s (addresses randomised), ${b} s (setarch -R); load $(cut -d' ' -f1-3 /proc/loadavg)"
  random+=("$a")
  fixed+=("$b")
done
echo "addresses randomised: ${random[*]}"
echo "setarch -R:           ${fixed[*]}"
