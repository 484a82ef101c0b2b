#!/usr/bin/env bash
# Dispatch latency, webhook vs worker mode (bench/dispatch/dispatch_bench.py), on a local stack of
# its own. Run it in a network namespace:
#   nice -n 19 scripts/netns.sh bench/dispatch/run.sh [build/src/cli/parley] [--calls 1,20] [--rounds 10]
# Prints, for each number of callers at once, both modes' p50/p95, CPU and memory per call, and
# worker mode as a ratio of webhook mode (the reference, measured right before it).
set -euo pipefail
export PARLEY_STACK_SIP=0  # no phones here
source "$(dirname "$0")/../stack_run.sh"
export PARLEY_BIN=$parley PYTHONPATH=$repo/scripts:$repo/tests/service
"$HOME/.cache/parley/venv/bin/python" "$repo/bench/dispatch/dispatch_bench.py" "$@"
