#!/usr/bin/env bash
# Per-operator profile (libtorch's autograd profiler) of the training step and the forward pass.
# Usage: profile.sh [OUT_DIR] [STEPS] [SEQ] [PRECISION] [DROPOUT]   (SEQ < 128: padded batches of
# up to SEQ tokens; PRECISION fp32, the default, or bf16: the frozen base's; DROPOUT LoRA's, 0.05 by
# default, 0 in the peer bench's step). The training step's summary also splits aten::copy_ (casts,
# clones of head layouts, addmm's copy of the bias into its output) by caller and shapes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
check_args 0 5 "$@"
check_profile_args "$@"
out="${1:-/tmp/fedpeft-profile}"
steps="${2:-3}"
seq="${3:-128}"
precision="${4:-fp32}"
dropout="${5:-0.05}"
build_bench
wait_quiet
bench_java org.fedpeft.bench.ProfileStep "$out" "$steps" "$seq" "$precision" "$dropout"
echo "== training step"; python3 "$here/profile_summary.py" "$out/train.json" "$steps" 25 aten::copy_
echo "== forward"; python3 "$here/profile_summary.py" "$out/forward.json" "$steps" 15
