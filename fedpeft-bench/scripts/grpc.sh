#!/usr/bin/env bash
# The network path of a deployment (fedpeft-grpc: TCP on 127.0.0.1, mutual TLS) against simulate,
# on the README's example (MiniLM, FedIT LoRA r=8 on query/value, WordNet noun topics). Prints the
# CPU model first. See docs/benchmarks.md.
#   grpc.sh wire       bytes on the wire per round against the communication log
#   grpc.sh memory     server memory with 5, 25 and 50 connected client nodes (a fresh JVM each)
#   grpc.sh transport  the network path alone: rounds of clients that answer at once (no
#                      training), in process and over the network, alternating (REPS, default 3)
#   grpc.sh overhead   round time of real training over the network against simulate, alternating
#                      (REPS, default 2)
#   grpc.sh            all four
# Usage: grpc.sh [wire|memory|transport|overhead]   (none: all four)
# NODES: the memory part's node counts (default "5 25 50"); REPS as above.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
config="$root/examples/fedit-noun-topic.toml"
check_args 0 1 "$@"
what="${1:-all}"
case $what in
  wire | memory | transport | overhead | all) ;;
  *) die "unknown part '$what': wire, memory, transport, overhead or none (all four)"$'\n'"$(usage_line)" ;;
esac
if [[ -n "${REPS:-}" ]]; then check_count REPS "$REPS"; fi
for n in ${NODES:-5 25 50}; do check_count NODES "$n"; done
build_bench
wait_quiet
if [[ $what == wire || $what == all ]]; then
  echo "== bytes on the wire: 10 clients, 5 per round, 3 rounds, every client evaluated every round"
  bench_java org.fedpeft.bench.GrpcBench wire "$config" rounds=3 clients=10 clients_per_round=5 \
    client.local_steps=2 data.max_eval=200 eval.every=1 eval.clients=0
fi
if [[ $what == memory || $what == all ]]; then
  # The server's JVM and allocator settings are those the ./fedpeft launcher had when
  # docs/benchmarks.md's figures were taken (serial GC, 128 MB young generation, two malloc arenas,
  # 1 MB mmap threshold, glibc's default 128 kB trim threshold, fedpeft's own malloc_trim every 16
  # training steps and evaluation batches), set over the launcher's current ones that bench_java
  # applies first; what the launcher has added since (a 32 MB initial heap; docs/performance.md,
  # "Memory") stays on, and is not measured here yet.
  for n in ${NODES:-5 25 50}; do
    echo "== server memory: $n nodes, all sampled, 3 rounds (the nodes answer at once)"
    MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_TRIM_THRESHOLD_=131072 \
      BENCH_JAVA_OPTS="-XX:+UseSerialGC -XX:MaxNewSize=128m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -Dfedpeft.trim.every=16" \
      bench_java org.fedpeft.bench.GrpcBench memory "$config" "$n" rounds=3 data.max_eval=200 \
      eval.every=3 eval.clients=0
  done
fi
if [[ $what == transport || $what == all ]]; then
  echo "== the network path alone: 10 clients answering at once, all sampled, 20 rounds"
  bench_java org.fedpeft.bench.GrpcBench transport "$config" "${REPS:-3}" rounds=20 clients=10 \
    clients_per_round=10 data.max_eval=50 eval.every=20
fi
if [[ $what == overhead || $what == all ]]; then
  echo "== round overhead: the README run's round (4 clients x 15 steps), 3 rounds, 10 clients"
  bench_java org.fedpeft.bench.GrpcBench overhead "$config" "${REPS:-2}" rounds=3 clients=10 \
    data.max_eval=200 eval.every=3
fi
