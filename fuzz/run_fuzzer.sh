#!/usr/bin/env bash
# run_fuzzer.sh BINARY WORK_DIR SECONDS [SEED_DIR]: a short libFuzzer run under ctest.
# Seeds are copied into WORK_DIR so the run never writes into the source tree; any crash,
# leak or sanitizer report fails the test (libFuzzer exits non-zero).
set -euo pipefail
bin=$1 work=$2 secs=$3 seed=${4:-}
mkdir -p "$work"
if [ -n "$seed" ] && [ -d "$seed" ]; then cp -rn "$seed"/. "$work"/; fi
exec "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" "$work"
