#!/usr/bin/env bash
# Peer benchmarks in one command: fedpeft's training step vs PyTorch eager (Debian's python3-torch),
# fedpeft's forward vs ONNX Runtime, alternating, on the same batches; see docs/benchmarks.md.
# The last three lines are the ratios. Options are passed to org.fedpeft.bench.Peers
# (--warmup N, --timed N, --threads N, --no-torch).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if ! /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "peers: installing python3-torch and libopenblas0-pthread (Debian packages)" >&2
  apt-get update >&2 && apt-get install -y python3-torch libopenblas0-pthread >&2
fi
if [[ ! -f "$root/fedpeft-bench/target/classpath.txt" || "${PEERS_BUILD:-1}" == 1 ]]; then
  (cd "$root" && mvn -q -B -o -DskipTests -Dspotless.check.skip=true package -pl fedpeft-bench -am >&2)
fi
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
exec java -Xmx4g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$root/fedpeft-bench/target/classes:$(cat "$root/fedpeft-bench/target/classpath.txt")" \
  org.fedpeft.bench.Peers "$here/torch_peer.py" "$@"
