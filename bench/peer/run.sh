#!/usr/bin/env bash
# parley beside LiveKit Agents with the same engines (bench/peer/compare.py), on a local stack of
# its own. Installs the peer's virtual environment first if needed (scripts/install.sh peer).
# Run it in a network namespace:
#   scripts/netns.sh bench/peer/run.sh [build/src/cli/parley] [--calls 1,5,10,20] [--frameworks parley,peer]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../../scripts/install.sh" peer
export PARLEY_STACK_SIP=0  # no phones here
source "$here/../stack_run.sh"
export PARLEY_BIN=$parley PYTHONPATH=$repo/scripts:$repo/tests/service
"$HOME/.cache/parley/venv/bin/python" "$repo/bench/peer/compare.py" "$@"
