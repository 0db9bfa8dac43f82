#!/usr/bin/env bash
# Ravan (4 heads of rank 39) against LoRA r=8 on MiniLM query/value, equal upload: median training
# step time of each, alternating step by step, and the ratio. See docs/benchmarks.md.
# Usage: ravan_step.sh [TIMED_STEPS_EACH]   (default 20)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 1 "$@"
if (($# >= 1)); then check_count TIMED_STEPS_EACH "$1"; fi
build_bench
wait_quiet
bench_java org.fedpeft.bench.RavanStepBench "$@"
