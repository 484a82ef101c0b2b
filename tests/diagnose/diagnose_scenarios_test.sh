#!/usr/bin/env bash
# parley diagnose against real broken setups, each on a stack of its own in this test's private
# network namespace: for each, the specific check fails with its fix and nothing fails before it
# (every earlier check passes or warns; later dependent checks are skipped).
set -uo pipefail
parley=$1 repo=$2
ip link set lo up
run=$(mktemp -d)
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true; rm -rf "$run"' EXIT
source "$(dirname "$0")/lib.sh"

expect "server down" reachable "is livekit-server running"
up
expect "wrong port" reachable "LIVEKIT_URL=ws://127.0.0.1:7880" --url ws://127.0.0.1:7890
expect "ICE/TCP port instead of HTTP" http "7880 by default" --url ws://127.0.0.1:7881
expect "https URL to a plain-HTTP server" http "LIVEKIT_URL=ws://127.0.0.1:7880" --url https://127.0.0.1:7880
LIVEKIT_API_KEY=notakey expect "unknown API key" api_key "keys:"
LIVEKIT_API_SECRET=not-the-secret-of-devkey-at-all-1234 expect "wrong secret" api_secret "LIVEKIT_API_SECRET"
expect "clock skew beyond the leeway" clock "NTP" --clock-skew 300
PARLEY_CLOCK_SKEW=-300 expect "clock skew (env, other direction)" clock "NTP"
expect "no inbound trunk" sip_trunks "parley sip trunk create" --set agent.agent_name=""
"$parley" sip trunk create --name main --number +15550100 >/dev/null || { echo "FAIL: trunk create"; failures=$((failures + 1)); }
expect "no dispatch rule" sip_dispatch "parley sip dispatch create"
"$parley" sip dispatch create --name calls --agent someone-else >/dev/null || { echo "FAIL: rule create"; failures=$((failures + 1)); }
expect "rule names another agent" sip_agent "agent.agent_name" --set agent.agent_name=parley
expect "healthy (rule names parley's agent)" none "" --set agent.agent_name=someone-else

# --watch keeps the results as Prometheus metrics.
metrics=$run/diagnose.prom
if "$parley" diagnose --watch 0.2 --rounds 2 --metrics-file "$metrics" --set agent.agent_name=someone-else >/dev/null 2>&1 &&
   grep -q '^parley_diagnose_check_status{check="rooms"} 0$' "$metrics" &&
   grep -q '^parley_diagnose_runs_total 2$' "$metrics" &&
   grep -q '^parley_diagnose_healthy 1$' "$metrics"; then
  echo "ok: --watch metrics"
else
  echo "FAIL: --watch metrics"; cat "$metrics" 2>/dev/null | grep diagnose; failures=$((failures + 1))
fi

down
PARLEY_STACK_SERVER_REDIS=0 up
expect "server without Redis" sip_service "redis"
down

# A server whose media candidates nobody can reach: the signal WebSocket works and the join
# succeeds, ICE never connects. Only the last check fails, and it names ICE and the rtc settings.
PARLEY_STACK_UDP=0 up
"$parley" sip trunk create --name main --number +15550100 >/dev/null || { echo "FAIL: trunk create"; failures=$((failures + 1)); }
"$parley" sip dispatch create --name calls --agent someone-else >/dev/null || { echo "FAIL: rule create"; failures=$((failures + 1)); }
started=$SECONDS
expect "media ports unreachable" signal_ice "ICE never connected" --set agent.agent_name=someone-else --set livekit.request_timeout=4s
expect "media ports unreachable (fix names the server's rtc settings)" signal_ice "rtc.node_ip" --set agent.agent_name=someone-else --set livekit.request_timeout=4s
if [ $((SECONDS - started)) -gt 20 ]; then echo "FAIL: the ICE check took $((SECONDS - started)) s for two 4 s timeouts"; failures=$((failures + 1)); fi
down

[ "$failures" = 0 ] && echo "PASS: every broken setup named by its own check" || { echo "FAIL: $failures scenario(s)"; exit 1; }
