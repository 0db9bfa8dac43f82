#!/usr/bin/env bash
# Ravan against FedIT, FFA-LoRA, FedEx-LoRA and Fed-SB at equal uploaded parameters per round, on
# wordnet-noun-topic with MiniLM, 20 clients, Dirichlet alpha 0.3, 3 clients per round (issue 10,
# docs/methods.md). Every contender gets the same learning-rate grid and the same seeds; the
# learning rate of each is picked by its mean final accuracy on the clients' own held-out data
# (client_accuracy_mean, not the test set), and the test accuracy at that pick is reported as mean
# and spread (min..max) over the seeds.
#
# Upload per module (MiniLM query and value, 384 x 384), all within 1 % of FedIT's:
#   fedit      LoRA r=8, A and B sent        8 x (384 + 384) = 6,144
#   ffa-lora   LoRA r=16, only B sent        16 x 384        = 6,144
#   fedex-lora LoRA r=8, A and B sent        8 x (384 + 384) = 6,144
#   fed-sb     one core of rank 78           78^2            = 6,084
#   ravan      4 heads of rank 39            4 x 39^2        = 6,084 (at budget 1)
#   hetlora    LoRA r_max=8, client rank     r_c x (384 + 384), r_c = round(8 b_c)
#   flexlora   the same
#
# Settings: a = homogeneous compute (every budget 1); b = client.budgets = skewed (budgets b_c in
# 1/4, 1/2, 3/4, 1). In b the LoRA baselines are the rank-heterogeneous ones: a client of budget
# b_c trains and uploads LoRA of rank r_c = round(8 b_c) = 2, 4, 6, 8, i.e. 1,536 / 3,072 / 4,608 /
# 6,144 per module, while Ravan's client trains round(4 b_c) = 1..4 heads, 1,521 / 3,042 / 4,563 /
# 6,084: equal upload at every budget, within 1 %. hetlora: zero-padded factors, sparsity-weighted
# mean (HetLoRA's rule; the head takes server.weighting); flexlora: the clients' products averaged
# by examples (FlexLoRA's rule, so server.weighting = examples for it), SVD-truncated back to each
# client's rank (docs/methods.md). Also in b: the Ravan variants (gradient, random and weight head
# selection; gram-schmidt, normal and shared init) and Fed-SB (one head: a budget would change
# nothing, so it runs without client.budgets, which the config refuses for a method and strategy
# that do not read it; its b runs equal its a runs). Available but not in the default lists: hetlora-prune (HetLoRA with self-pruning,
# gamma 0.75), hetlora-keep (each rank component averaged over the clients that trained it),
# ravan-gradient and fed-sb-gradient (their frozen factors from the top singular vectors of the
# gradient at the base model over FACTOR_EXAMPLES (512) examples of the task's validation split,
# data no client holds, after LoRA-SB; org.fedpeft.bench.GradientFactors, one file per seed).
#
# Tuning, as in fedbe.sh: every contender runs the learning-rate grid (LRS) with the first seed; its
# learning rate is picked by the clients' held-out accuracy (client_accuracy_mean, never the test
# split) and the other seeds run at that pick. The ablations of setting b (ravan-random,
# ravan-weight, ravan-normal, ravan-shared) vary one part of Ravan, so they run at Ravan's pick in
# that setting, every seed, instead of a grid of their own.
#
# Usage: ravan_repro.sh            (25 rounds, seeds 1 2, lr 1e-3 3e-3 1e-2, settings a and b)
# Environment (common.sh, the same names in every reproduction script): ROUNDS, SEEDS, LRS, TASK
# (a bundled classification task, `./fedpeft tasks list`; default wordnet-noun-topic) or DATA
# (your JSONL/CSV file, data.file, with TEST its test file, data.test; replaces TASK; not for the
# -gradient contenders, whose factors come from a bundled task's validation split), OUT (the run
# folder). Also: HEAD_LR (the classification head's learning rate for every contender and every
# point of the grid, client.head_learning_rate; default: the grid's rate, as for the adapter),
# STEPS (local steps, 15), BATCH (16), MAX_TRAIN (8000), MAX_EVAL (1000), CLIENTS (20),
# CLIENTS_PER_ROUND (3), FACTOR_EXAMPLES (512), SETTINGS ("a b"), CONTENDERS_A, CONTENDERS_B,
# ABLATIONS_B (subsets of the names below). Re-running with the same OUT skips runs that
# finished (so two processes with disjoint contender lists, or a wider LRS, can share one OUT);
# an OUT whose runs used other settings (OUT/settings.txt: rounds, data, clients, steps, ...) is
# refused. A run that diverges (NaN loss) is recorded as OUT/.../lr<lr>-seed<seed>.diverged,
# shown as such in the grid and never picked; any other failure stops the script.
# ravan_table.py OUT prints the table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 0 "$@"
grid_from_env 25 "1 2" "1e-3 3e-3 1e-2"
data_from_env wordnet-noun-topic
steps="${STEPS:-15}"
batch="${BATCH:-16}"
settings="${SETTINGS:-a b}"
contenders_a="${CONTENDERS_A-fedit ffa-lora fedex-lora fed-sb ravan}"
contenders_b="${CONTENDERS_B-hetlora flexlora fed-sb ravan}"
ablations_b="${ABLATIONS_B-ravan-random ravan-weight ravan-normal ravan-shared}"
check_words SETTINGS "$settings" a b
check_count STEPS "$steps"
check_count BATCH "$batch"
check_count MAX_TRAIN "${MAX_TRAIN:-8000}"
check_count MAX_EVAL "${MAX_EVAL:-1000}"
check_count CLIENTS "${CLIENTS:-20}"
check_count CLIENTS_PER_ROUND "${CLIENTS_PER_ROUND:-3}"
check_count FACTOR_EXAMPLES "${FACTOR_EXAMPLES:-512}"
out="$(abs_path "${OUT:-$root/runs/ravan-repro-$(date +%Y%m%d-%H%M%S)}")"
mkdir -p "$out"

