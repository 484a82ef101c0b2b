#!/usr/bin/env bash
# Every SIP failure, reproduced by breaking a real stack (livekit-server, Redis, livekit-sip) in
# this test's private network namespace: `parley diagnose` (with a test number configured, so
# its sip_call check places a real call) fails at the check that names it, with its fix, and
# `parley diagnose --call NUMBER --json` stops at the step the failure blocks and names the same
# cause and fix. The happy path runs `parley serve` (webhooks, embedded defaults) so the agent
# answers and its greeting is heard over RTP.
set -uo pipefail
parley=$1 repo=$2
run=$(mktemp -d)
serve_pid=
cleanup() {
  [ -z "$serve_pid" ] || kill "$serve_pid" 2>/dev/null
  bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true
  rm -rf "$run"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
[ -x "$HOME/.cache/parley/bin/livekit-sip" ] || { echo "SKIP: livekit-sip is not installed (scripts/install.sh)"; exit 0; }

N=+15550100
call() { "$parley" diagnose --json --call "$@" 2>"$run/stderr"; }

# expect_call NAME FAILED_STEP TEXT [args for --call...]: the call stops before FAILED_STEP
# ("" = the call worked) and TEXT is in its cause or fix (with "" FAILED_STEP: in a step detail).
expect_call() {
  local name=$1 step=$2 text=$3; shift 3
  local out rc
  out=$(call "$@")
  rc=$?
  if ! python3 - "$step" "$text" "$rc" "$out" <<'PY'
import json, sys
step, text, rc, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
v = json.loads(out)
problems = []
names = [s["step"] for s in v["steps"]]
if names != ["sip_answer", "room", "sip_participant", "agent", "answered", "greeting", "bye"]:
    problems.append(f"steps: {names}")
if step:
    if v["ok"] or v["failed_step"] != step: problems.append(f"expected to stop at '{step}', got ok={v['ok']} failed_step={v['failed_step']!r}")
    if text not in v["cause"] and text not in v["fix"]: problems.append(f"'{text}' not in cause/fix")
    reached = [s["step"] for s in v["steps"] if s["reached"]]
    if step in reached: problems.append(f"'{step}' reported reached")
    if rc != 1: problems.append(f"exit code {rc}, expected 1")
else:
    if not v["ok"] or rc != 0: problems.append(f"expected a working call (rc {rc})")
    if not all(s["reached"] and s["at_seconds"] is not None for s in v["steps"]): problems.append("a step was not reached or has no time")
    if not any(text in s["detail"] for s in v["steps"]): problems.append(f"'{text}' in no step's detail")
for s in v["steps"]:
    if s["reached"] and s["at_seconds"] is None: problems.append(f"{s['step']} reached without a time")
if problems:
    print("\n".join(problems)); print(json.dumps(v, indent=1)); sys.exit(1)
print(f"{v['failed_step'] or 'ok'}: {v['cause'] or [s['detail'] for s in v['steps'] if s['step'] == 'greeting'][0]}")
PY
  then
    echo "FAIL: --call: $name"; cat "$run/stderr"; failures=$((failures + 1))
  else
    echo "ok: --call: $name"
  fi
}

trunk() { "$parley" sip trunk create --json --name main "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sip_trunk_id"])'; }
rule() { "$parley" sip dispatch create --json --name calls "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sip_dispatch_rule_id"])'; }
clear_sip() {
  local id
  for id in $("$parley" sip dispatch list --json | python3 -c 'import json,sys; [print(r["sip_dispatch_rule_id"]) for r in json.load(sys.stdin)]'); do
    "$parley" sip dispatch delete "$id" >/dev/null
  done
  for id in $("$parley" sip trunk list --json | python3 -c 'import json,sys; [print(t["sip_trunk_id"]) for t in json.load(sys.stdin)]'); do
    "$parley" sip trunk delete "$id" >/dev/null
  done
}
with_call=(--set diagnose.call_number=$N)

# 1. No bridge at all: nothing answers SIP.
PARLEY_STACK_SIP=0 up
t=$(trunk --number $N); rule --trunk "$t" >/dev/null
expect "the bridge is not running" sip_bridge "start livekit-sip" "${with_call[@]}"
expect_call "the bridge is not running" sip_answer "the SIP bridge is not running" $N
down

