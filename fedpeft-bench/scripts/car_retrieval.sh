#!/usr/bin/env bash
# Classifier-as-retriever against MIPS on wordnet-sense-retrieval (issue 13, item 6): the whole
# reproduction, one command. For each corpus size DOCS (default 1,000 and 5,000 documents):
#
#  table   MIPS with the frozen encoder; MIPS with the soft-embedding adapter trained contrastively
#          (InfoNCE, in-batch negatives, --objective contrastive); CaR with the head only (frozen
#          encoder); CaR with the soft-embedding adapter (linear, on the raw token embeddings);
#          CaR with LoRA r=8 on query/value; CaR head only and CaR + soft embeddings with the head
#          started from the document embeddings (head.init = "documents", LR_DOCS); each trained centralised (fedpeft train, STEPS steps)
#          and federated (fedpeft simulate: FedAvg, 20 clients, a partition over documents
#          `labels`, 5 clients per round, ROUNDS rounds of 20 local steps). Every trained adapter
#          also gets a MIPS row with its adapter (its head unused).
#  dp      CaR + soft embeddings with sample-level DP-SGD at epsilon EPSILONS (delta 1e-5, clip 1):
#          centralised (noise calibrated by `fedpeft privacy noise` for STEPS steps at q =
#          16 / training queries) and federated (DP-SGD at each client, privacy.mode = "sample",
#          noise calibrated for a client of average size taking part in 5/20 of ROUNDS rounds
#          (rounded up);
#          privacy.epsilon is each client's budget, so a client sampled more often declines the
#          rounds beyond it). The accuracy cost is against the no-DP rows of the table.
#  speedup Time to a target top-1, CaR + soft embeddings: one client holding every query
#          (centralised, the same rounds of 20 steps) against K = KS clients (a partition over
#          documents, all K in every round), SPEEDUP_ROUNDS rounds, evaluated every round. Clients
#          train one after another (client.parallel = 1), each timed alone; the federated time is
#          SIMULATED PARALLEL WALL TIME: per round, the slowest client plus the server's part of
#          the round (timings.jsonl: client_fit_seconds_max + round_seconds - client_fit_seconds),
#          summed up to the first evaluation at or above the target. Evaluation time is left out.
#          TARGET: a top-1 (default: 0.9 x the best top-1 the centralised run reaches).
#
# Every run uses seed 42, batch 16 and the test split capped at 1,000 queries (the synsets' example
# sentences). Metrics: org.fedpeft.bench.RetrievalBench on the saved adapter folders; the tables
# (markdown) by car_tables.py, written to OUT/tables.md.
#
# Usage: car_retrieval.sh [DOCS...]   (default: 1000 5000)
# Environment: PARTS (subset of: table dp speedup; default all), ROWS (subset of: mips-contrastive
# car-head car-head-docs car-softembed car-softembed-docs car-lora), MODES (central federated),
# DP_MODES (central federated), STEPS (600), ROUNDS (30), LR (5e-3, CaR), LR_DOCS (1e-3, CaR from
# the document embeddings), LR_CONTRASTIVE (1e-3), TAU (0.05), EPSILONS (1 3 8),
# KS (2 5 10), SPEEDUP_ROUNDS (30), TARGET (auto), OUT (run folder; a rerun with the same OUT
# skips the runs that finished).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
docs_list="${*:-1000 5000}"
parts="${PARTS-table dp speedup}"
rows="${ROWS-mips-contrastive car-head car-head-docs car-softembed car-softembed-docs car-lora}"
modes="${MODES-central federated}"
dp_modes="${DP_MODES-central federated}"
steps="${STEPS:-600}"
rounds="${ROUNDS:-30}"
lr="${LR:-5e-3}"
lr_docs="${LR_DOCS:-1e-3}"
lr_contrastive="${LR_CONTRASTIVE:-1e-3}"
tau="${TAU:-0.05}"
epsilons="${EPSILONS-1 3 8}"
ks="${KS-2 5 10}"
speedup_rounds="${SPEEDUP_ROUNDS:-30}"
target="${TARGET:-auto}"
out="${OUT:-$root/runs/car-retrieval-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
fedpeft="$root/fedpeft"
echo "car_retrieval: docs [$docs_list], parts [$parts], out $out" >&2

