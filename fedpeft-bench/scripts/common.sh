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
    # Maven 3.8 prints bare colour resets (ESC[0m) even in quiet batch mode; drop them, as the
    # launcher does (pipefail, set by every script, keeps a failed build's status).
    (cd "$root" && mvn -q -B -o -DskipTests -Dspotless.check.skip=true \
      "-Dfedpeft.git.commit=$(bash "$root/fedpeft-cli/src/main/sh/git-commit.sh" "$root")" \
      package -pl fedpeft-bench -am 2>&1 | sed 's/\x1b\[0m//g' >&2)
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

# Stops the script with a message naming it.
die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

# The script's header comment (what it does, its usage and environment), for --help.
script_help() { sed -n '2,/^[^#]/s/^# \{0,1\}\(.*\)/\1/p' "$0"; }

# The script's "Usage:" line from its header.
usage_line() { grep -m1 -o 'Usage: .*' "$0" || echo "Usage: $(basename "$0")"; }

# Checks a script's positional arguments before it builds or waits for idle CPUs: -h or --help
# prints the header comment (exit 0); fewer than MIN or more than MAX arguments stop the script
# (exit 2) with its usage line.
check_args() { # min max "$@"
  local min="$1" max="$2"
  shift 2
  if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
    script_help
    exit 0
  fi
  if ((max == 0 && $# > 0)); then
    die "takes no arguments, got $# ($*); its settings are environment variables (--help)"$'\n'"$(usage_line)"
  fi
  if (($# > max)); then
    die "takes at most $max argument(s), got $# ($*)"$'\n'"$(usage_line)"
  fi
  if (($# < min)); then
    die "needs at least $min argument(s), got $#"$'\n'"$(usage_line)"
  fi
}

# Stops the script (exit 2, naming NAME) unless VALUE is a whole number >= MIN (default 1).
check_count() { # name value [min]
  local min="${3:-1}"
  if ! [[ $2 =~ ^[0-9]{1,9}$ ]] || ((10#$2 < min)); then
    die "$1: '$2' is not a whole number >= $min"$'\n'"$(usage_line)"
  fi
}

# Stops the script (exit 2, naming NAME) unless every word of VALUE is one of the ALLOWED words.
check_words() { # name value allowed...
  local name="$1" value="$2" w
  shift 2
  for w in $value; do
    if [[ " $* " != *" $w "* ]]; then die "$name: unknown '$w' (one of: $*)"; fi
  done
}

# Checks the arguments profile.sh and perf_profile.sh share: OUT_DIR STEPS SEQ PRECISION DROPOUT
# (each optional; STEPS a whole number, SEQ one >= 2, PRECISION fp32 or bf16, DROPOUT in [0, 1)).
check_profile_args() { # out steps seq precision dropout ...
  if (($# >= 2)); then check_count STEPS "$2"; fi
  if (($# >= 3)); then check_count SEQ "$3" 2; fi
  if (($# >= 4)) && [[ $4 != fp32 && $4 != bf16 ]]; then die "PRECISION: fp32 or bf16, not '$4'"; fi
  if (($# >= 5)) && ! python3 -c 'import sys; sys.exit(not 0 <= float(sys.argv[1]) < 1)' "$5" 2>/dev/null; then
    die "DROPOUT: '$5' is not a number in [0, 1)"
  fi
}

# $1 as an absolute path (relative to the folder the script was started in).
abs_path() { if [[ $1 == /* ]]; then echo "$1"; else echo "$PWD/$1"; fi; }

# $1 as a TOML basic string.
toml_string() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

# The data of a reproduction, named alike in every script: TASK, a bundled task spec (`./fedpeft
# tasks list`; several joined by + for a multi-task run), default $1, the script's own; or DATA,
# the user's JSONL/CSV file (data.file, docs/data.md), with TEST its test file (data.test,
# optional: without it the file is split 80/10/10), which replaces TASK. Checks them (exit 2 on
# a conflict or a missing file) and sets:
#   data_toml   the lines of the [data] table (task = ..., or file = ... and test = ...)
#   data_train  the options of `fedpeft train` (--task, or --data and --test)
#   data_sets   the same as --set options of `fedpeft simulate`
#   data_name   what the tables print as the data (the task spec or the file)
data_from_env() { # default task
  data_toml="" data_train=() data_sets=()
  if [[ -n "${DATA:-}" ]]; then
    if [[ -n "${TASK:-}" ]]; then die "TASK and DATA are both set: DATA (your file) replaces TASK; set one"; fi
    if [[ ! -f "$DATA" ]]; then die "DATA: no such file: $DATA"; fi
    local file test=""
    file="$(abs_path "$DATA")"
    data_toml="file = $(toml_string "$file")"
    data_train=(--data "$file")
    data_sets=(--set "data.file=$file")
    data_name="$file"
    if [[ -n "${TEST:-}" ]]; then
      if [[ ! -f "$TEST" ]]; then die "TEST: no such file: $TEST"; fi
      test="$(abs_path "$TEST")"
      data_toml+=$'\n'"test = $(toml_string "$test")"
      data_train+=(--test "$test")
      data_sets+=(--set "data.test=$test")
      data_name+=" (test: $test)"
    fi
  else
    if [[ -n "${TEST:-}" ]]; then die "TEST is the test file of DATA: set DATA too"; fi
    data_name="${TASK:-$1}"
    data_toml="task = $(toml_string "$data_name")"
    data_train=(--task "$data_name")
    data_sets=(--set "data.task=$data_name")
  fi
}

# The tuning of a reproduction, named alike in every script: ROUNDS, SEEDS (the first seed runs
# the learning-rate grid, the others run at each contender's pick) and LRS (the grid, every
# contender the same), defaults $1, $2 and $3, the script's own. Checks them (exit 2 naming the
# variable) and sets rounds, seeds (an array) and lrs (an array).
grid_from_env() { # default rounds, seeds, learning rates
  rounds="${ROUNDS:-$1}"
  read -r -a seeds <<<"${SEEDS:-$2}"
  read -r -a lrs <<<"${LRS:-$3}"
  if ! [[ $rounds =~ ^[1-9][0-9]*$ ]]; then die "ROUNDS: '$rounds' is not a whole number >= 1"; fi
  if ((${#seeds[@]} == 0)); then die "SEEDS: no seed given"; fi
  local s lr
  for s in "${seeds[@]}"; do
    if ! [[ $s =~ ^[0-9]+$ ]]; then die "SEEDS: '$s' is not a whole number >= 0"; fi
  done
  if ((${#lrs[@]} == 0)); then die "LRS: no learning rate given"; fi
  for lr in "${lrs[@]}"; do
    if ! python3 -c 'import sys; v = float(sys.argv[1]); sys.exit(not 0 < v < float("inf"))' "$lr" 2>/dev/null; then
      die "LRS: '$lr' is not a learning rate (a number > 0)"
    fi
  done
}

# A rerun with the same OUT skips the runs that finished, so their settings must be this run's:
# refuses (exit 2) an OUT whose settings.txt holds other settings ($2: every setting the runs
# share, e.g. the base config), else records them there.
same_settings() { # out, settings
  local f="$1/settings.txt"
  if [[ -f $f && "$(cat "$f")" != "$2" ]]; then
    die "OUT $1 holds runs made with other settings (a rerun skips finished runs, so its table would mix them); use another OUT. The settings differ (< now, > $f):"$'\n'"$(diff <(printf '%s\n' "$2") "$f")"
  fi
  printf '%s\n' "$2" >"$f"
}

# Whether the run into $1 finished: its summary.json, or its $1.diverged (see run_failed).
run_done() { [[ -f "$1/summary.json" || -f "$1.diverged" ]]; }

# After a failed fedpeft run into $1 (its stderr in $1.err): a run that diverged (a NaN or infinite
# loss, e.g. a learning rate too high for the data) is recorded in $1.diverged and the
# reproduction goes on (grid.py: shown as diverged in the grid, never picked over a run that
# finished); any other failure stops the script (exit 1) with the end of $1.err.
run_failed() { # run folder
  if grep -q "training diverged" "$1.err"; then
    grep -m1 "training diverged" "$1.err" >"$1.diverged"
    echo "$(basename "$0"): $1 diverged ($(cat "$1.diverged")); recorded in $1.diverged" >&2
    return 0
  fi
  tail -5 "$1.err" >&2
  exit 1
}
