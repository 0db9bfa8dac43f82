#!/usr/bin/env bash
# Peer benchmarks in one command: fedpeft's training step vs PyTorch eager (Debian's python3-torch),
# the same step with a bfloat16 frozen base vs PyTorch eager's under bfloat16 autocast, fedpeft's
# forward (float32 and with the bfloat16 base) vs ONNX Runtime, alternating, on the same batches;
# see docs/benchmarks.md. The last three lines are the ratios X, Y, Z
# (train/ort_forward, forward/ort_forward, fedpeft/pytorch); the line before them is W,
# "ratio train_bf16/ort_forward". Options go to org.fedpeft.bench.Peers
# (--warmup N, --timed N, --threads N, --no-torch, --ort-spin true|false, --python PATH).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
source "$here/common.sh"
if ! /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "peers: installing python3-torch and libopenblas0-pthread (Debian packages)" >&2
  apt-get update >&2 && apt-get install -y python3-torch libopenblas0-pthread >&2
fi
build_bench
wait_quiet
bench_java org.fedpeft.bench.Peers "$here/torch_peer.py" "$@"
