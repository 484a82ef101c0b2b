#!/usr/bin/env bash
# A whole call over TLS, in a private network namespace: the local stack with nginx terminating
# TLS in front of livekit-server and in front of parley's webhook (scripts/stack.sh with
# PARLEY_STACK_TLS=1, a local CA). parley talks wss:// and https:// only, trusting the CA through
# livekit.ca_file; livekit-server sends its webhooks to https://localhost:8443 (nginx -> parley).
# Runs the agent's live call test unchanged over it (the official Python SDK as the caller,
# trusting the CA through SSL_CERT_FILE), then every server-API command of the CLI.
set -uo pipefail
parley=$1 repo=$2 python=$3
ip link set lo up
run=$(mktemp -d)
export PARLEY_RUN_DIR=$run PARLEY_STACK_TLS=1 PARLEY_STACK_SIP=0
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true; rm -rf "$run"' EXIT
bash "$repo/scripts/stack.sh" up >"$run/env" 2>"$run/up.log" || { echo "FAIL: stack up"; cat "$run/up.log"; exit 1; }
source "$run/env"
export SSL_CERT_FILE=$PARLEY_CA_FILE
unset PARLEY_CONFIG
failures=0
check() {  # check NAME COMMAND...: the command must succeed
  local name=$1; shift
  if out=$("$@" 2>&1); then echo "ok: $name"; else echo "FAIL: $name"; echo "$out" | tail -5; failures=$((failures + 1)); fi
}

# The call: admitted from a webhook that came through nginx, answered over wss://.
PARLEY_BIN=$parley PYTHONPATH=$repo/scripts:$repo/tests/service \
  "$python" -m pytest -q -s -p no:cacheprovider "$repo/tests/agent/agent_live_test.py" || failures=$((failures + 1))
# parley's signal WebSocket went through nginx (its user agent on a GET /rtc that was upgraded).
grep -q 'GET /rtc?[^"]*HTTP/1.1" 101 .*"parley/' "$run/nginx/access.log" &&
  echo "ok: parley's signal connections went through nginx over wss ($(grep -c '" 101 .*"parley/' "$run/nginx/access.log") upgrades)" ||
  { echo "FAIL: no parley WebSocket upgrade through nginx"; failures=$((failures + 1)); }
grep -q 'POST /livekit/webhook HTTP/1.1" 200' "$run/nginx/access.log" &&
  echo "ok: livekit-server's webhooks reached parley through nginx over https ($(grep -c 'POST /livekit/webhook' "$run/nginx/access.log") posts)" ||
  { echo "FAIL: no webhook through nginx"; failures=$((failures + 1)); }

# Every server-API command over https:// (the URL is wss://; the API maps it), trusting the CA
# through livekit.ca_file alone.
unset SSL_CERT_FILE
ca=(--set "livekit.ca_file=$PARLEY_CA_FILE")
room=tls-$RANDOM
check "room create" "$parley" room create --room "$room" "${ca[@]}"
check "room list" bash -c "'$parley' room list --set livekit.ca_file='$PARLEY_CA_FILE' | grep -q '$room'"
check "participant list" "$parley" participant list --room "$room" "${ca[@]}"
# A CLI participant that joins over wss:// (parley say, speaking for a while), then removed
# through the API.
"$parley" say --room "$room" --as tls-speaker --lead 1 "${ca[@]}" \
  --text "testing the secure line, one two three, testing the secure line, one two three, testing the secure line" \
  >"$run/say.log" 2>&1 &
say_pid=$!
for _ in $(seq 1 150); do  # up to 15 s for the join
  "$parley" participant list --room "$room" "${ca[@]}" 2>/dev/null | grep -q tls-speaker && break
  sleep 0.1
done
check "say joined over wss" bash -c "'$parley' participant list --room '$room' --set livekit.ca_file='$PARLEY_CA_FILE' | grep -q tls-speaker"
check "participant remove" "$parley" participant remove --room "$room" --identity tls-speaker "${ca[@]}"
wait "$say_pid" || true  # removed mid-sentence: say ends either way
check "sip trunk create" "$parley" sip trunk create --name tls --number +15550111 "${ca[@]}"
check "sip trunk list" bash -c "'$parley' sip trunk list --set livekit.ca_file='$PARLEY_CA_FILE' | grep -q '+15550111'"
check "sip dispatch create" "$parley" sip dispatch create --name tls-calls "${ca[@]}"
check "sip dispatch list" bash -c "'$parley' sip dispatch list --set livekit.ca_file='$PARLEY_CA_FILE' | grep -q 'tls-calls'"
check "room delete" "$parley" room delete --room "$room" "${ca[@]}"
# ... and none of it without the CA: the failure names livekit.ca_file.
if out=$("$parley" room list 2>&1); then echo "FAIL: room list trusted an unknown CA"; failures=$((failures + 1));
elif echo "$out" | grep -q "livekit.ca_file"; then echo "ok: without the CA the API refuses, naming livekit.ca_file";
else echo "FAIL: unnamed failure: $out"; failures=$((failures + 1)); fi

[ "$failures" = 0 ] && echo "PASS: a whole call and the server API over TLS" || { echo "FAIL: $failures"; exit 1; }