# The shared part of every run (adapter and strategy come from the contender).
base="$(cat <<TOML
rounds = $rounds
clients = ${CLIENTS:-20}
clients_per_round = ${CLIENTS_PER_ROUND:-3}

[data]
$data_toml
partition = "dirichlet:0.3"
max_train = ${MAX_TRAIN:-8000}
max_eval = ${MAX_EVAL:-1000}

[client]
local_steps = $steps
batch_size = $batch

[server]
weighting = "uniform"

[eval]
every = $rounds
TOML
)"
same_settings "$out" "$base"$'\n'"# HEAD_LR=${HEAD_LR:-} FACTOR_EXAMPLES=${FACTOR_EXAMPLES:-512}"
printf '%s\n' "$base" >"$out/base.toml"

contender() { # name -> --set arguments
  local lora8=(--set adapter.method=lora --set adapter.rank=8 --set adapter.alpha=16
    --set adapter.dropout=0.05 --set adapter.targets=query,value)
  local ravan=(--set adapter.method=ravan --set adapter.heads=4 --set adapter.rank=39
    --set adapter.dropout=0.05 --set adapter.targets=query,value --set server.strategy=fedavg)
  case "$1" in
    fedit) echo --set adapter.method=lora --set adapter.rank=8 --set adapter.alpha=16 \
      --set adapter.dropout=0.05 --set adapter.targets=query,value --set server.strategy=fedit ;;
    ffa-lora) echo --set adapter.method=lora --set adapter.rank=16 --set adapter.alpha=32 \
      --set adapter.dropout=0.05 --set adapter.targets=query,value --set server.strategy=ffa-lora ;;
    fedex-lora) echo --set adapter.method=lora --set adapter.rank=8 --set adapter.alpha=16 \
      --set adapter.dropout=0.05 --set adapter.targets=query,value --set server.strategy=fedex-lora ;;
    fed-sb) echo --set adapter.method=fed-sb --set adapter.rank=78 --set adapter.dropout=0.05 \
      --set adapter.targets=query,value --set server.strategy=fedavg ;;
    hetlora) echo "${lora8[@]}" --set server.strategy=hetlora ;;
    hetlora-prune) echo "${lora8[@]}" --set server.strategy=hetlora --set server.hetlora.prune=true ;;
    hetlora-keep) echo "${lora8[@]}" --set server.strategy=hetlora --set server.hetlora.padding=keep ;;
    flexlora) echo "${lora8[@]}" --set server.strategy=flexlora --set server.weighting=examples ;;
    ravan) echo "${ravan[@]}" --set adapter.init=gram-schmidt --set adapter.head_selection=gradient ;;
    ravan-random) echo "${ravan[@]}" --set adapter.init=gram-schmidt --set adapter.head_selection=random ;;
    ravan-weight) echo "${ravan[@]}" --set adapter.init=gram-schmidt --set adapter.head_selection=weight ;;
    ravan-normal) echo "${ravan[@]}" --set adapter.init=normal --set adapter.head_selection=gradient ;;
    ravan-shared) echo "${ravan[@]}" --set adapter.init=shared --set adapter.head_selection=gradient ;;
    # Frozen factors from a gradient (GradientFactors; run() adds adapter.factors). No
    # adapter.init: with a factors file it is unused (and refused), so the run is as before.
    ravan-gradient) echo "${ravan[@]}" --set adapter.head_selection=gradient ;;
    fed-sb-gradient) contender fed-sb ;;
    *) echo "ravan_repro.sh: unknown contender $1" >&2; exit 2 ;;
  esac
}

