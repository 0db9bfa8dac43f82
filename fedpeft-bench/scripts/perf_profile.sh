#!/usr/bin/env bash
# Where an untraced training step (or forward pass) spends its CPU time, by sampling: `perf record`
# (cpu-clock, 499 Hz per thread) enabled only for the timed steps (ProfileStep drives it through a
# control fifo), then summed per thread, library and kernel by perf_summary.py. Unlike profile.sh
# (libtorch's profiler, which records every operator and whose own allocations and page faults
# inflate the traced step), it leaves the step's time as it is, but it cannot tell which operator
# called an MKL kernel (MKL has no unwind tables).
# Usage: perf_profile.sh [OUT_DIR] [STEPS] [SEQ] [PRECISION] [DROPOUT] [PHASE]   (as profile.sh;
# PHASE train, the default, or forward). Needs Linux perf with cpu-clock sampling
# (perf_event_paranoid <= 1, or root).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 6 "$@"
check_profile_args "$@"
out="$(abs_path "${1:-/tmp/fedpeft-perf}")"
steps="${2:-20}"
seq="${3:-128}"
precision="${4:-fp32}"
dropout="${5:-0.05}"
phase="${6:-train}"
[[ "$phase" == train || "$phase" == forward ]] || die "PHASE: train or forward, not '$phase'"
command -v perf >/dev/null || die "needs Linux perf (Debian: linux-perf)"
perf record -q -e cpu-clock -o /dev/null -- true 2>/dev/null ||
  die "perf cannot sample cpu-clock here (see /proc/sys/kernel/perf_event_paranoid)"
mkdir -p "$out"
rm -f "$out/ctl.fifo" "$out/ack.fifo"
mkfifo "$out/ctl.fifo" "$out/ack.fifo"
trap 'rm -f "$out/ctl.fifo" "$out/ack.fifo"' EXIT
build_bench
wait_quiet
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:-} -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -Dprofile.perf=$out/ctl.fifo,$out/ack.fifo -Dprofile.perf.phase=$phase" \
  perf record -q -D -1 -e cpu-clock -F 499 --control "fifo:$out/ctl.fifo,$out/ack.fifo" \
  -o "$out/perf.data" -- bash -c 'source "$1/common.sh"; root="$2"; shift 2; bench_java "$@"' \
  _ "$here" "$root" org.fedpeft.bench.ProfileStep "$out" "$steps" "$seq" "$precision" "$dropout"
perf script -i "$out/perf.data" -F tid,ip,sym 2>/dev/null | python3 "$here/perf_summary.py"
# The JVM's map of its compiled code (for the symbols above), written at its exit.
rm -f "/tmp/perf-$(perf script -i "$out/perf.data" -F pid 2>/dev/null | head -1 | tr -d ' ').map"
