#!/usr/bin/env bash
# The README's first command: shows parley doing its main job, offline, on the embedded defaults:
# answering a phone call. Installs what is missing, builds parley, and runs everything inside a
# private network namespace that has only loopback: the local LiveKit stack with its SIP bridge,
# `parley sip setup`, `parley serve`, and a real SIP phone (baresip) asking two questions.
# It stops everything it started; the recordings and logs stay in $PARLEY_RUN_DIR (.run/demo).
#
# Each stage (scripts/demo.d/) says what it does.
#   PARLEY_BIN=PATH   use this parley binary (inside the namespace; the ctest demo_phone does)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

if [ "${PARLEY_IN_NETNS:-}" != 1 ]; then
  bash scripts/install.sh all
  # The same configuration as scripts/test.sh's optimised build, so the two README commands share
  # build/ (a different build type here made each of them rebuild everything after the other).
  if [ ! -f build/CMakeCache.txt ]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
      "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" >/dev/null
  fi
  cmake --build build -j "$(nproc)" --target parley
  exec scripts/netns.sh bash "$0" "$@"
fi

export PARLEY_RUN_DIR=${PARLEY_RUN_DIR:-$repo/.run/demo}
export PARLEY_BIN=${PARLEY_BIN:-$repo/build/src/cli/parley}
parley=$PARLEY_BIN
started=$SECONDS
cleanup() { bash scripts/stack.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT
# demo_fail WHAT FIX: the demo stops here, saying what failed and what to do about it.
demo_fail() { printf 'demo: error: %s\n  fix: %s\n' "$1" "$2" >&2; exit 1; }

# The demo number, spelt as a person would write it (parley rewrites it to +15550100100), and the
# room prefix of its dispatch rule; both go into the example file's `sip:` section.
demo_number=+15550100100 demo_prefix=demo-call
demo_config=(--config parley.example.yaml --set 'sip.inbound_trunk.numbers=["+1 (555) 010-0100"]'
             --set "sip.dispatch_rule.room_prefix=$demo_prefix")

echo "== 1. the local LiveKit stack with its SIP bridge (loopback only)"
mkdir -p "$PARLEY_RUN_DIR"
stack_env=$(bash scripts/stack.sh up 2>&1 >"$PARLEY_RUN_DIR/stack-env.sh" | sed 's/^/   /') ||
  { echo "$stack_env"; demo_fail "the local stack did not come up (its message is above)" \
      "run scripts/install.sh all if a tool is missing; the stack's logs are in $PARLEY_RUN_DIR"; }
echo "$stack_env"
# shellcheck source=/dev/null
source "$PARLEY_RUN_DIR/stack-env.sh"
# stack.sh skips the bridge when it is not installed; a phone call needs it.
curl -s -o /dev/null --max-time 2 http://127.0.0.1:8091/ ||
  demo_fail "LiveKit's SIP bridge is not running (nothing answers its health port 8091)" \
    "run scripts/install.sh all (it builds livekit-sip into ~/.cache/parley/bin); its log: $PARLEY_RUN_DIR/sip.log"
for stage in "$repo"/scripts/demo.d/*.sh; do
  [ -f "$stage" ] || continue
  # shellcheck source=/dev/null
  source "$stage"
done
echo "== done in $((SECONDS - started)) s; everything it started stops now. Logs and recordings: $PARLEY_RUN_DIR"
