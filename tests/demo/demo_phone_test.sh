#!/usr/bin/env bash
# Runs scripts/demo.sh (already inside a namespace of its own) and checks what it printed and
# left: both questions answered with the embedded script's answers, the answers heard at the
# phone, the recordings where it says, latencies printed, and nothing of the stack still running.
#   demo_phone_test.sh REPO PARLEY_BINARY RUN_DIR
set -euo pipefail
repo=$1 parley=$2 run=$3
rm -rf "$run"
mkdir -p "$run"
out=$run/demo-output.txt
rc=0
PARLEY_BIN=$parley PARLEY_RUN_DIR=$run bash "$repo/scripts/demo.sh" 2>&1 | tee "$out" || rc=$?
fail() { echo "demo_phone: FAIL: $*" >&2; exit 1; }
[ "$rc" = 0 ] || fail "scripts/demo.sh exited $rc"

# parley sip setup made the trunk with the demo number in E.164, and its rule.
grep -qF 'numbers [+15550100100]' "$out" || fail "sip setup did not show the trunk's number in E.164"
grep -qE "dispatch rule 'parley-calls' \(SDR_[A-Za-z0-9]+\): (created|unchanged)" "$out" || fail "sip setup made no rule"
# The embedded script's answers (what the agent must say), read from the script itself.
answer() { grep -A12 "^  - name: $1\$" "$repo/src/providers/llm/default_script.yaml" | grep -m1 -A1 'answer:' |
           sed -n 's/^ *en: "\(.*\)"$/\1/p'; }
for intent in hours prices; do
  a=$(answer $intent)
  [ -n "$a" ] || fail "no English answer for $intent in default_script.yaml"
  grep -qF "agent  : $a" "$out" || fail "the agent's answer to $intent ('$a') is not in the output"
done
grep -qE 'agent  : \(understood ".*hours.*"\)' "$out" || fail "the agent did not understand the first question"
grep -qE 'agent  : \(understood ".*(cost|much).*"\)' "$out" || fail "the agent did not understand the second question"
# The phone heard the answers (its recording recognised by pocketsphinx): key words of each.
heard=$(grep 'phone  : heard (pocketsphinx)' "$out" | tail -2)
echo "$heard" | sed -n 1p | grep -qwE 'nine|six|morning|evening|monday|friday' || fail "the phone did not hear the hours: $heard"
echo "$heard" | sed -n 2p | grep -qwE 'fifty|dollars|consultation|free|visit' || fail "the phone did not hear the prices: $heard"
# Latencies on the phone's clock and parley's own, and the call record.
[ "$(grep -c 'end of question -> answer audible: [0-9.]* s$' "$out")" = 2 ] || fail "no per-question latency at the phone"
grep -qE '^   turn [0-9]+: end_to_end' "$out" || fail "no turn figures from parley's log"
grep -qE '^   call record: caller sip_\+15550001, 2 turns in' "$out" || fail "no call record of two turns from parley's log"
grep -qF 'called_number +15550100100' "$out" || fail "the call record does not name the number dialled"
# The recordings are where it says.
rec=$(sed -n 's/.*what the phone heard (whole call, 16000 Hz): \(.*\)$/\1/p' "$out")
[ "$rec" = "$run/call/phone-heard.wav" ] || fail "the phone's recording is not named (got '$rec')"
[ "$(stat -c %s "$rec")" -gt $((16000 * 2 * 8)) ] || fail "$rec holds less than 8 s of audio"
grep -q "what the phone sent (its microphone, whole call): $run/call/phone-sent.wav" "$out" &&
  [ -s "$run/call/phone-sent.wav" ] || fail "what the phone sent is not recorded"
# Nothing left running: the stack's and parley's ports are closed in this namespace.
for port in 6379 7880 5060 8080 8091; do
  ss -ltnH "sport = :$port" | grep -q . && fail "something still listens on port $port after the demo"
done
echo "demo_phone: PASS"
