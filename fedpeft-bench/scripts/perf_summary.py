"""Sums `perf script -F tid,ip,sym` samples (read from stdin) per thread and per kernel.

Used by perf_profile.sh. A kernel is the sampled function, with libtorch's element-wise loops named by
the operation inside them (add_kernel, direct_copy_kernel...) and every MKL or oneDNN function put
under one name each, since they cannot be told apart by caller here.
"""

import collections
import re
import sys


def kernel(symbol):
    if symbol.startswith("mkl_") or "mkl_blas" in symbol:
        return "MKL (matrix products and their packing)"
    if "dnnl" in symbol or "jit_" in symbol:
        return "oneDNN"
    loop = re.search(r"VectorizedLoop2d<.*?::(\w+_kernel)", symbol)
    if loop:
        return "element-wise: " + loop.group(1)
    named = re.search(
        r"at::native::(?:(?:AVX2|AVX512|DEFAULT)::)?(?:\(anonymous namespace\)::)?(\w+)", symbol
    )
    if named:
        return "libtorch: " + named.group(1)
    if symbol in ("[unknown]", ""):
        return "[unknown] (code generated at run time outside the JVM: oneDNN's, e.g. GELU)"
    return symbol[:70]


def main():
    per_thread = collections.Counter()
    per_kernel = collections.Counter()
    pending = False  # a sample line without its symbol: the next call-chain line has it
    for line in sys.stdin:
        if not line.strip():
            continue
        if line.startswith("\t"):
            if pending:
                parts = line.split(None, 1)
                per_kernel[kernel(parts[1].strip() if len(parts) > 1 else "")] += 1
                pending = False
            continue
        fields = line.split(None, 2)
        per_thread[fields[0]] += 1
        if len(fields) > 2:
            per_kernel[kernel(fields[2].strip())] += 1
        else:
            pending = True
    total = sum(per_thread.values())
    if total == 0:
        sys.exit("perf_summary: no samples (was the sampling enabled?)")
    print(f"samples: {total} (cpu-clock, both threads together)")
    busiest = per_thread.most_common(1)[0][1]
    for t, n in per_thread.most_common(4):
        print(f"  thread {t}: {n} samples ({100.0 * n / busiest:.0f} % of the busiest)")
    print("share of the sampled CPU time:")
    for k, n in per_kernel.most_common(25):
        print(f"  {100.0 * n / total:5.1f} %  {k}")


if __name__ == "__main__":
    main()
