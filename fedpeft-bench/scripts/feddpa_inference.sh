#!/usr/bin/env bash
# FedDPA's instance-wise dynamic weighting against a plain LoRA forward at evaluation (issue 11):
# the same batches both ways, alternating, k = 5 cached anchors; median times and their ratio.
# See docs/benchmarks.md. Usage: feddpa_inference.sh [REPETITIONS] [BATCHES]   (default 10 8)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 2 "$@"
if (($# >= 1)); then check_count REPETITIONS "$1"; fi
if (($# >= 2)); then check_count BATCHES "$2"; fi
build_bench
wait_quiet
bench_java org.fedpeft.bench.FedDpaInferenceBench "$@"
