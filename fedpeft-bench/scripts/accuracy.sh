#!/usr/bin/env bash
# wordnet-noun-topic test accuracy: a linear head on the frozen encoder (--adapter none) vs
# LoRA r=8 on query/value + head, the same steps, batch and seed for both; the learning rate of
# each is picked on the validation split from a small grid, and the test accuracy of the pick is
# reported. Usage: accuracy.sh [STEPS] [BATCH]   (defaults 600 and 16)
# Environment: LR_NONE and LR_LORA override the grids (space-separated; empty skips), OUT the
# run folder.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
steps="${1:-600}"
batch="${2:-16}"
lr_none="${LR_NONE-1e-3 3e-3 1e-2 3e-2}"
lr_lora="${LR_LORA-3e-4 1e-3 3e-3}"
out="${OUT:-$root/runs/accuracy-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
run() { # adapter lr
  local dir="$out/$1-lr$2"
  local opts=()
  if [[ $1 == lora ]]; then opts=(--adapter lora --adapter-options rank=8,alpha=16,dropout=0.05,targets=query+value); else opts=(--adapter none); fi
  echo "load before $1 lr=$2: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$root/fedpeft" train --task wordnet-noun-topic "${opts[@]}" --steps "$steps" --batch-size "$batch" \
    --lr "$2" --seed 42 --eval-every 0 --out "$dir" >"$dir.log" 2>"$dir.err" || { cat "$dir.err" >&2; exit 1; }
}
for lr in $lr_none; do run none "$lr"; done
for lr in $lr_lora; do run lora "$lr"; done
python3 - "$out" "$steps" "$batch" <<'PY'
import glob, json, os, sys
out, steps, batch = sys.argv[1], sys.argv[2], sys.argv[3]
rows = []
for d in sorted(glob.glob(os.path.join(out, "*-lr*"))):
    if not os.path.isdir(d):
        continue
    val = [json.loads(l) for l in open(os.path.join(d, "metrics.jsonl")) if '"validation"' in l][-1]
    s = json.load(open(os.path.join(d, "summary.json")))
    rows.append((s["adapter"], s["learning_rate"], val["accuracy"], s["test_accuracy"], s["seconds"], s["trainable_parameters"]))
print("adapter  lr        val_acc  test_acc  seconds  trainable")
for r in rows:
    print("%-8s %-9g %.4f   %.4f    %6.0f   %d" % r)
best = {}
for r in rows:
    if r[0] not in best or r[2] > best[r[0]][2]:
        best[r[0]] = r
print("steps %s, batch %s, seed 42; lr picked on validation:" % (steps, batch))
for a in ("none", "lora"):
    if a in best:
        r = best[a]
        print("%s: lr %g, validation %.4f, test accuracy %.4f" % (a, r[1], r[2], r[3]))
if "none" in best and "lora" in best:
    print("lora beats the frozen head: %s (test %+.4f)" % ("yes" if best["lora"][3] > best["none"][3] else "NO", best["lora"][3] - best["none"][3]))
PY
