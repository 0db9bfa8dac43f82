#!/usr/bin/env bash
# FedBE small-scale reproduction (issue 12): wordnet-noun-topic, Dirichlet 0.3, 20 clients (4 per
# round), budgets drawn from 1/4..1 ("uniform"), for each seed: FedBE with the coverage allocation,
# FedBE with random allocation (isolates the rule), FedIT (LoRA r=8 on query/value) and federated
# full fine-tuning of the top 2 base blocks (top-blocks, FedAvg). Every run measures retention
# (eval.retention: top-1 nearest-neighbour retrieval on wordnet-sense-retrieval and
# nearest-centroid accuracy on wordnet-verb-topic, base model vs trained adapter, no head) and
# rounds to TARGET accuracy (eval.target_accuracy; resolution EVAL_EVERY rounds).
# Reports per run and as the mean over seeds per method: the final accuracy, retention after/before
# of both parts, rounds_to_target ("-" if not reached), bytes up per round, and client fit seconds
# per local step (client_fit_seconds of timings.jsonl / (clients_per_round * local_steps); clients
# run in parallel, so this is the time a step costs one client).
# Usage: fedbe.sh [ROUNDS] [SEEDS...]   (defaults 20 and "42 43")
# Environment: METHODS (default "fedbe-coverage fedbe-random fedit top-blocks"), TARGET (default
# 0.5), EVAL_EVERY (default 2), OUT the folder of the runs, EXTRA more --set options for every
# run (e.g. EXTRA="--set data.max_train=400" for a smoke run).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-20}"
shift || true
if [[ $# -gt 0 ]]; then seeds=("$@"); else seeds=(42 43); fi
methods="${METHODS:-fedbe-coverage fedbe-random fedit top-blocks}"
target="${TARGET:-0.5}"
every="${EVAL_EVERY:-2}"
read -r -a extra <<<"${EXTRA:-}"
out="${OUT:-$root/runs/fedbe-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
for seed in "${seeds[@]}"; do
  for m in $methods; do
    dir="$out/$m-seed$seed"
    common=(--set "rounds=$rounds" --set "seed=$seed" --set "eval.every=$every"
      --set "client.budgets=uniform" --set "eval.retention=true" --set "eval.target_accuracy=$target")
    case "$m" in
      fedbe-coverage) cfg=(examples/fedbe-noun-topic.toml --set adapter.allocation=coverage) ;;
      fedbe-random) cfg=(examples/fedbe-noun-topic.toml --set adapter.allocation=random) ;;
      fedit) cfg=(examples/fedit-noun-topic.toml) ;;
      top-blocks) cfg=(examples/top-blocks-noun-topic.toml) ;;
      *) echo "unknown method $m" >&2; exit 2 ;;
    esac
    echo "$(date -u +%H:%M:%S) $m seed $seed (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    (cd "$root" && ./fedpeft simulate "${cfg[@]}" "${common[@]}" ${extra[@]+"${extra[@]}"} \
      --out "$dir" >"$dir.log" 2>"$dir.err") || { cat "$dir.err" >&2; exit 1; }
  done
done
python3 - "$out" "$target" <<'PY'
import glob, json, os, sys
from collections import defaultdict
num = lambda v: float("nan") if v is None else v
out, target = sys.argv[1], float(sys.argv[2])
rows = []
for d in sorted(glob.glob(os.path.join(out, "*-seed*"))):
    if not os.path.isdir(d):
        continue
    s = json.load(open(os.path.join(d, "summary.json")))
    cfg = json.load(open(os.path.join(d, "config.json")))
    lines = [json.loads(l) for l in open(os.path.join(d, "metrics.jsonl"))]
    rounds = [l for l in lines if l.get("event") == "round"]
    up = sum(l["bytes_up"] for l in rounds) / len(rounds)
    t = [json.loads(l) for l in open(os.path.join(d, "timings.jsonl"))]
    flat = cfg.get("values", cfg)
    steps = int(flat.get("client.local_steps", 15)) * int(flat.get("clients_per_round", 4))
    fit = sum(x["client_fit_seconds"] for x in t) / (len(t) * steps)
    r = s["retention"]
    rows.append(dict(run=os.path.basename(d), method=os.path.basename(d).rsplit("-seed", 1)[0],
                     acc=s["final_accuracy"], reach=s.get("rounds_to_target"),
                     ret_b=r["retrieval"]["before"], ret_a=r["retrieval"]["after"],
                     ret=num(r["retrieval"]["ratio"]), cen_b=r["centroid"]["before"],
                     cen_a=r["centroid"]["after"], cen=num(r["centroid"]["ratio"]), up=up, fit=fit))
head = "%-26s %9s %11s %21s %21s %14s %10s"
print(head % ("run", "final_acc", "rounds_to_%.2f" % target, "retrieval bef>aft", "centroid bef>aft",
              "bytes_up/round", "fit_s/step"))
for x in rows:
    print("%-26s %9.4f %11s %6.3f>%6.3f (%5.3f) %6.3f>%6.3f (%5.3f) %14.0f %10.3f" % (
        x["run"], x["acc"], "-" if x["reach"] is None else x["reach"], x["ret_b"], x["ret_a"],
        x["ret"], x["cen_b"], x["cen_a"], x["cen"], x["up"], x["fit"]))
by = defaultdict(list)
for x in rows:
    by[x["method"]].append(x)
print()
print("mean over seeds (rounds to target: mean over the seeds that reached it, n reached)")
for m, xs in by.items():
    mean = lambda k: sum(x[k] for x in xs) / len(xs)
    reached = [x["reach"] for x in xs if x["reach"] is not None]
    reach = "%.1f (%d/%d)" % (sum(reached) / len(reached), len(reached), len(xs)) if reached else "- (0/%d)" % len(xs)
    print("%-26s acc %.4f  retention retrieval %.3f centroid %.3f  rounds_to_target %s  bytes_up/round %.0f  fit_s/step %.3f" % (
        m, mean("acc"), mean("ret"), mean("cen"), reach, mean("up"), mean("fit")))
PY
