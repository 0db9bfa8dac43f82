#!/usr/bin/env bash
# How much FedDPA's instance weight can vary with MiniLM (docs/methods.md, issue 11): the mean
# cosine similarity of sentence embeddings (the frozen base model: mean pooling, L2 norm) between
# 5 anchors drawn from one task's training split and 20 test texts of the same task, and 20 of
# another task; and the instance weight 0.5 x that mean (max_weight 0.5, as the reference code).
# Usage: feddpa_similarity.sh [ANCHOR_TASK] [OTHER_TASK] [SEED]
#        (default wordnet-noun-topic wordnet-verb-frame 1)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 3 "$@"
if (($# >= 3)); then check_count SEED "$3" 0; fi
own="${1:-wordnet-noun-topic}"
other="${2:-wordnet-verb-frame}"
seed="${3:-1}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$root/fedpeft" tasks export "$own" --out "$work/own" >/dev/null
"$root/fedpeft" tasks export "$other" --out "$work/other" >/dev/null
python3 - "$work" "$seed" <<'PY'
import json, random, sys
work, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
def texts(path):
    return [json.loads(l)["text"].replace("\n", " ") for l in open(path)]
sel = (rng.sample(texts(work + "/own/train.jsonl"), 5) + rng.sample(texts(work + "/own/test.jsonl"), 20)
       + rng.sample(texts(work + "/other/test.jsonl"), 20))
open(work + "/texts.txt", "w").write("\n".join(sel) + "\n")
PY
"$root/fedpeft" embed <"$work/texts.txt" >"$work/emb.jsonl"
python3 - "$work" "$own" "$other" <<'PY'
import json, math, statistics, sys
work, own, other = sys.argv[1:4]
e = [json.loads(l) for l in open(work + "/emb.jsonl")]
def cos(x, y):
    return sum(a * b for a, b in zip(x, y)) / math.sqrt(sum(a * a for a in x) * sum(b * b for b in y))
anchors = e[:5]
for name, group in ((own, e[5:25]), (other, e[25:45])):
    m = [statistics.mean(cos(x, a) for a in anchors) for x in group]
    print("%-24s mean cosine to the 5 anchors %.3f (min %.3f, max %.3f); instance weight 0.5 x mean %.3f"
          % (name, statistics.mean(m), min(m), max(m), 0.5 * statistics.mean(m)))
PY
