#!/usr/bin/env bash
# Classifier-as-retriever against MIPS on wordnet-sense-retrieval (issue 13, item 6): the whole
# reproduction, one command. For each corpus size DOCS (default 1,000 and 5,000 documents):
#
#  grid    At GRID_DOCS documents only (default: the first DOCS; the other sizes use its picks),
#          every trained row below gets the same learning-rate grid LRS, trained centralised
#          (fedpeft train, STEPS steps) once per rate and scored by top-1 on the validation split
#          (held-out training-kind queries, `fedpeft eval --split validation`). The best rate is
#          the row's pick (DOCS/grid/picks.tsv); the centralised row of the table is that run, and
#          the federated and DP runs of the row use the same rate. Every grid run is also scored on
#          the test split (table.tsv, rows "ROW-lrRATE"), so the pick's sensitivity is visible.
#  table   MIPS with the frozen encoder; MIPS with the soft-embedding adapter trained contrastively
#          (InfoNCE, in-batch negatives, --objective contrastive); CaR with the head only (frozen
#          encoder); CaR with the soft-embedding adapter (linear, on the raw token embeddings);
#          CaR with LoRA r=8 on query/value; CaR head only and CaR + soft embeddings with the head
#          started from the document embeddings (head.init = "documents"); each centralised (the
#          grid's pick) and federated (fedpeft simulate: FedAvg, 20 clients, a partition over
#          documents `labels`, 5 clients per round, ROUNDS rounds of 20 local steps). Every trained
#          adapter also gets a MIPS row with its adapter (its head unused).
#  dp      For each row of DP_ROWS: sample-level DP-SGD at epsilon EPSILONS (delta 1e-5, clip 1):
#          centralised (noise calibrated by `fedpeft privacy noise` for STEPS steps at q =
#          16 / training queries) and federated (DP-SGD at each client, privacy.mode = "sample",
#          noise calibrated for a client of average size taking part in 5/20 of ROUNDS rounds
#          (rounded up);
#          privacy.epsilon is each client's budget, so a client sampled more often declines the
#          rounds beyond it). The accuracy cost is against the no-DP rows of the table.
#  speedup Time to a target top-1, CaR + soft embeddings (its pick): centralised training
#          (fedpeft train, SPEEDUP_ROUNDS x 20 steps, the test split evaluated every 20 steps,
#          timings.jsonl's train_seconds: training time without the evaluations) against K = KS
#          clients (a partition over documents, all K in every round), SPEEDUP_ROUNDS rounds of 20
#          local steps, evaluated every round; also K = 1, one client holding every query in the
#          same rounds (its optimiser state starts afresh every round, unlike centralised training).
#          Clients train one after another (client.parallel = 1), each timed alone; the federated
#          time is SIMULATED PARALLEL WALL TIME: per round, the slowest client plus the server's
#          part of the round (timings.jsonl: client_fit_seconds_max + round_seconds -
#          client_fit_seconds), summed up to the first evaluation at or above the target.
#          Evaluation time is left out. TARGET: a top-1 (default: 0.9 x the best top-1 the
#          centralised run reaches).
#
# Every run uses seed SEED (42), batch 16 and the validation and test splits capped at 1,000 queries (test:
# the synsets' example sentences). Metrics: org.fedpeft.bench.RetrievalBench on the saved adapter
# folders; the tables (markdown) by car_tables.py, written to OUT/tables.md.
#
# Usage: car_retrieval.sh [DOCS...]   (default: 1000 5000)
# Environment (common.sh, the same names in every reproduction script): TASK (a retrieval task
# spec without documents, which DOCS sets, e.g. wordnet-sense-retrieval:dropViews=1; default
# wordnet-sense-retrieval; DATA, your file, is not taken: RetrievalBench scores a bundled task),
# SEED (42), ROUNDS, LRS, OUT; also PARTS (subset of: grid table dp speedup; default all; without grid, or for a row
# the grid has not scored, a row uses LR), ROWS (subset of: mips-contrastive car-head
# car-head-docs car-softembed car-softembed-docs car-lora), MODES (central federated), DP_MODES
# (central federated), DP_ROWS (car-softembed car-softembed-docs), GRID_DOCS (the corpus size whose
# grid picks every size's rates: the first DOCS), STEPS (600), ROUNDS (30), LRS
# (2e-4 1e-3 5e-3 2.5e-2), LR (5e-3), TAU (0.05), EPSILONS (1 3 8), KS (2 5 10), SPEEDUP_ROUNDS
# (30), TARGET (auto), OUT (run folder; a rerun with the same OUT skips the runs that finished with
# the same options). A run that diverges (NaN loss: fedpeft train, or every client of a round of
# fedpeft simulate) is recorded as its folder's .diverged (e.g.
# docs-1000/grid/car-head-lr2.5e-2.diverged, docs-1000/car-head-federated.diverged), gets no row in
# table.tsv (nor a time in the speed-up table) and is listed under its corpus size in tables.md; a
# grid run gets the validation top-1 "nan" (never picked over a run that finished). Any other
# failure stops the script.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 1000 "$@"
for a in "$@"; do check_count DOCS "$a"; done
docs_list="${*:-1000 5000}"
if [[ -n "${DATA:-}" ]]; then
  die "DATA: not supported here (RetrievalBench scores a bundled task's splits); set TASK"
