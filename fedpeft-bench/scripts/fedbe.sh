#!/usr/bin/env bash
# FedBE small-scale reproduction (issue 12): wordnet-noun-topic, Dirichlet 0.3, 20 clients (4 per
# round), budgets drawn from 1/4..1 ("uniform"). Contenders: FedBE with the coverage allocation,
# FedBE with random allocation (isolates the rule), FedIT (LoRA r=8 on query/value) and federated
# full fine-tuning of the top 2 base blocks (top-blocks, FedAvg). Only the FedBE contenders get the
# budgets: FedIT and top-blocks train everything whatever a client's budget, and the config
# refuses client.budgets for a method and strategy that do not read it. Every run measures retention
# (eval.retention: top-1 nearest-neighbour retrieval on wordnet-sense-retrieval and
# nearest-centroid accuracy on RETENTION_TASK (wordnet-verb-topic), base model vs trained model, no head) and
# rounds to TARGET accuracy (eval.target_accuracy; resolution EVAL_EVERY rounds).
#
# Tuning: every contender gets the same learning-rate grid (LRS) with the first seed; its learning
# rate is picked by the mean final accuracy on the clients' own held-out data
# (client_accuracy_mean, never the test split), and the other seeds run at that pick.
# fedbe_table.py reports, per contender at its pick, the mean and min..max over seeds of: the
# final test accuracy, retention after/before of both parts, rounds_to_target, bytes up per round
# and client fit seconds per local step.
#
# Usage: fedbe.sh [ROUNDS] [SEEDS...]   (defaults 20 and "42 43"; or ROUNDS and SEEDS below)
# Environment (common.sh, the same names in every reproduction script): ROUNDS, SEEDS, LRS
# (default "1e-4 5e-4 2e-3"), TASK (a bundled classification task, `./fedpeft tasks list`;
# default wordnet-noun-topic) or DATA (your JSONL/CSV file, data.file, with TEST its test file,
# data.test; replaces TASK), OUT (the run folder). Also: METHODS (default "fedbe-coverage
# fedbe-random fedit top-blocks"), TARGET (default 0.5), EVAL_EVERY (default 2), RETENTION_TASK
# (retention's nearest-centroid task, eval.retention_task, one TASK must not include; default
# wordnet-verb-topic), EXTRA more --set
# options for every run (e.g. EXTRA="--set data.max_train=400" for a smoke run). The other
# settings are those of examples/fedbe-noun-topic.toml, fedit-noun-topic.toml and
# top-blocks-noun-topic.toml. Re-running with the same OUT skips runs that finished and rebuilds
# the table from what exists; an OUT whose runs used other settings (OUT/settings.txt) is
# refused. A run that diverges (NaN loss) is recorded as lr<lr>-seed<seed>.diverged, shown as such
# and never picked; any other failure stops the script.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 1000 "$@"
if [[ $# -gt 0 ]]; then
  if [[ -n "${ROUNDS:-}${SEEDS:-}" ]]; then die "rounds and seeds given both as arguments and as ROUNDS/SEEDS: give one"; fi
  ROUNDS="$1"
  shift
  if [[ $# -gt 0 ]]; then SEEDS="$*"; fi
fi
grid_from_env 20 "42 43" "1e-4 5e-4 2e-3"
data_from_env wordnet-noun-topic
methods="${METHODS:-fedbe-coverage fedbe-random fedit top-blocks}"
retention_task="${RETENTION_TASK:-wordnet-verb-topic}"
if [[ -z "${DATA:-}" && "+$data_name+" == *"+$retention_task+"* ]]; then
  die "TASK: $data_name trains on the retention task $retention_task (eval.retention_task, which must be one the fine-tuning never saw): set RETENTION_TASK to another task"
fi
target="${TARGET:-0.5}"
every="${EVAL_EVERY:-2}"
read -r -a extra <<<"${EXTRA:-}"
out="$(abs_path "${OUT:-$root/runs/fedbe-$(date +%Y%m%d-%H%M%S)}")"
mkdir -p "$out"
same_settings "$out" "rounds $rounds, data $data_name, eval every $every, target $target, retention task $retention_task, extra ${EXTRA:-}"

run() { # method, lr, seed
  local m="$1" lr="$2" seed="$3" cfg
  local dir="$out/$m/lr$lr-seed$seed"
  if run_done "$dir"; then return 0; fi
  mkdir -p "$out/$m"
  case "$m" in
    fedbe-coverage) cfg=(examples/fedbe-noun-topic.toml --set adapter.allocation=coverage
      --set client.budgets=uniform) ;;
    fedbe-random) cfg=(examples/fedbe-noun-topic.toml --set adapter.allocation=random
      --set client.budgets=uniform) ;;
    fedit) cfg=(examples/fedit-noun-topic.toml) ;;
    top-blocks) cfg=(examples/top-blocks-noun-topic.toml) ;;
    *) echo "fedbe.sh: unknown method $m" >&2; exit 2 ;;
  esac
  echo "$(date -u +%H:%M:%S) $m lr $lr seed $seed (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  (cd "$root" && ./fedpeft simulate "${cfg[@]}" --set "rounds=$rounds" --set "seed=$seed" \
    --set "client.learning_rate=$lr" --set "eval.every=$every" "${data_sets[@]}" \
    --set "eval.retention=true" --set "eval.retention_task=$retention_task" \
    --set "eval.target_accuracy=$target" \
    ${extra[@]+"${extra[@]}"} --out "$dir" --force >"$dir.log" 2>"$dir.err") \
    || run_failed "$dir"
}

for lr in "${lrs[@]}"; do
  for m in $methods; do run "$m" "$lr" "${seeds[0]}"; done
done
for seed in "${seeds[@]:1}"; do
  for m in $methods; do run "$m" "$(python3 "$here/fedbe_table.py" "$out" --pick "$m")" "$seed"; done
done
python3 "$here/fedbe_table.py" "$out" --target "$target" | tee "$out/table.md"
echo "runs and table: $out" >&2