# 2. A bridge that cannot reach Redis exits at start: the same symptom, the fix names its Redis.
PARLEY_STACK_SIP_REDIS=0 up
t=$(trunk --number $N); rule --trunk "$t" >/dev/null
expect "the bridge cannot reach Redis" sip_bridge "redis.address" "${with_call[@]}"
expect_call "the bridge cannot reach Redis" sip_answer "redis.address" $N
down

# 3. livekit-server without Redis: the bridge's questions to the server go unanswered (503).
PARLEY_STACK_SERVER_REDIS=0 up
expect "the server has no Redis" sip_service "redis" "${with_call[@]}"
expect_call "the server has no Redis" room "livekit-server runs without Redis" $N
down

# 4. The seed's failure: the bridge's API secret (then key) is not the server's. Every server-API
# check passes; only the call shows it (486, no room).
PARLEY_STACK_SIP_API_SECRET=not-the-servers-secret-0123456789 up
t=$(trunk --number $N); rule --trunk "$t" >/dev/null
expect "the bridge's API secret does not match" sip_call "api_secret" "${with_call[@]}"
expect_call "the bridge's API secret does not match" room "cannot authenticate to the LiveKit server" $N
down
PARLEY_STACK_SIP_API_KEY=notakey up
t=$(trunk --number $N); rule --trunk "$t" >/dev/null
expect_call "the bridge's API key is unknown to the server" room "api_key and api_secret" $N
expect "the bridge's API key is unknown to the server" sip_call "cannot authenticate to the LiveKit server" "${with_call[@]}"
down

# 5-9 on one healthy stack, reconfigured between cases.
up
# 5. No trunk lists the called number (the rule takes calls of its trunk only).
t=$(trunk --number $N); rule --trunk "$t" >/dev/null
expect "no trunk lists the called number" sip_trunks "parley sip trunk create" --set diagnose.call_number=+15550111
expect_call "no trunk lists the called number" room "no inbound trunk lists the called number +15550111" +15550111

# 6. No dispatch rule.
clear_sip
trunk --number $N >/dev/null
expect "no dispatch rule" sip_dispatch "parley sip dispatch create" "${with_call[@]}"
expect_call "no dispatch rule" room "there is no dispatch rule" $N

# 7. The rule dispatches another agent (no agent comes).
rule --agent someone-else >/dev/null
expect "the rule names another agent" sip_agent "agent.agent_name" "${with_call[@]}" --set agent.agent_name=parley
expect_call "the rule names another agent" agent "dispatches agent 'someone-else'" $N --call-timeout 4 --set agent.agent_name=parley

# 8. The trunk's allowed addresses exclude the caller.
clear_sip
t=$(trunk --number $N --allowed-address 192.0.2.10/32); rule --trunk "$t" >/dev/null
expect "the trunk's allowed addresses refuse the call" sip_call "allowed_addresses" "${with_call[@]}"
expect_call "the trunk's allowed addresses refuse the call" room "accepts calls only from [192.0.2.10/32]" $N

# 9. The trunk requires digest auth: no credentials (407), then wrong ones (401).
clear_sip
t=$(PARLEY_SIP_AUTH_PASSWORD=right-password trunk --number $N --auth-user provider); rule --trunk "$t" >/dev/null
expect "the trunk requires auth" sip_call "requires digest authentication" "${with_call[@]}"
expect_call "the trunk requires auth" room "407" $N
expect_call "the trunk refuses the credentials" room "rejected the digest credentials" $N --sip-user provider --sip-password wrong
expect "the trunk refuses the credentials" sip_call "rejected the digest credentials" "${with_call[@]}" \
  --set diagnose.call_username=provider --set diagnose.call_password=wrong

# 10. Healthy, with the right credentials and parley serve answering: every step, the greeting's
# level measured at the phone.
"$parley" serve >"$run/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 150); do curl -sf http://127.0.0.1:8080/readyz >/dev/null && break; sleep 0.2; done
curl -sf http://127.0.0.1:8080/readyz >/dev/null || { echo "FAIL: parley serve not ready"; tail "$run/serve.log"; failures=$((failures + 1)); }
expect_call "healthy: the agent answers and greets" "" "dBFS" $N --sip-user provider --sip-password right-password
EXPECT_SKIPPABLE="agent_worker" expect "healthy: the sip_call check passes" none "of speech" "${with_call[@]}" \
  --set diagnose.call_username=provider --set diagnose.call_password=right-password
kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; serve_pid=
clear_sip
down

[ "$failures" = 0 ] && echo "PASS: every SIP failure named by parley diagnose and by its test call" || { echo "FAIL: $failures scenario(s)"; exit 1; }
