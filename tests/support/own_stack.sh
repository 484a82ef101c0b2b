#!/usr/bin/env bash
# Runs COMMAND against a local stack of its own (redis, livekit-server, the SIP bridge) in the
# network namespace it is started in. With `PARLEY_NETNS_NEW=1 scripts/netns.sh` that namespace
# is new, so the stack has the shared stack's ports without clashing with it: a long test (a
# 7-minute call) runs this way beside the others instead of holding the shared stack.
#   env PARLEY_NETNS_NEW=1 scripts/netns.sh bash tests/support/own_stack.sh COMMAND [ARGS...]
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
PARLEY_RUN_DIR=$(mktemp -d)
export PARLEY_RUN_DIR
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1; rm -rf "$PARLEY_RUN_DIR"' EXIT
if ! bash "$repo/scripts/stack.sh" up >"$PARLEY_RUN_DIR/env" 2>"$PARLEY_RUN_DIR/up.log"; then
  echo "FAIL: the test's own stack did not come up"; cat "$PARLEY_RUN_DIR/up.log"; exit 1
fi
"$@"
rc=$?
exit $rc