fi
data_from_env wordnet-sense-retrieval
base_task="$data_name"
if [[ $base_task == *documents=* ]]; then die "TASK: '$base_task' sets documents, which come from the arguments (DOCS...)"; fi
seed="${SEED:-42}"
if ! [[ $seed =~ ^[0-9]+$ ]]; then die "SEED: '$seed' is not a whole number >= 0"; fi
parts="${PARTS-grid table dp speedup}"
grid_docs="${GRID_DOCS:-${docs_list%% *}}"
if [[ " $parts " == *" grid "* && " $docs_list " != *" $grid_docs "* ]]; then
  die "GRID_DOCS: $grid_docs is not among the corpus sizes [$docs_list], so the grid would not run"
fi
rows="${ROWS-mips-contrastive car-head car-head-docs car-softembed car-softembed-docs car-lora}"
modes="${MODES-central federated}"
dp_modes="${DP_MODES-central federated}"
steps="${STEPS:-600}"
rounds="${ROUNDS:-30}"
dp_rows="${DP_ROWS-car-softembed car-softembed-docs}"
lrs="${LRS-2e-4 1e-3 5e-3 2.5e-2}"
lr_default="${LR:-5e-3}"
tau="${TAU:-0.05}"
epsilons="${EPSILONS-1 3 8}"
ks="${KS-2 5 10}"
speedup_rounds="${SPEEDUP_ROUNDS:-30}"
target="${TARGET:-auto}"
out="$(abs_path "${OUT:-$root/runs/car-retrieval-$(date +%Y%m%d-%H%M%S)}")"
mkdir -p "$out"
check_words PARTS "$parts" grid table dp speedup
all_rows="mips-contrastive car-head car-head-docs car-softembed car-softembed-docs car-lora"
# shellcheck disable=SC2086 # the lists are words
check_words ROWS "$rows" $all_rows
# shellcheck disable=SC2086
check_words DP_ROWS "$dp_rows" $all_rows
check_words MODES "$modes" central federated
check_words DP_MODES "$dp_modes" central federated
check_count STEPS "$steps"
check_count ROUNDS "$rounds"
check_count SPEEDUP_ROUNDS "$speedup_rounds"
for k in $ks; do check_count KS "$k"; done
fedpeft="$root/fedpeft"
echo "car_retrieval: docs [$docs_list], parts [$parts], out $out" >&2

