#!/usr/bin/env bash
# The latency waterfall of parley's turns, from both sides (bench/waterfall/waterfall_bench.py),
# on a local stack of its own. Run it in a network namespace:
#   scripts/netns.sh bench/waterfall/run.sh [build/src/cli/parley] [--calls 3] [--questions 4]
#       [--caller python|cpp] [--caller-bin build/bench/waterfall/bench_caller] [--simultaneous]
#       [--set KEY=VALUE]
# --caller python (default): the LiveKit Python SDK; cpp: bench_caller, parley's own livekit::Room.
# --simultaneous: all --calls at the same time instead of one after another.
set -euo pipefail
PARLEY_STACK_SIP=0
source "$(dirname "$0")/../stack_run.sh"
export PARLEY_BIN=$parley PYTHONPATH=$repo/scripts:$repo/tests/service
"$HOME/.cache/parley/venv/bin/python" "$repo/bench/waterfall/waterfall_bench.py" "$@"