train_args() { # row -> fedpeft train options
  case "$1" in
    car-head) echo "--adapter none --lr $lr" ;;
    car-head-docs) echo "--adapter none --head-init documents --lr $lr_docs" ;;
    car-softembed-docs) echo "--adapter softembed --adapter-options form=linear,placement=tokens --head-init documents --lr $lr_docs" ;;
    car-softembed) echo "--adapter softembed --adapter-options form=linear,placement=tokens --lr $lr" ;;
    car-lora) echo "--adapter lora --adapter-options rank=8,alpha=16,dropout=0.05,targets=query+value --lr $lr" ;;
    mips-contrastive) echo "--adapter softembed --adapter-options form=linear,placement=tokens --objective contrastive --temperature $tau --lr $lr_contrastive" ;;
  esac
}
toml_tables() { # row -> [adapter] table and the [client] lines that depend on the row
  case "$1" in
    car-head) printf '[adapter]\nmethod = "none"\n\n[client]\nlearning_rate = %s\n' "$lr" ;;
    car-head-docs) printf '[head]\ninit = "documents"\n\n[adapter]\nmethod = "none"\n\n[client]\nlearning_rate = %s\n' "$lr_docs" ;;
    car-softembed-docs) printf '[head]\ninit = "documents"\n\n[adapter]\nmethod = "softembed"\nform = "linear"\nplacement = "tokens"\n\n[client]\nlearning_rate = %s\n' "$lr_docs" ;;
    car-softembed) printf '[adapter]\nmethod = "softembed"\nform = "linear"\nplacement = "tokens"\n\n[client]\nlearning_rate = %s\n' "$lr" ;;
    car-lora) printf '[adapter]\nmethod = "lora"\nrank = 8\nalpha = 16\ndropout = 0.05\ntargets = ["query", "value"]\n\n[client]\nlearning_rate = %s\n' "$lr" ;;
    mips-contrastive) printf '[adapter]\nmethod = "softembed"\nform = "linear"\nplacement = "tokens"\n\n[client]\nlearning_rate = %s\nobjective = "contrastive"\ntemperature = %s\n' "$lr_contrastive" "$tau" ;;
  esac
}

# Runs `fedpeft train` into $1 (skipped when a rerun finds $1.done); the rest are its options.
central() {
  local dir="$1"; shift
  [[ -f "$dir.done" ]] && return 0
  rm -rf "$dir"
  local start=$SECONDS
  "$fedpeft" train "$@" --batch-size 16 --seed 42 --eval-every 0 --max-eval 1000 --out "$dir" \
    >"$dir.log" 2>"$dir.err" || { tail -20 "$dir.err" >&2; exit 1; }
  echo "$(basename "$dir") $((SECONDS - start)) s" | tee -a "$out/times.txt" >"$dir.done"
}

# Runs `fedpeft simulate` on the config $2 into $1 (skipped when a rerun finds $1.done).
federated() {
  local dir="$1" toml="$2"
  [[ -f "$dir.done" ]] && return 0
  rm -rf "$dir"
  local start=$SECONDS
  "$fedpeft" simulate "$toml" --out "$dir" >"$dir.log" 2>"$dir.err" \
    || { tail -20 "$dir.err" >&2; exit 1; }
  echo "$(basename "$dir") $((SECONDS - start)) s" | tee -a "$out/times.txt" >"$dir.done"
}

# A simulate config: $1 task, $2 clients, $3 clients per round, $4 rounds, $5 eval every, $6 row,
# $7 more lines of the [client] table (or ""), then TOML lines appended at the end (a [privacy]
# table).
write_toml() {
  local task="$1" clients="$2" per_round="$3" n_rounds="$4" every="$5" row="$6" client="$7"
  shift 7
  cat <<TOML
seed = 42
rounds = $n_rounds
clients = $clients
clients_per_round = $per_round

[data]
task = "$task"
partition = "labels"
max_eval = 1000
client_holdout = 0

$(toml_tables "$row")
local_steps = 20
batch_size = 16
$client

[server]
strategy = "fedavg"

[eval]
every = $every
TOML
  for line in "$@"; do echo "$line"; done
}