train_args() { # row, learning rate -> fedpeft train options
  local se="--adapter softembed --adapter-options form=linear,placement=tokens"
  case "$1" in
    car-head) echo "--adapter none --lr $2" ;;
    car-head-docs) echo "--adapter none --head-init documents --lr $2" ;;
    car-softembed-docs) echo "$se --head-init documents --lr $2" ;;
    car-softembed) echo "$se --lr $2" ;;
    car-lora) echo "--adapter lora --adapter-options rank=8,alpha=16,dropout=0.05,targets=query+value --lr $2" ;;
    mips-contrastive) echo "$se --objective contrastive --temperature $tau --lr $2" ;;
  esac
}
toml_tables() { # row, learning rate -> [head], [adapter] and the [client] lines that depend on the row
  local se='[adapter]\nmethod = "softembed"\nform = "linear"\nplacement = "tokens"\n'
  case "$1" in
    car-head) printf '[adapter]\nmethod = "none"\n\n[client]\nlearning_rate = %s\n' "$2" ;;
    car-head-docs) printf '[head]\ninit = "documents"\n\n[adapter]\nmethod = "none"\n\n[client]\nlearning_rate = %s\n' "$2" ;;
    car-softembed-docs) printf "[head]\ninit = \"documents\"\n\n$se\n[client]\nlearning_rate = %s\n" "$2" ;;
    car-softembed) printf "$se\n[client]\nlearning_rate = %s\n" "$2" ;;
    car-lora) printf '[adapter]\nmethod = "lora"\nrank = 8\nalpha = 16\ndropout = 0.05\ntargets = ["query", "value"]\n\n[client]\nlearning_rate = %s\n' "$2" ;;
    mips-contrastive) printf "$se\n[client]\nlearning_rate = %s\nobjective = \"contrastive\"\ntemperature = %s\n" "$2" "$tau" ;;
  esac
}
lr_of() { # grid folder, row -> the row's picked learning rate, else LR
  local pick
  pick=$(awk -v r="$2" '$1 == r { print $2 }' "$1/picks.tsv" 2>/dev/null)
  echo "${pick:-$lr_default}"
}

# A run is skipped when a rerun finds $dir.done or $dir.diverged and $dir.key holds the same
# options (the command line; for simulate, the config's SHA-256).
finished() { [[ (-f "$1.done" || -f "$1.diverged") && -f "$1.key" && "$(cat "$1.key")" == "$2" ]]; }
mark_done() { # dir, key, start seconds
  echo "$2" >"$1.key"
  echo "$(basename "$1") $((SECONDS - $3)) s" | tee -a "$out/times.txt" >"$1.done"
}

# Runs `fedpeft train` into $1; the rest are its options. A run that diverges is recorded in
# $1.diverged (common.sh's run_failed) and returns 0: the caller leaves it out (diverged $1).
central() {
  local dir="$1"; shift
  local key="$*" start=$SECONDS
  if [[ $seed != 42 ]]; then key+=" --seed $seed"; fi
  finished "$dir" "$key" && return 0
  rm -rf "$dir" "$dir.done" "$dir.diverged"
  local every=(--eval-every 0) # unless the options set it
  [[ " $* " == *" --eval-every "* ]] && every=()
  if ! "$fedpeft" train "$@" --batch-size 16 --seed "$seed" "${every[@]}" --max-eval 1000 \
    --out "$dir" >"$dir.log" 2>"$dir.err"; then
    run_failed "$dir" # exits unless the run diverged
    echo "$key" >"$dir.key"
    return 0
  fi
  mark_done "$dir" "$key" "$start"
}
diverged() { [[ -f "$1.diverged" ]]; }

