#!/usr/bin/env bash
# Peak resident memory of the README main run (./fedpeft simulate examples/fedit-noun-topic.toml),
# measured with /usr/bin/time -v through the launcher, so with its JVM and allocator settings; see
# docs/benchmarks.md. Extra arguments go to `fedpeft simulate` (e.g. --set rounds=5). Prints the
# machine, the load before and after, the run's wall time and CPU time, its final accuracy, and last
# `peak rss main run MiB: M`. Does not wait for a quiet machine: memory does not depend on load.
# MEM_TRACE=FILE also writes a line every 0.5 s: seconds since the start, resident MiB (VmRSS), peak
# MiB so far (VmHWM) and rounds completed (lines of metrics.jsonl), to see when the peak happens.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 100000 "$@"
if [[ ! -x /usr/bin/time ]]; then
  echo "main_run_memory: /usr/bin/time is missing (Debian package: time)" >&2
  exit 1
fi
out="$(mktemp -d /tmp/fedpeft-main-run.XXXXXX)"
grep -m1 'model name' /proc/cpuinfo | sed 's/^model name\s*: /cpu: /'
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
before=$(cpu_counters)
"$root/fedpeft" --version >/dev/null # builds first, so the build is not measured
/usr/bin/time -v -o "$out/time.txt" "$root/fedpeft" simulate "$root/examples/fedit-noun-topic.toml" \
  -o "$out/run" "$@" >"$out/stdout.txt" 2>"$out/stderr.txt" &
timed=$!
if [[ -n "${MEM_TRACE:-}" ]]; then
  : >"$MEM_TRACE"
  start=$SECONDS
  while kill -0 "$timed" 2>/dev/null; do
    # The launcher execs java, so the JVM is /usr/bin/time's child.
    pid="$(pgrep -P "$timed" java || true)"
    if [[ -n "$pid" && -r "/proc/$pid/status" ]]; then
      awk -v t=$((SECONDS - start)) -v r="$(cat "$out/run/metrics.jsonl" 2>/dev/null | wc -l)" \
        '/^VmRSS/ {rss = int($2 / 1024)} /^VmHWM/ {hwm = int($2 / 1024)}
         END {if (rss) print t, rss, hwm, r}' "/proc/$pid/status" >>"$MEM_TRACE" || true
    fi
    sleep 0.5
  done
fi
rc=0
wait "$timed" || rc=$?
if ((rc != 0)); then
  echo "main_run_memory: fedpeft simulate failed (exit $rc); the end of $out/stderr.txt:" >&2
  tail -n 5 "$out/stderr.txt" >&2
  exit "$rc"
fi
report_steal "$before" "$(cpu_counters)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E 'Elapsed \(wall clock\)|User time|System time|Percent of CPU|Minor' "$out/time.txt" | sed 's/^\s*//'
grep -E '^final accuracy' "$out/stdout.txt" || tail -n 3 "$out/stdout.txt"
kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
echo "run folder: $out/run"
echo "peak rss main run MiB: $((kb / 1024))"
