# Settings for the native side of a fedpeft JVM (libtorch's OpenMP threads, glibc's allocator, MKL)
# and the JVM's memory options. Sourced by the launcher (./fedpeft) and by the benchmarks
# (fedpeft-bench/scripts/common.sh), so that a benchmark measures what a user's run does. Exports
# the environment and sets the array fedpeft_jvm_opts; needs FEDPEFT_PROBE_DIR, a writable folder
# where the JVM option probe below keeps its answer. Every variable already set is left as it is.
# Measurements: docs/benchmarks.md section 2 and docs/performance.md "Memory".

# libgomp (PyTorch's thread pool) busy-waits by default; when another process holds a core that
# makes steps up to 20x slower. Passive waiting is the robust default; override by setting it.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# glibc gives every thread that allocates its own malloc arena; PyTorch allocates from each client
# thread, so freed memory piles up in many arenas. Two arenas measured: peak RSS of a 6-round
# MiniLM simulation 3.08 GB -> 2.15 GB.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# glibc's mmap threshold stays dynamic (no MALLOC_MMAP_THRESHOLD_): once a large block is freed,
# blocks of up to that size come from the arenas and are reused. A fixed 1 MB threshold (the
# setting before) mapped every larger tensor afresh and page-faulted it in: a LoRA step on 16 x 128
# tokens took 2.2x as long, and the README main run spent 75-127 s of system time; the periodic trim
# below gives the arenas' free space back instead.
# MKL (inside libtorch) keeps the buffers of its matrix products for reuse; with the AVX-512 kernels
# fedpeft enables on AMD CPUs (docs/performance.md, "MKL's AVX-512 kernels") that raised the README
# main run's peak RSS by ~150 MiB on a Zen 5, with no gain in its time. Turned off here; set
# FEDPEFT_MKL_FAST_MM=1 to keep MKL's buffers.
if [[ "${FEDPEFT_MKL_FAST_MM:-0}" != 1 ]]; then
  export MKL_DISABLE_FAST_MM="${MKL_DISABLE_FAST_MM:-1}"
fi
# glibc keeps the memory that freed tensors leave inside its arenas. The JVM gives it back with
# malloc_trim every second (-XX:TrimNativeHeapInterval: JDK 17.0.9+, 21.0.1+, 22+; experimental
# before 17.0.12 and 21.0.4, hence the unlock): README main run peak RSS 1389-1402 MiB, against
# 1522-1551 MiB with no trim. Older JDKs lack the option: probed once per JDK, and left out there.
fedpeft_trim_opts=(-XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=1000)
fedpeft_java_bin="$(readlink -f "$(command -v java)" || true)"
fedpeft_java_id="$fedpeft_java_bin $(stat -c %Y "$fedpeft_java_bin" 2>/dev/null || true)"
fedpeft_trim_probe="$FEDPEFT_PROBE_DIR/native-trim"
if [[ ! -f "$fedpeft_trim_probe" || "$(head -n 1 "$fedpeft_trim_probe")" != "$fedpeft_java_id" ]]; then
  fedpeft_trim_ok=no
  if java "${fedpeft_trim_opts[@]}" -version >/dev/null 2>&1; then fedpeft_trim_ok=yes; fi
  mkdir -p "$FEDPEFT_PROBE_DIR"
  printf '%s\n%s\n' "$fedpeft_java_id" "$fedpeft_trim_ok" >"$fedpeft_trim_probe.$$" \
    && mv "$fedpeft_trim_probe.$$" "$fedpeft_trim_probe"
fi
if [[ "$(tail -n 1 "$fedpeft_trim_probe")" != yes ]]; then fedpeft_trim_opts=(); fi
# The Java heap holds ~130 MB of live data in a MiniLM run (93 MB of it the model's weights; the
# tensors live outside it), but G1 kept 0.5-1.7 GB of it resident. The serial collector keeps the
# heap near what is live: a young generation of at most 32 MB, an initial heap of 32 MB (the heap
# never shrinks below its initial size, which by default is 1/64 of the RAM), free ratios of 10-30 %,
# and shrinking at once after a full collection (-ShrinkHeapInSteps; a simulation runs one after
# loading).
fedpeft_jvm_opts=(-XX:+UseSerialGC -Xms32m -XX:MaxNewSize=32m -XX:-ShrinkHeapInSteps
  -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 ${fedpeft_trim_opts[@]+"${fedpeft_trim_opts[@]}"})
