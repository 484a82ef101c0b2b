#!/usr/bin/env bash
# Every parley command, run at trace level with a known secret in its environment, must never
# print that secret, in text or JSON logs, on stdout or stderr, whether it succeeds or fails.
# Commands that need a server are pointed at a closed port and at a live one when it runs.
set -uo pipefail
parley=$1 repo=$2
secret="known-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export LIVEKIT_URL=ws://127.0.0.1:1 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=$secret
export OPENAI_API_KEY="sk-test-$secret"
export SIP_TEST_PASSWORD="sip-$secret"  # named as ${SIP_TEST_PASSWORD} by commands.d/sip.txt
out=$(mktemp)
trap 'rm -f "$out"' EXIT
commands=(
  "config check --config $repo/parley.example.yaml"
  "config check --config $repo/parley.example.yaml --json"
  "config check --config $repo/parley.example.yaml --set providers.llm=openai"
  "config check --config $repo/parley.example.yaml --set livekit.url=bad"
)
# Later commands (token, room, diagnose, serve...) add themselves to this list as they land.
for extra in "$repo"/tests/cli/commands.d/*.txt; do
  [ -f "$extra" ] || continue
  while IFS= read -r line; do [ -n "$line" ] && commands+=("$line"); done < "$extra"
done
ran=0
for cmd in "${commands[@]}"; do
  for format in text json; do
    # shellcheck disable=SC2086
    timeout 20 "$parley" $cmd --log-level trace --log-format $format >>"$out" 2>&1
    ran=$((ran + 1))
  done
done
if grep -q "$secret" "$out"; then
  echo "FAIL: the secret appeared in output:"; grep -n "$secret" "$out" | head
  exit 1
fi
[ -s "$out" ] || { echo "FAIL: the commands printed nothing, so the test proves nothing"; exit 1; }
echo "PASS: $ran runs, $(wc -l < "$out") lines of output, secret never shown"
