#!/usr/bin/env bash
# Test accuracy of a linear head on the frozen encoder (--adapter none) vs LoRA r=8 on
# query/value + head (default task wordnet-noun-topic), the same steps, batch and seed for both;
# the learning rate of each is picked on the validation split from a small grid (common rule:
# grid.py's best_lr, a tie to the larger rate, a diverged run never), and the test accuracy of the
# pick is reported (the test split takes no part in the choice).
# Usage: accuracy.sh [STEPS] [BATCH]   (defaults 600 and 16)
# Environment (common.sh, the same names in every reproduction script): TASK (a bundled
# classification task, `./fedpeft tasks list`; default wordnet-noun-topic) or DATA (your JSONL/CSV
# file, --data, with TEST its test file, --test; replaces TASK), SEED (42), LRS (one grid for both
# contenders), OUT (the run folder). Also: LR_NONE and LR_LORA, each contender's own grid
# (space-separated; empty skips that contender; defaults "1e-3 3e-3 1e-2 3e-2" and "3e-4 1e-3
# 3e-3", which differ, so the table then says the picks were made over different grids; LRS sets
# both), MAX_EVAL (validation and test examples evaluated, train's --max-eval; default 2000).
# A run that diverges (NaN loss) is recorded as OUT/ADAPTER-lrLR.diverged and shown as such; any
# other failure stops the script. Re-running with the same OUT skips the runs that finished.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 2 "$@"
if (($# >= 1)); then check_count STEPS "$1"; fi
if (($# >= 2)); then check_count BATCH "$2"; fi
steps="${1:-600}"
batch="${2:-16}"
seed="${SEED:-42}"
if ! [[ $seed =~ ^[0-9]+$ ]]; then die "SEED: '$seed' is not a whole number >= 0"; fi
if [[ -n "${LRS:-}" ]]; then
  if [[ -n "${LR_NONE+x}${LR_LORA+x}" ]]; then die "LRS sets both grids: not with LR_NONE or LR_LORA"; fi
  LR_NONE="$LRS" LR_LORA="$LRS"
fi
lr_none="${LR_NONE-1e-3 3e-3 1e-2 3e-2}"
lr_lora="${LR_LORA-3e-4 1e-3 3e-3}"
data_from_env wordnet-noun-topic
out="$(abs_path "${OUT:-$root/runs/accuracy-$(date +%Y%m%d-%H%M%S)}")"
mkdir -p "$out"
same_settings "$out" "steps $steps, batch $batch, seed $seed, data $data_name, max eval ${MAX_EVAL:-2000}"
run() { # adapter lr
  local dir="$out/$1-lr$2"
  if run_done "$dir"; then return 0; fi
  local opts=()
  if [[ $1 == lora ]]; then opts=(--adapter lora --adapter-options rank=8,alpha=16,dropout=0.05,targets=query+value); else opts=(--adapter none); fi
  echo "load before $1 lr=$2: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$root/fedpeft" train "${data_train[@]}" "${opts[@]}" --steps "$steps" --batch-size "$batch" \
    --lr "$2" --seed "$seed" --eval-every 0 --max-eval "${MAX_EVAL:-2000}" --out "$dir" --force \
    >"$dir.log" 2>"$dir.err" || run_failed "$dir"
}
for lr in $lr_none; do run none "$lr"; done
for lr in $lr_lora; do run lora "$lr"; done
python3 - "$out" "$steps" "$batch" "$seed" "$data_name" "$here" <<'PY'
import glob, json, os, sys
out, steps, batch, seed, data, here = sys.argv[1:]
sys.path.insert(0, here)
from grid import best_lr
rows = []  # adapter, lr, validation accuracy, test accuracy, seconds, trainable parameters
for d in sorted(glob.glob(os.path.join(out, "*-lr*"))):
    if d.endswith(".diverged"):
        adapter, lr = os.path.basename(d)[:-len(".diverged")].split("-lr")
        rows.append((adapter, lr, float("nan"), float("nan"), None, None))
        continue
    if not os.path.isdir(d) or not os.path.exists(os.path.join(d, "summary.json")):
        continue
    val = [json.loads(l) for l in open(os.path.join(d, "metrics.jsonl")) if '"validation"' in l][-1]
    s = json.load(open(os.path.join(d, "summary.json")))
    lr = os.path.basename(d).split("-lr")[1]
    rows.append((s["adapter"], lr, val["accuracy"], s["test_accuracy"], s["seconds"], s["trainable_parameters"]))
rows.sort(key=lambda r: (r[0] != "none", float(r[1])))
print("adapter  lr        val_acc  test_acc  seconds  trainable")
for r in rows:
    if r[2] != r[2]:
        print("%-8s %-9g diverged" % (r[0], float(r[1])))
    else:
        print("%-8s %-9g %.4f   %.4f    %6.0f   %d" % (r[0], float(r[1]), *r[2:]))
best = {}
for a in ("none", "lora"):
    grid = {r[1]: r[2] for r in rows if r[0] == a}
    if grid:
        lr = best_lr(grid)
        best[a] = [r for r in rows if r[0] == a and r[1] == lr][0]
print("steps %s, batch %s, seed %s, data %s; lr picked on validation:" % (steps, batch, seed, data))
for a in ("none", "lora"):
    if a in best:
        r = best[a]
        if r[2] != r[2]:
            print("%s: every learning rate diverged" % a)
        else:
            print("%s: lr %g, validation %.4f, test accuracy %.4f" % (a, float(r[1]), r[2], r[3]))
grids = {a: sorted({r[1] for r in rows if r[0] == a}, key=float) for a in best}
if len(grids) == 2 and grids["none"] != grids["lora"]:
    print("note: the two picks were made over different grids (none: %s; lora: %s); LRS gives both one grid"
          % (" ".join(grids["none"]), " ".join(grids["lora"])))
if "none" in best and "lora" in best and best["none"][2] == best["none"][2] and best["lora"][2] == best["lora"][2]:
    print("lora beats the frozen head: %s (test %+.4f)" % ("yes" if best["lora"][3] > best["none"][3] else "NO", best["lora"][3] - best["none"][3]))
PY