# Runs `fedpeft simulate` on the config $2 into $1. A run that diverges (every client of a round
# diverged, so the round failed) is recorded as central() records one, and returns 0.
federated() {
  local dir="$1" toml="$2" key start=$SECONDS
  key=$(sha256sum <"$toml" | cut -d' ' -f1)
  finished "$dir" "$key" && return 0
  rm -rf "$dir" "$dir.done" "$dir.diverged"
  if ! "$fedpeft" simulate "$toml" --out "$dir" >"$dir.log" 2>"$dir.err"; then
    run_failed "$dir" # exits unless the run diverged
    echo "$key" >"$dir.key"
    return 0
  fi
  mark_done "$dir" "$key" "$start"
}

# Top-1 of an adapter on the validation split (at most 1,000 queries); "nan" when eval gives no
# number (never picked, car_tables.py --picks).
validation_top1() { # task, adapter folder
  local top1
  top1=$("$fedpeft" eval --task "$1" --split validation --max-eval 1000 "$2" \
    | sed -n 's/^validation accuracy: \([0-9][0-9.]*\).*/\1/p')
  echo "${top1:-nan}"
}

# A simulate config: $1 task, $2 clients, $3 clients per round, $4 rounds, $5 eval every, $6 row,
# $7 more lines of the [client] table (or ""), $8 learning rate, then TOML lines appended at the
# end (a [privacy] table).
write_toml() {
  local task="$1" clients="$2" per_round="$3" n_rounds="$4" every="$5" row="$6" client="$7"
  local lr="$8"
  shift 8
  cat <<TOML
seed = $seed
rounds = $n_rounds
clients = $clients
clients_per_round = $per_round

[data]
task = "$task"
partition = "labels"
max_eval = 1000
client_holdout = 0

$(toml_tables "$row" "$lr")
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

picks_dir="$out/docs-$grid_docs/grid" # every size's rows use the picks of GRID_DOCS's grid
build_bench
for docs in $docs_list; do
  if [[ $base_task == *:* ]]; then task="$base_task,documents=$docs"; else task="$base_task:documents=$docs"; fi
  d="$out/docs-$docs"
  mkdir -p "$d"
  bench_args=()
  n_train=$("$fedpeft" tasks list "$task" --seed "$seed" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["train"])')
  echo "car_retrieval: $task, $n_train training queries (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2

  if [[ " $parts " == *" grid "* && $docs == "$grid_docs" ]]; then
    mkdir -p "$d/grid"
    : >"$d/grid/scores.tsv"
    for row in $rows; do
      for lr in $lrs; do
        echo "car_retrieval: $docs docs, grid, $row, lr $lr" >&2
        run="$d/grid/$row-lr$lr"
        # shellcheck disable=SC2046
        central "$run" --task "$task" $(train_args "$row" "$lr") --steps "$steps"
        if diverged "$run"; then
          echo nan >"$run.val"
        elif [[ ! -f "$run.val" || "$run.done" -nt "$run.val" ]]; then
          validation_top1 "$task" "$run/adapter" >"$run.val"
        fi
        printf '%s\t%s\t%s\n' "$row" "$lr" "$(cat "$run.val")" >>"$d/grid/scores.tsv"
        diverged "$run" || bench_args+=("$row-lr$lr=$run/adapter")
      done
    done
    # The pick: the best validation top-1 (grid.py's best_lr: a tie goes to the larger rate).
    python3 "$here/car_tables.py" --picks "$d/grid/scores.tsv" >"$d/grid/picks.tsv"
    cat "$d/grid/picks.tsv" >&2
  fi

  if [[ " $parts " == *" table "* ]]; then
    for row in $rows; do
      lr=$(lr_of "$picks_dir" "$row")
      for mode in $modes; do
        echo "car_retrieval: $docs docs, $row, $mode, lr $lr" >&2
        if [[ $mode == central ]]; then
          # The grid's run at the picked rate (trained here when the grid has not run).
          mkdir -p "$d/grid"
          # shellcheck disable=SC2046
          central "$d/grid/$row-lr$lr" --task "$task" $(train_args "$row" "$lr") --steps "$steps"
          diverged "$d/grid/$row-lr$lr" || bench_args+=("$row-central=$d/grid/$row-lr$lr/adapter")
        else
          write_toml "$task" 20 5 "$rounds" "$rounds" "$row" "" "$lr" >"$d/$row-federated.toml"
          federated "$d/$row-federated" "$d/$row-federated.toml"
          diverged "$d/$row-federated" || bench_args+=("$row-federated=$d/$row-federated/adapter")
        fi
      done
    done
  fi

  if [[ " $parts " == *" dp "* ]]; then
    q_central=$(python3 -c "print(16 / $n_train)")
    q_client=$(python3 -c "print(min(1.0, 16 * 20 / $n_train))")
    # A client takes part in 5/20 of the rounds on average, 20 steps each (at least one round).
    client_steps=$((20 * ((rounds * 5 + 19) / 20)))
    : >"$d/dp-noise.txt"
    for row in $dp_rows; do
      lr=$(lr_of "$picks_dir" "$row")
      for eps in $epsilons; do
        for mode in $dp_modes; do
          echo "car_retrieval: $docs docs, $row DP epsilon $eps, $mode, lr $lr" >&2
          name="$row-$mode-dp$eps"
          if [[ $mode == central ]]; then
            sigma=$(noise_for "$eps" "$q_central" "$steps")
            # shellcheck disable=SC2046
            central "$d/$name" --task "$task" $(train_args "$row" "$lr") --steps "$steps" \
              --dp-noise "$sigma" --dp-clip 1.0 --dp-epsilon "$eps" --dp-delta 1e-5
          else
            sigma=$(noise_for "$eps" "$q_client" "$client_steps")
            write_toml "$task" 20 5 "$rounds" "$rounds" "$row" "" "$lr" "[privacy]" \
              'mode = "sample"' "sample.clip_norm = 1.0" "sample.noise_multiplier = $sigma" \
              "epsilon = $eps" "delta = 1e-5" >"$d/$name.toml"
            federated "$d/$name" "$d/$name.toml"
          fi
          echo "$docs $row $mode epsilon $eps noise_multiplier $sigma" >>"$d/dp-noise.txt"
          diverged "$d/$name" || bench_args+=("$name=$d/$name/adapter")
        done
      done
    done
  fi

  if ((${#bench_args[@]} > 0)) || [[ " $parts " == *" table "* ]]; then
    # Rows of the parts that ran replace those of the same name; the other rows stay.
    bench_java org.fedpeft.bench.RetrievalBench "$task" "$seed" 1000 "${bench_args[@]}" | tee "$d/table.new.tsv"
    python3 "$here/car_tables.py" --merge "$d/table.tsv" "$d/table.new.tsv"
    rm -f "$d/table.new.tsv"
  fi

  if [[ " $parts " == *" speedup "* ]]; then
    mkdir -p "$d/speedup"
    echo "car_retrieval: $docs docs, speed-up, centralised reference (fedpeft train)" >&2
    # Evaluated every 20 steps (one round's worth); with one round only the final evaluation is
    # left, which train gives with --eval-every 0 (it refuses an --eval-every of --steps or more).
    # shellcheck disable=SC2046
    central "$d/speedup/central" --task "$task" \
      $(train_args car-softembed "$(lr_of "$picks_dir" car-softembed)") \
      --steps $((speedup_rounds * 20)) --eval-every $((speedup_rounds > 1 ? 20 : 0)) \
      --eval-split test --checkpoint-every 0
    for k in 1 $ks; do
      echo "car_retrieval: $docs docs, speed-up run with K = $k" >&2
      write_toml "$task" "$k" "$k" "$speedup_rounds" 1 car-softembed "parallel = 1" \
        "$(lr_of "$picks_dir" car-softembed)" >"$d/speedup/k$k.toml"
      federated "$d/speedup/k$k" "$d/speedup/k$k.toml"
    done
  fi
done
python3 "$here/car_tables.py" "$out" "$target" | tee "$out/tables.md"
