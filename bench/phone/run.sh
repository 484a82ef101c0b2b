#!/usr/bin/env bash
# Phone calls into parley measured at the phone (bench/phone/phone_bench.py), on a local stack of
# its own with the SIP bridge. Run it in a network namespace:
#   scripts/netns.sh bench/phone/run.sh [build/src/cli/parley] [--calls 1,10] [--questions 3] [--codec G722]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
parley=$repo/build/src/cli/parley
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then parley=$(realpath "$1"); shift; fi
export PARLEY_RUN_DIR=${PARLEY_RUN_DIR:-$(mktemp -d)}
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true' EXIT
bash "$repo/scripts/stack.sh" up >/dev/null
[ -f "$PARLEY_RUN_DIR/sip.pid" ] || { echo "the SIP bridge is not installed: run scripts/install.sh" >&2; exit 1; }
export PARLEY_BIN=$parley PYTHONPATH=$repo/scripts:$repo/tests/service:$repo/tests/sip
"$HOME/.cache/parley/venv/bin/python" "$repo/bench/phone/phone_bench.py" --bridge-pid "$(cat "$PARLEY_RUN_DIR/sip.pid")" "$@"
