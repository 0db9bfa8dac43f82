#!/usr/bin/env bash
# Foundation benchmark: training step time (median after warm-up), peak RSS and forward embedding
# throughput of MiniLM + LoRA r=8 on query/value + head at 16 x 128 tokens; see docs/benchmarks.md.
# Usage: bench.sh [TIMED_STEPS] [TIMED_FORWARD_BATCHES]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 2 "$@"
if (($# >= 1)); then check_count TIMED_STEPS "$1"; fi
if (($# >= 2)); then check_count TIMED_FORWARD_BATCHES "$2"; fi
build_bench
wait_quiet
bench_java org.fedpeft.bench.TrainStepBench "$@"
