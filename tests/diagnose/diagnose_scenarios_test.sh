#!/usr/bin/env bash
# parley diagnose against real broken setups, each on a stack of its own in this test's private
# network namespace: for each, the specific check fails with its fix and nothing fails before it
# (every earlier check passes or warns; later dependent checks are skipped).
set -uo pipefail
parley=$1 repo=$2
ip link set lo up
run=$(mktemp -d)
export PARLEY_RUN_DIR=$run
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true; rm -rf "$run"' EXIT
export LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret
unset PARLEY_CONFIG PARLEY_CLOCK_SKEW
failures=0

# expect NAME FAILING_CHECK FIX_SUBSTRING [parley args...]: runs diagnose --json and checks it.
expect() {
  local name=$1 check=$2 fix=$3; shift 3
  local out rc
  out=$("$parley" diagnose --json "$@" 2>"$run/stderr")
  rc=$?
  if ! python3 - "$check" "$fix" "$rc" "$out" <<'PY'
import json, sys
check, fix, rc, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
report = json.loads(out)
checks = report["checks"]
fails = [c for c in checks if c["status"] == "fail"]
problems = []
if check == "none":
    if fails: problems.append(f"expected no failure, got {[c['check'] for c in fails]}")
    if rc != 0: problems.append(f"exit code {rc}, expected 0")
    bad = [c["check"] for c in checks if c["status"] == "skip" and c["check"] != "webhook"]
    if bad: problems.append(f"skipped on a healthy stack: {bad}")
    # parley really joined a room: the signal check names each step it timed.
    sig = [c for c in checks if c["check"] == "signal_ice"]
    if not sig or sig[0]["status"] != "pass" or not all(w in sig[0]["detail"] for w in ("signal open", "joined", "ICE connected", "left in")):
        problems.append(f"signal_ice did not pass with its step timings: {sig}")
else:
    if [c["check"] for c in fails] != [check]:
        problems.append(f"expected exactly '{check}' to fail, got {[c['check'] for c in fails]}")
    else:
        f = fails[0]
        if fix not in f["fix"] and fix not in f["detail"]:
            problems.append(f"'{fix}' not in the fix/detail: {f['detail']} / {f['fix']}")
        before = checks[:checks.index(f)]
        if any(c["status"] not in ("pass", "warn") for c in before):
            problems.append(f"a check before '{check}' did not pass: {[(c['check'], c['status']) for c in before]}")
        after = checks[checks.index(f) + 1:]
        if any(c["status"] == "fail" for c in after):
            problems.append("a later check failed too")
    if rc != 1: problems.append(f"exit code {rc}, expected 1")
for c in checks:
    for k in ("check", "status", "detail", "fix"):
        if k not in c: problems.append(f"{c.get('check')} lacks '{k}'")
if problems:
    print("\n".join(problems)); print(json.dumps(report, indent=1)); sys.exit(1)
PY
  then
    echo "FAIL: $name"; cat "$run/stderr"; failures=$((failures + 1))
  else
    echo "ok: $name ($check)"
  fi
}

up() { bash "$repo/scripts/stack.sh" up >/dev/null 2>"$run/up.log" || { echo "FAIL: stack up"; cat "$run/up.log"; exit 1; }; }
down() { bash "$repo/scripts/stack.sh" down >/dev/null 2>&1; }

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