noise_for() { # epsilon, sample rate, steps -> noise multiplier
  "$fedpeft" privacy noise --target-epsilon "$1" --sample-rate "$2" --steps "$3" --delta 1e-5 \
    | sed -n 's/^noise multiplier: \([0-9.]*\).*/\1/p'
}

build_bench
for docs in $docs_list; do
  task="wordnet-sense-retrieval:documents=$docs"
  d="$out/docs-$docs"
  mkdir -p "$d"
  bench_args=()
  n_train=$("$fedpeft" tasks list "$task" --seed 42 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["train"])')
  echo "car_retrieval: $task, $n_train training queries (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2

  if [[ " $parts " == *" table "* ]]; then
    for row in $rows; do
      for mode in $modes; do
        echo "car_retrieval: $docs docs, $row, $mode" >&2
        if [[ $mode == central ]]; then
          # shellcheck disable=SC2046
          central "$d/$row-central" --task "$task" $(train_args "$row") --steps "$steps"
        else
          write_toml "$task" 20 5 "$rounds" "$rounds" "$row" "" >"$d/$row-federated.toml"
          federated "$d/$row-federated" "$d/$row-federated.toml"
        fi
        bench_args+=("$row-$mode=$d/$row-$mode/adapter")
      done
    done
  fi

  if [[ " $parts " == *" dp "* ]]; then
    q_central=$(python3 -c "print(16 / $n_train)")
    q_client=$(python3 -c "print(min(1.0, 16 * 20 / $n_train))")
    # A client takes part in 5/20 of the rounds on average, 20 steps each (at least one round).
    client_steps=$((20 * ((rounds * 5 + 19) / 20)))
    for eps in $epsilons; do
      for mode in $dp_modes; do
        echo "car_retrieval: $docs docs, car-softembed DP epsilon $eps, $mode" >&2
        if [[ $mode == central ]]; then
          sigma=$(noise_for "$eps" "$q_central" "$steps")
          # shellcheck disable=SC2046
          central "$d/car-softembed-central-dp$eps" --task "$task" $(train_args car-softembed) \
            --steps "$steps" --dp-noise "$sigma" --dp-clip 1.0 --dp-epsilon "$eps" --dp-delta 1e-5
        else
          sigma=$(noise_for "$eps" "$q_client" "$client_steps")
          write_toml "$task" 20 5 "$rounds" "$rounds" car-softembed "" "" "[privacy]" \
            'mode = "sample"' "sample.clip_norm = 1.0" "sample.noise_multiplier = $sigma" \
            "epsilon = $eps" "delta = 1e-5" >"$d/car-softembed-federated-dp$eps.toml"
          federated "$d/car-softembed-federated-dp$eps" "$d/car-softembed-federated-dp$eps.toml"
        fi
        echo "$docs $mode epsilon $eps noise_multiplier $sigma" >>"$d/dp-noise.txt"
        bench_args+=("car-softembed-$mode-dp$eps=$d/car-softembed-$mode-dp$eps/adapter")
      done
    done
  fi

  if ((${#bench_args[@]} > 0)) || [[ " $parts " == *" table "* ]]; then
    bench_java org.fedpeft.bench.RetrievalBench "$task" 42 1000 "${bench_args[@]}" | tee "$d/table.tsv"
  fi

  if [[ " $parts " == *" speedup "* ]]; then
    mkdir -p "$d/speedup"
    for k in 1 $ks; do
      echo "car_retrieval: $docs docs, speed-up run with K = $k" >&2
      write_toml "$task" "$k" "$k" "$speedup_rounds" 1 car-softembed "parallel = 1" \
        >"$d/speedup/k$k.toml"
      federated "$d/speedup/k$k" "$d/speedup/k$k.toml"
    done
  fi
done
python3 "$here/car_tables.py" "$out" "$target" | tee "$out/tables.md"