# The frozen factors of a -gradient contender for a seed (computed once): the top singular vectors
# of the gradient at the base model over the first FACTOR_EXAMPLES examples of the task's
# validation split, which no client holds (data the server has; org.fedpeft.bench.GradientFactors).
gradient_factors() { # name, seed -> file
  local file="$out/factors/$1-seed$2.safetensors" shape
  case "$1" in
    ravan-gradient) shape="4 39" ;;
    fed-sb-gradient) shape="1 78" ;;
  esac
  if [[ ! -f $file ]]; then
    if [[ -n "${DATA:-}" ]]; then die "$1: its factors come from a bundled task's validation split: set TASK, not DATA"; fi
    mkdir -p "$out/factors"
    build_bench
    # shellcheck disable=SC2086
    bench_java org.fedpeft.bench.GradientFactors "$data_name" "$2" validation \
      "${FACTOR_EXAMPLES:-512}" $shape query+value "$file" >"$file.log" 2>&1 \
      || { tail -5 "$file.log" >&2; exit 1; }
  fi
  echo "$file"
}

# Whether a contender reads the clients' budgets (HetLoRA's and FlexLoRA's client ranks, Ravan's
# heads); setting b passes client.budgets to these only.
uses_budgets() { # name
  case "$1" in
    hetlora | hetlora-* | flexlora | ravan | ravan-*) return 0 ;;
    *) return 1 ;;
  esac
}

run() { # setting, name, lr, seed
  local setting="$1" name="$2" lr="$3" seed="$4" extra=()
  local dir="$out/$setting/$name/lr$lr-seed$seed"
  if run_done "$dir"; then return 0; fi
  mkdir -p "$(dirname "$dir")"
  echo "$(date -u +%H:%M:%S) ravan_repro: setting $setting, $name, lr $lr, seed $seed (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  if [[ $setting == b ]] && uses_budgets "$name"; then extra=(--set client.budgets=skewed); fi
  if [[ -n "${HEAD_LR:-}" ]]; then extra+=(--set client.head_learning_rate="$HEAD_LR"); fi
  if [[ $name == *-gradient ]]; then extra+=(--set adapter.factors="$(gradient_factors "$name" "$seed")"); fi
  local args
  read -r -a args <<<"$(contender "$name")"
  if [[ " ${extra[*]} " != *" client.budgets="* ]]; then
    # Without budgets every Ravan client trains every head, so head selection changes nothing and
    # simulate refuses the key: setting a runs the Ravan contenders without it.
    args=("${args[@]/adapter.head_selection=*/}")
    local kept=() i
    for ((i = 0; i < ${#args[@]}; i++)); do
      if [[ ${args[i]} == --set && -z ${args[i + 1]:-} ]]; then i=$((i + 1)); continue; fi
      kept+=("${args[i]}")
    done
    args=("${kept[@]}")
  fi
  "$root/fedpeft" simulate "$out/base.toml" "${args[@]}" --set seed="$seed" \
    --set client.learning_rate="$lr" "${extra[@]}" --out "$dir" --force \
    >"$dir.log" 2>"$dir.err" || run_failed "$dir"
}
picked() { python3 "$here/ravan_table.py" "$out" --pick "$1/$2"; }

# An unknown name stops the script here: inside $(contender ...) its exit would only end the
# subshell, and the run would go on with the base config under the wrong name.
for name in $contenders_a $contenders_b $ablations_b; do contender "$name" >/dev/null; done

for setting in $settings; do
  case "$setting" in
    a) names="$contenders_a"; ablations="" ;;
    b) names="$contenders_b"; ablations="$ablations_b" ;;
    *) echo "ravan_repro.sh: unknown setting $setting (a or b)" >&2; exit 2 ;;
  esac
  for lr in "${lrs[@]}"; do
    for name in $names; do run "$setting" "$name" "$lr" "${seeds[0]}"; done
  done
  for seed in "${seeds[@]:1}"; do
    for name in $names; do run "$setting" "$name" "$(picked "$setting" "$name")" "$seed"; done
  done
  if [[ -n $ablations ]]; then
    if [[ ! -d "$out/$setting/ravan" ]]; then
      echo "ravan_repro.sh: the ablations of setting $setting run at Ravan's pick: add ravan to its contenders" >&2
      exit 2
    fi
    lr="$(picked "$setting" ravan)"
    for seed in "${seeds[@]}"; do
      for name in $ablations; do run "$setting" "$name" "$lr" "$seed"; done
    done
  fi
done

python3 "$here/ravan_table.py" "$out" | tee "$out/table.md"
echo "runs and table: $out" >&2
