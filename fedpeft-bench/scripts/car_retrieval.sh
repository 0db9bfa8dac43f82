#!/usr/bin/env bash
# Classifier-as-retriever against MIPS on wordnet-sense-retrieval (issue 13, item 6), small scale.
# Rows: MIPS with the frozen encoder; CaR with the head only (frozen encoder); CaR with the
# soft-embedding adapter (linear, on the raw token embeddings) + head; CaR with LoRA r=8 on
# query/value + head; and MIPS with each trained adapter (its head unused). Each CaR row is trained
# centralised (fedpeft train, STEPS steps) and federated (fedpeft simulate: FedAvg, 20 clients
# holding the queries of disjoint document shards, 5 per round, ROUNDS rounds of 20 local steps).
# Every run uses seed 42, batch 16 and the test split capped at 1000 queries; the metrics are
# computed by org.fedpeft.bench.RetrievalBench from the saved adapter folders.
#
# Usage: car_retrieval.sh [DOCS] [STEPS] [ROUNDS]   (defaults 1000, 600, 30)
# Environment: ROWS (space-separated subset of: none softembed lora; default all three),
# MODES (central federated; default both), LR (default 5e-3), OUT (run folder).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
docs="${1:-1000}"
steps="${2:-600}"
rounds="${3:-30}"
rows="${ROWS-none softembed lora}"
modes="${MODES-central federated}"
lr="${LR:-5e-3}"
task="wordnet-sense-retrieval:documents=$docs"
out="${OUT:-$root/runs/car-retrieval-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"

adapter_args() { # row -> fedpeft train options
  case "$1" in
    none) echo "--adapter none" ;;
    softembed) echo "--adapter softembed --adapter-options form=linear,placement=tokens" ;;
    lora) echo "--adapter lora --adapter-options rank=8,alpha=16,dropout=0.05,targets=query+value" ;;
  esac
}
adapter_toml() { # row -> [adapter] table
  case "$1" in
    none) printf 'method = "none"\n' ;;
    softembed) printf 'method = "softembed"\nform = "linear"\nplacement = "tokens"\n' ;;
    lora) printf 'method = "lora"\nrank = 8\nalpha = 16\ndropout = 0.05\ntargets = ["query", "value"]\n' ;;
  esac
}

bench_args=()
for row in $rows; do
  for mode in $modes; do
    dir="$out/$row-$mode"
    echo "car_retrieval: $row $mode (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    start=$SECONDS
    if [[ $mode == central ]]; then
      # shellcheck disable=SC2046
      "$root/fedpeft" train --task "$task" $(adapter_args "$row") --steps "$steps" --batch-size 16 \
        --lr "$lr" --seed 42 --eval-every 0 --max-eval 1000 --out "$dir" >"$dir.log" 2>"$dir.err" \
        || { cat "$dir.err" >&2; exit 1; }
    else
      cat >"$dir.toml" <<TOML
seed = 42
rounds = $rounds
clients = 20
clients_per_round = 5

[data]
task = "$task"
partition = "shards:1"
max_eval = 1000

[adapter]
$(adapter_toml "$row")

[client]
local_steps = 20
batch_size = 16
learning_rate = $lr

[server]
strategy = "fedavg"

[eval]
every = $rounds
TOML
      "$root/fedpeft" simulate "$dir.toml" --out "$dir" >"$dir.log" 2>"$dir.err" \
        || { cat "$dir.err" >&2; exit 1; }
    fi
    echo "car_retrieval: $row $mode took $((SECONDS - start)) s (wall, this machine)" | tee -a "$out/times.txt" >&2
    bench_args+=("$row-$mode=$dir/adapter")
  done
done
build_bench
bench_java org.fedpeft.bench.RetrievalBench "$task" 42 1000 "${bench_args[@]}" | tee "$out/table.tsv"
