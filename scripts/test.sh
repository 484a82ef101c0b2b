#!/usr/bin/env bash
# Builds parley and runs every test: the README's test command, and what CI runs.
#   1. installs what is missing (scripts/install.sh; a second run takes seconds)
#   2. builds three ways: optimised, ASan+UBSan, TSan (the threaded parts), plus libFuzzer targets
#   3. runs ctest for each inside a private network namespace with only loopback
#      (integration tests bring the local LiveKit stack up and down themselves)
#
# Options (environment): PARLEY_TEST_QUICK=1 skips the sanitizer and fuzz builds;
# PARLEY_JOBS=N parallel build jobs (default: cores); PARLEY_TEST_JOBS=N tests at once (default 2);
# CTEST_ARGS extra ctest arguments.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

bash scripts/install.sh all
export PARLEY_CACHE=${PARLEY_CACHE:-$HOME/.cache/parley}
export PATH="$PARLEY_CACHE/bin:$PATH"
# Every test runs with the loop watchdog on (src/core/loop_watchdog.h): a loop thread asleep in
# one turn for over a second, or calling a blocking primitive, aborts its process with the loop's
# stack, and so fails the test.
export PARLEY_LOOP_WATCHDOG=${PARLEY_LOOP_WATCHDOG:-1000}
jobs=${PARLEY_JOBS:-$(nproc)}

# The four build trees and the tests' recordings take about 20 GB (the ASan tree alone about 13:
# every test binary carries its debug information). Say so now rather than fail half an hour in
# with "No space left on device" in whichever test writes next.
need_gb=${PARLEY_TEST_DISK_GB:-20}
free_gb=$(df -P -BG "$repo" | awk 'NR==2 {sub("G", "", $4); print $4}')
if [ "${PARLEY_TEST_QUICK:-0}" != 1 ] && [ "$free_gb" -lt "$need_gb" ]; then
  echo "error: $repo has ${free_gb} GB free; a full test run needs about ${need_gb} GB." >&2
  echo "fix: free disk space (old build trees, /tmp/pytest-of-$(id -un)), or run PARLEY_TEST_QUICK=1 $0" >&2
  echo "     for the optimised build alone (PARLEY_TEST_DISK_GB=N changes the threshold)." >&2
  exit 1
fi

build() {  # build DIR TARGET [cmake args...]
  local dir=$1 target=$2; shift 2
  echo "== build $dir ($target)" >&2
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" --target "$target"
}

passed=0 failed=0
retried=()  # tests that passed only on their retry
# count_ctest OUT DIR: adds a ctest output's totals to passed/failed and its retried tests to retried.
count_ctest() {
  local out=$1 dir=$2
  # "100% tests passed, 0 tests failed out of 39"
  local line; line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$out" | tail -1)
  if [ -n "$line" ]; then
    local f t; f=$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    t=$(sed -E 's/.*failed out of ([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + t - f)); failed=$((failed + f))
  fi
  # A retry's line has no "N/M" counter in front: "      Test #106: diagnose_sip ....   Passed".
  # Such a test failed its first try; it is a flake to find and fix, so the run names it.
  local name
  while read -r name; do retried+=("$dir: $name"); done < <(
    sed -nE 's/^ +Test +#[0-9]+: ([^ ]+) .*Passed.*/\1/p' "$out")
}
# Tests run two at a time (PARLEY_TEST_JOBS): the tests on the shared stack hold its lock
# (RESOURCE_LOCK livekit_stack) and so still run one after the other, mostly waiting on real-time
# audio at a load of 0.5-1; unit tests and tests with a stack of their own fill the other slot.
# Tests that load both cores (many calls at once) say PROCESSORS 2 and so run alone. A `long`
# test (minutes of a call that is mostly silence, on a stack of its own) costs most, so it starts
# first and runs beside the others.
test_jobs=${PARLEY_TEST_JOBS:-2}
run_ctest() {  # run_ctest DIR [ctest args...]; $skip_labels: labels to leave out
  local dir=$1; shift
  echo "== test $dir" >&2
  local out="$dir/ctest-output.txt" rc=0
  # shellcheck disable=SC2086
  scripts/netns.sh ctest --test-dir "$dir" --output-on-failure --timeout 600 --repeat until-pass:2 \
    -j "${jobs_override:-$test_jobs}" ${skip_labels:+-LE "^($skip_labels)\$"} "$@" ${CTEST_ARGS:-} 2>&1 | tee "$out" || rc=1
  count_ctest "$out" "$dir"
  return $rc
}

results=()
status=0
step() {  # step NAME COMMAND...: runs one stage, remembers its result, goes on after a failure
  local name=$1; shift
  if "$@"; then results+=("$name: ok"); else results+=("$name: FAILED"); status=1; fi
}

# Sanitizer builds use -O1: quicker to compile, and sanitizers report as well as at -O2. -g1 keeps
# what a sanitizer's report needs (function names, file and line of every frame) and drops the
# types and variables a debugger would want: with full -g the ASan tree alone took about 13 GB.
san_flags=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1" -DPARLEY_BENCH=OFF)
step "build" build build all -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG"
step "tests" run_ctest build
if [ "${PARLEY_TEST_QUICK:-0}" != 1 ]; then
  step "build asan+ubsan" build build-asan all -DPARLEY_SANITIZER=asan "${san_flags[@]}"
  # tests/lsan.supp names the known leaks LeakSanitizer must not fail on, each with its cause.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export LSAN_OPTIONS=suppressions=$repo/tests/lsan.supp:print_suppressions=0
  # Tests labelled release_only are long and run C++ paths that other tests run under ASan too
  # (the demo, ten calls at once, Prometheus, TLS calls, a second node, the Russian phone calls:
  # their providers' own tests run here); they run in the optimised build only.
  skip_labels=release_only step "tests asan+ubsan" run_ctest build-asan
  step "build tsan" build build-tsan parley_threaded_tests -DPARLEY_SANITIZER=tsan "${san_flags[@]}"
  # GLib and libnice are not built with TSan; tests/tsan.supp names the GLib-internal frames
  # whose own locking TSan cannot see (never a whole library: races in parley code that GLib
  # calls must be reported, which tests/core/tsan_canary.cpp checks). GSlice's slab allocator
  # hands memory between threads under the same invisible locks, so it is switched to malloc.
  export G_SLICE=always-malloc
  # history_size=7 (of 0-7): a test that runs thousands of GLib sources through a loop (the loop
  # watchdog's busy-loop test) otherwise outruns TSan's memory of the earlier access, reports a
  # race with "failed to restore the stack", and no suppression can match its GLib frames.
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:history_size=7:suppressions=$repo/tests/tsan.supp
  # One at a time: TSan slows every thread 5-15 times, and two such processes on 2 cores turn
  # the threaded tests' deadlines into a measure of the machine.
  jobs_override=1 step "tests tsan (threaded)" run_ctest build-tsan -L threaded
  step "build fuzz" build build-fuzz parley_fuzzers -DPARLEY_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${san_flags[@]}"
  step "fuzz (short runs)" run_ctest build-fuzz -L fuzz
fi

echo
printf '%s\n' "${results[@]}"
echo "passed only on retry: ${#retried[@]}"
for t in "${retried[@]}"; do echo "  retried: $t"; done
echo "total: $passed passed, $failed failed, ${#retried[@]} needed a retry"
exit $status
