#!/usr/bin/env bash
# Premature replies: spoken questions with a pause in the middle, said by a WebRTC caller to
# `parley serve` with a fixed endpointing wait and with the adaptive one
# (bench/premature/premature_bench.py), on a local stack of its own. Run it in a network namespace:
#   scripts/netns.sh bench/premature/run.sh [build/src/cli/parley] [--reference-bin OLD_PARLEY] [--pauses 0.3,0.6,0.9]
#       [--set voice.endpointing.min_delay=400ms ...]   (configuration of the adaptive run)
set -euo pipefail
PARLEY_STACK_SIP=0
source "$(dirname "$0")/../stack_run.sh"
export PARLEY_BIN=$parley PYTHONPATH=$repo/scripts:$repo/tests/service
"$HOME/.cache/parley/venv/bin/python" "$repo/bench/premature/premature_bench.py" "$@"
