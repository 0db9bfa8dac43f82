# Shared by the benchmark scripts (source it). The machine is shared: before measuring, wait until
# the other processes leave the CPUs mostly idle, and say how busy they were.

# Percentage of all CPUs busy over $1 seconds (default 3), from /proc/stat.
cpu_busy() {
  local n="${1:-3}" a b c d e f g h t1 i1 t2 i2
  read -r _ a b c d e f g h _ </proc/stat; t1=$((a + b + c + d + e + f + g + h)); i1=$((d + e))
  sleep "$n"
  read -r _ a b c d e f g h _ </proc/stat; t2=$((a + b + c + d + e + f + g + h)); i2=$((d + e))
  echo $((100 * ((t2 - t1) - (i2 - i1)) / (t2 - t1)))
}

# "total steal" counters of /proc/stat's cpu line (steal: time the hypervisor gave this VM's
# vCPUs to others; on a shared host it slows every figure even when this machine looks idle).
cpu_counters() {
  local a b c d e f g h
  read -r _ a b c d e f g h _ </proc/stat
  echo "$((a + b + c + d + e + f + g + h)) $h"
}

# Prints the share of CPU time stolen by the hypervisor between two cpu_counters outputs.
report_steal() { # "total steal" before, "total steal" after
  local t1 s1 t2 s2
  read -r t1 s1 <<<"$1"
  read -r t2 s2 <<<"$2"
  if ((t2 > t1)); then
    echo "bench: hypervisor steal during the run: $((100 * (s2 - s1) / (t2 - t1)))% of CPU time" >&2
  fi
}

# Waits (at most QUIET_WAIT seconds, default 600) until the CPUs are less than QUIET_BUSY percent
# busy (default 20) over 3 s; prints what it saw to stderr either way.
wait_quiet() {
  local limit="${QUIET_WAIT:-600}" max="${QUIET_BUSY:-20}" start=$SECONDS busy
  while true; do
    busy=$(cpu_busy 3)
    if ((busy < max)); then
      echo "bench: CPUs ${busy}% busy before the run; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
      return 0
    fi
    if ((SECONDS - start >= limit)); then
      echo "bench: WARNING still ${busy}% busy after ${limit}s of waiting (load average $(cut -d' ' -f1-3 /proc/loadavg)); measuring anyway, figures are distorted" >&2
      return 0
    fi
    sleep 7
  done
}

# Builds the benchmark module (offline) unless BENCH_BUILD=0.
build_bench() {
  if [[ "${BENCH_BUILD:-1}" == 1 || ! -f "$root/fedpeft-bench/target/classpath.txt" ]]; then
    # The commit of this checkout goes into the build, for the git_commit of the manifests it writes.
    (cd "$root" && mvn -q -B -o -DskipTests -Dspotless.check.skip=true \
      "-Dfedpeft.git.commit=$(bash "$root/fedpeft-cli/src/main/sh/git-commit.sh" "$root")" \
      package -pl fedpeft-bench -am >&2)
  fi
}

# Runs a bench class with the launcher's native and JVM settings
# (fedpeft-cli/src/main/sh/native-settings.sh: OpenMP waiting passively, glibc's allocator, MKL's
# buffer cache, the serial collector), so a figure is what a ./fedpeft
# run gets. OMP_WAIT_POLICY=default leaves it unset (libgomp's own); BENCH_CORE=DIR puts another
# build of fedpeft-core's classes first on the class path (before/after comparisons);
# BENCH_JAVA_OPTS adds JVM options (after the launcher's, so they can override them).
bench_java() { # main class, args...
  local before rc=0
  before=$(cpu_counters)
  (
    # shellcheck source=../../fedpeft-cli/src/main/sh/native-settings.sh
    source "$root/fedpeft-cli/src/main/sh/native-settings.sh"
    if [[ "$OMP_WAIT_POLICY" == default ]]; then unset OMP_WAIT_POLICY; fi
    exec java -Xmx4g "${fedpeft_jvm_opts[@]}" ${BENCH_JAVA_OPTS:-} -Dai.djl.offline=true \
      -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl=error \
      -cp "${BENCH_CORE:+$BENCH_CORE:}$root/fedpeft-bench/target/classes:$(cat "$root/fedpeft-bench/target/classpath.txt")" "$@"
  ) || rc=$?
  report_steal "$before" "$(cpu_counters)"
  return $rc
}
