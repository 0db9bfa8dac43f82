#!/usr/bin/env bash
# Before/after: TrainStepBench against another build of fedpeft-core (e.g. the commit before a
# speed change) and against this one, alternating, ROUNDS times.
# Usage: before_after.sh OTHER_CORE_CLASSES_DIR [ROUNDS] [TIMED_STEPS]
# To build the other core: git archive COMMIT pom.xml fedpeft-core | tar -x -C /tmp/base, drop the
# other modules from /tmp/base/pom.xml, mvn -o -q -f /tmp/base/pom.xml package -DskipTests.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 1 3 "$@"
other="$1"
if [[ ! -d $other ]]; then die "OTHER_CORE_CLASSES_DIR: no such folder: $other"; fi
if (($# >= 2)); then check_count ROUNDS "$2"; fi
if (($# >= 3)); then check_count TIMED_STEPS "$3"; fi
rounds="${2:-2}"
steps="${3:-15}"
build_bench
wait_quiet
for r in $(seq 1 "$rounds"); do
  for which in before after; do
    echo "== round $r, $which, CPUs $(cpu_busy 2)% busy just before, load $(cut -d' ' -f1-3 /proc/loadavg)"
    if [[ $which == before ]]; then
      BENCH_CORE="$other" bench_java org.fedpeft.bench.TrainStepBench "$steps" 10 | grep -E "^train step|^forward embedding|^peak RSS after"
    else
      bench_java org.fedpeft.bench.TrainStepBench "$steps" 10 | grep -E "^train step|^forward embedding|^peak RSS after"
    fi
  done
done
