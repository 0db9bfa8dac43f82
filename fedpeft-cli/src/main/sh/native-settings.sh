# Settings for the native side of a fedpeft JVM (libtorch's OpenMP threads, glibc's allocator, MKL)
# and the JVM's memory options. Sourced by the launcher (./fedpeft) and by the benchmarks
# (fedpeft-bench/scripts/common.sh), so that a benchmark measures what a user's run does. Exports
# the environment and sets the array fedpeft_jvm_opts. Every variable already set is left as it is.
# Measurements: docs/benchmarks.md section 2 and docs/performance.md "Memory".

# libgomp (PyTorch's thread pool) busy-waits by default; when another process holds a core that
# makes steps up to 20x slower. Passive waiting is the robust default; override by setting it.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# glibc's allocator: one arena, no trimming at free, blocks of up to 32 MB from the arena. By
# default glibc gives every allocating thread its own arena (freed memory piles up in many: peak
# RSS of a 6-round MiniLM simulation 3.08 GB with them, 2.15 GB with two), and gives the top of an
# arena back to the kernel whenever a large tensor is freed, so the next step page-faults it in
# again (about 15 k faults per 16 x 128 step, each page zeroed by the kernel). On a quiet host that
# costs little; on a host whose memory bandwidth other tenants share it dominated: with these three
# settings a 16 x 128 LoRA step took about half the time in fp32 and 0.7 of it with the bf16 base,
# and the README main run was 4 % faster at a 7 % lower peak (docs/benchmarks.md section 2,
# "Allocator settings on a busy host"). Setting the trim threshold fixes the mmap threshold too
# (glibc stops adapting it), hence 32 MB, glibc's own upper bound for it. Memory still goes back to
# the kernel: fedpeft trims the heap when its resident set grows (engine.NativeHeap). A fixed 1 MB
# mmap threshold (a setting before) mapped every larger tensor afresh: steps 2-4x slower.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1073741824}"
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
# MKL (inside libtorch) keeps the buffers of its matrix products for reuse; with the AVX-512 kernels
# fedpeft enables on AMD CPUs (docs/performance.md, "MKL's AVX-512 kernels") that raised the README
# main run's peak RSS by ~150 MiB on a Zen 5, with no gain in its time. Turned off here; set
# FEDPEFT_MKL_FAST_MM=1 to keep MKL's buffers.
if [[ "${FEDPEFT_MKL_FAST_MM:-0}" != 1 ]]; then
  export MKL_DISABLE_FAST_MM="${MKL_DISABLE_FAST_MM:-1}"
fi
# glibc keeps the memory that freed tensors leave inside its arenas; fedpeft gives it back with
# malloc_trim when the resident set has grown by more than 15 % after a training step or evaluation
# batch (engine.NativeHeap; -Dfedpeft.trim.every=N in FEDPEFT_JAVA_OPTS trims every N of them
# instead, 0 never). Each trim costs the page faults of bringing the next step's memory back: the
# JVM's timed trim (-XX:TrimNativeHeapInterval, a setting before) trimmed every other step of a long
# batch, and a trim every 16 steps (the rule before) made the README main run 1.4x slower than the
# rule now on a host where a fresh page cost 7-12 microseconds (docs/benchmarks.md section 2).
# The Java heap holds ~45 MB of live data in the README run (the model's weights and the tensors
# live inside libtorch), but G1 kept 0.5-1.7 GB of it resident. The serial collector keeps the
# heap near what is live: a young generation of at most 32 MB, an initial heap of 32 MB (the heap
# never shrinks below its initial size, which by default is 1/64 of the RAM), free ratios of 10-30 %,
# and shrinking at once after a full collection (-ShrinkHeapInSteps; a simulation runs one after
# loading).
# JNA and DJL load PyTorch's and the tokenizer's native libraries with System.load; from Java 24 on
# every such call warns on standard error unless native access is enabled (Java 17 accepts the
# option and needs nothing more).
fedpeft_jvm_opts=(-XX:+UseSerialGC -Xms32m -XX:MaxNewSize=32m -XX:-ShrinkHeapInSteps
  -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 --enable-native-access=ALL-UNNAMED)
