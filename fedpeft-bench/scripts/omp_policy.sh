#!/usr/bin/env bash
# How libgomp's idle threads wait: runs of TrainStepBench alternating between settings, ROUNDS
# times (default 2). Settings (SETTINGS, space-separated): PASSIVE, ACTIVE, default (variable unset:
# spin GOMP_SPINCOUNT=300000 times, then sleep), spinN (unset policy, GOMP_SPINCOUNT=N).
# Usage: omp_policy.sh [ROUNDS] [TIMED_STEPS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 2 "$@"
if (($# >= 1)); then check_count ROUNDS "$1"; fi
if (($# >= 2)); then check_count TIMED_STEPS "$2"; fi
for setting in ${SETTINGS:-PASSIVE ACTIVE default}; do
  if ! [[ $setting =~ ^(PASSIVE|ACTIVE|default|spin[0-9]+)$ ]]; then
    die "SETTINGS: '$setting' is not PASSIVE, ACTIVE, default or spinN (N a whole number)"
  fi
done
rounds="${1:-2}"
steps="${2:-15}"
build_bench
wait_quiet
for r in $(seq 1 "$rounds"); do
  for setting in ${SETTINGS:-PASSIVE ACTIVE default}; do
    echo "== round $r, $setting, CPUs $(cpu_busy 2)% busy just before, load $(cut -d' ' -f1-3 /proc/loadavg)"
    case $setting in
      spin*) OMP_WAIT_POLICY=default GOMP_SPINCOUNT="${setting#spin}" bench_java org.fedpeft.bench.TrainStepBench "$steps" 10 ;;
      *) OMP_WAIT_POLICY=$setting bench_java org.fedpeft.bench.TrainStepBench "$steps" 10 ;;
    esac | grep -E "^OMP|^train step|^forward embedding|load at"
  done
done
