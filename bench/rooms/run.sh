#!/usr/bin/env bash
# Runs bench_rooms for each N given, on a local stack of its own. Run it in a network namespace:
#   scripts/netns.sh bench/rooms/run.sh build/bench/rooms/bench_rooms 1 10 50 100
# Env: BENCH_SECONDS (default 20), BENCH_WARMUP (default 5).
set -euo pipefail
bench=$1; shift
repo=$(cd "$(dirname "$0")/../.." && pwd)
export PARLEY_RUN_DIR=${PARLEY_RUN_DIR:-$(mktemp -d)} PARLEY_STACK_SIP=0
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true' EXIT
bash "$repo/scripts/stack.sh" up >/dev/null
export LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret
echo "| calls | failed joins | agent CPU/call (of a core) | Opus floor/call | × floor | threads idle → N | RSS/call | frames sent/s/call | frames heard/s/call | send interval p50 | p99 | media loop on CPU / waiting for a CPU | livekit-server CPU | callers CPU | load avg | join time |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in "$@"; do
  "$bench" --rooms "$n" --seconds "${BENCH_SECONDS:-20}" --warmup "${BENCH_WARMUP:-5}" \
    --server-pid "$(cat "$PARLEY_RUN_DIR/livekit.pid")" || echo "(N=$n: exit $?)"
  sleep 3  # let the server close the rooms before the next size
done
