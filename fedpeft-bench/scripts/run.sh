#!/usr/bin/env bash
# Runs any benchmark class of org.fedpeft.bench with the benchmark class path and settings, e.g.
#   fedpeft-bench/scripts/run.sh Soak 8 12
#   fedpeft-bench/scripts/run.sh GemmShapes 15
#   fedpeft-bench/scripts/run.sh ForwardBench 16 12
#   BENCH_CORE=/tmp/base/fedpeft-core/target/classes fedpeft-bench/scripts/run.sh ForwardBench 16 12
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
cls="$1"
shift
build_bench
wait_quiet
bench_java "org.fedpeft.bench.$cls" "$@"
