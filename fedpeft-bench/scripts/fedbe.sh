#!/usr/bin/env bash
# FedBE small-scale reproduction (issue 12): wordnet-noun-topic, Dirichlet 0.3, 20 clients (4 per
# round), budgets drawn from 1/4..1 ("uniform"), for each seed: FedBE with the coverage allocation,
# FedBE with random allocation (isolates the rule) and FedIT (LoRA r=8 on query/value). Reports per
# run the final accuracy, the first evaluated round reaching TARGET accuracy (rounds_to_target, "-"
# if none), bytes up per round, and client fit seconds per local step (client_fit_seconds of
# timings.jsonl / (clients_per_round * local_steps); clients run in parallel, so this is the time a
# step costs one client).
# Usage: fedbe.sh [ROUNDS] [SEEDS...]   (defaults 20 and "42 43")
# Environment: METHODS (default "fedbe-coverage fedbe-random fedit"), TARGET (default 0.5),
# EVAL_EVERY (default 2), OUT the folder of the runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-20}"
shift || true
if [[ $# -gt 0 ]]; then seeds=("$@"); else seeds=(42 43); fi
methods="${METHODS:-fedbe-coverage fedbe-random fedit}"
target="${TARGET:-0.5}"
every="${EVAL_EVERY:-2}"
out="${OUT:-$root/runs/fedbe-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
for seed in "${seeds[@]}"; do
  for m in $methods; do
    dir="$out/$m-seed$seed"
    common=(--set "rounds=$rounds" --set "seed=$seed" --set "eval.every=$every" --set "client.budgets=uniform")
    case "$m" in
      fedbe-coverage) cfg=(examples/fedbe-noun-topic.toml --set adapter.allocation=coverage) ;;
      fedbe-random) cfg=(examples/fedbe-noun-topic.toml --set adapter.allocation=random) ;;
      fedit) cfg=(examples/fedit-noun-topic.toml) ;;
      *) echo "unknown method $m" >&2; exit 2 ;;
    esac
    echo "$(date -u +%H:%M:%S) $m seed $seed (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    (cd "$root" && ./fedpeft simulate "${cfg[@]}" "${common[@]}" --out "$dir" >"$dir.log" 2>"$dir.err") \
      || { cat "$dir.err" >&2; exit 1; }
  done
done
python3 - "$out" "$target" <<'PY'
import glob, json, os, sys
out, target = sys.argv[1], float(sys.argv[2])
print("run                      final_acc  rounds_to_%.2f  bytes_up/round  fit_s/step" % target)
for d in sorted(glob.glob(os.path.join(out, "*-seed*"))):
    if not os.path.isdir(d):
        continue
    s = json.load(open(os.path.join(d, "summary.json")))
    cfg = json.load(open(os.path.join(d, "config.json")))
    lines = [json.loads(l) for l in open(os.path.join(d, "metrics.jsonl"))]
    rounds = [l for l in lines if l.get("event") == "round"]
    reach = next((l["round"] for l in rounds if l.get("accuracy", -1) >= target), "-")
    up = sum(l["bytes_up"] for l in rounds) / len(rounds)
    t = [json.loads(l) for l in open(os.path.join(d, "timings.jsonl"))]
    flat = cfg.get("values", cfg)
    steps = int(flat.get("client.local_steps", 15)) * int(flat.get("clients_per_round", 4))
    fit = sum(x["client_fit_seconds"] for x in t) / (len(t) * steps)
    print("%-24s %.4f     %-14s  %14.0f  %.3f" % (os.path.basename(d), s["final_accuracy"], reach, up, fit))
PY
