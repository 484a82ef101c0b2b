#!/usr/bin/env bash
# Phone calls into parley measured at the phone (bench/phone/phone_bench.py), on a local stack of
# its own with the SIP bridge. Run it in a network namespace:
#   scripts/netns.sh bench/phone/run.sh [build/src/cli/parley] [--calls 1,10] [--questions 3] [--codec G722]
set -euo pipefail
source "$(dirname "$0")/../stack_run.sh"
[ -f "$PARLEY_RUN_DIR/sip.pid" ] || { echo "the SIP bridge is not installed: run scripts/install.sh" >&2; exit 1; }
export PARLEY_BIN=$parley PYTHONPATH=$repo/scripts:$repo/tests/service:$repo/tests/sip
"$HOME/.cache/parley/venv/bin/python" "$repo/bench/phone/phone_bench.py" --bridge-pid "$(cat "$PARLEY_RUN_DIR/sip.pid")" "$@"
