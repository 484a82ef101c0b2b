#!/usr/bin/env bash
# scripts/stack.sh up brings Redis, livekit-server (and the SIP bridge when installed) up on
# loopback, each answering its health check; down leaves no process of it behind.
set -euo pipefail
repo=$1
ip link set lo up
run=$(mktemp -d)
export PARLEY_RUN_DIR=$run
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true; rm -rf "$run"' EXIT
fail() { echo "FAIL: $*"; cat "$run"/*.log 2>/dev/null | tail -30; exit 1; }

bash "$repo/scripts/stack.sh" up > "$run/env.txt"
grep -q '^export LIVEKIT_URL=ws://127.0.0.1:7880$' "$run/env.txt" || fail "up did not print LIVEKIT_URL"
grep -q '^export LIVEKIT_API_KEY=devkey$' "$run/env.txt" || fail "up did not print LIVEKIT_API_KEY"

[ "$(curl -s --max-time 3 http://127.0.0.1:7880/)" = OK ] || fail "livekit-server did not answer OK on GET /"
[ "$(redis-cli -p 6379 ping)" = PONG ] || fail "redis did not answer PONG"
if [ -x "${PARLEY_CACHE:-$HOME/.cache/parley}/bin/livekit-sip" ]; then
  curl -sf --max-time 3 http://127.0.0.1:8091/ >/dev/null || fail "the SIP bridge's health endpoint did not answer"
else
  echo "note: the SIP bridge is not installed (its Go module is not served here); its check is not run"
fi
# The livekit-server config must hand out no public STUN server and bind loopback only.
grep -q 'stun_servers: \["127.0.0.1:3478"\]' "$run/livekit.yaml" || fail "stun_servers is not loopback"

pids=$(cat "$run"/*.pid)
bash "$repo/scripts/stack.sh" status
bash "$repo/scripts/stack.sh" down
for pid in $pids; do
  if kill -0 "$pid" 2>/dev/null; then fail "process $pid is still running after down"; fi
done
ls "$run"/*.pid >/dev/null 2>&1 && fail "pid files left behind"
# A second down is harmless.
bash "$repo/scripts/stack.sh" down
echo "PASS: stack up, healthy, down, nothing left"
