#!/usr/bin/env bash
# Runs any benchmark class of org.fedpeft.bench with the benchmark class path and settings, e.g.
#   fedpeft-bench/scripts/run.sh Soak 8 12
#   fedpeft-bench/scripts/run.sh GemmShapes 15
#   fedpeft-bench/scripts/run.sh ForwardBench 16 12
#   BENCH_CORE=/tmp/base/fedpeft-core/target/classes fedpeft-bench/scripts/run.sh ForwardBench 16 12
# Usage: run.sh CLASS [ARGS...]   (CLASS: a class of fedpeft-bench/src/main/java/org/fedpeft/bench
# with a main method; its arguments are in its Javadoc)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 1 100000 "$@"
cls="$1"
shift
src="$root/fedpeft-bench/src/main/java/org/fedpeft/bench"
if [[ ! -f "$src/$cls.java" ]] || ! grep -q 'static void main' "$src/$cls.java"; then
  die "no benchmark class '$cls'; one of: $(grep -l 'static void main' "$src"/*.java | xargs -n1 basename | sed 's/\.java$//' | tr '\n' ' ')"
fi
build_bench
wait_quiet
bench_java "org.fedpeft.bench.$cls" "$@"
