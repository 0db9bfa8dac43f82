#!/usr/bin/env bash
# OMP_WAIT_POLICY=PASSIVE vs ACTIVE vs unset (libgomp's default: spin a while, then sleep), runs
# of TrainStepBench alternating between the settings, ROUNDS times (default 2).
# Usage: omp_policy.sh [ROUNDS] [TIMED_STEPS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
rounds="${1:-2}"
steps="${2:-15}"
build_bench
wait_quiet
for r in $(seq 1 "$rounds"); do
  for policy in PASSIVE ACTIVE default; do
    echo "== round $r, OMP_WAIT_POLICY=$policy, CPUs $(cpu_busy 2)% busy just before, load $(cut -d' ' -f1-3 /proc/loadavg)"
    OMP_WAIT_POLICY=$policy bench_java org.fedpeft.bench.TrainStepBench "$steps" 10 |
      grep -E "^OMP|^train step|^forward embedding|load at"
  done
done
