#!/usr/bin/env bash
# `parley config check` accepts the example and rejects each broken file with a message that
# names the key (or the line and column of a YAML error) and exits 2.
set -uo pipefail
parley=$1 repo=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() {  # check NAME EXPECTED_RC PATTERN FILE [env...]
  local name=$1 want=$2 pattern=$3 file=$4; shift 4
  local got
  got=$(env -u LIVEKIT_URL -u LIVEKIT_API_KEY -u LIVEKIT_API_SECRET "$@" "$parley" config check --config "$file" 2>&1)
  local rc=$?
  if [ $rc -ne "$want" ] || ! grep -qE -- "$pattern" <<<"$got"; then
    echo "FAIL $name: rc=$rc (want $want), output lacks /$pattern/:"; echo "$got" | head -20; fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}
check example 0 'configuration OK' "$repo/parley.example.yaml" LIVEKIT_API_SECRET=secret
check missing-secret 2 'livekit.api_secret: is not set' "$repo/parley.example.yaml"
printf 'livekit:\n  url: 127.0.0.1:7880\n  api_key: devkey\n' > "$dir/noscheme.yaml"
check url-without-scheme 2 'livekit.url: .* has no scheme' "$dir/noscheme.yaml" LIVEKIT_API_SECRET=secret
printf 'livekit: {url: ws://h:7880, api_key: k}\nproviders: {stt: [deepgram], deepgram: {url: "http://dg.example/v1/listen", api_key: "${DG}"}}\n' > "$dir/httpws.yaml"
check http-for-websocket 2 'providers.deepgram.url: .*not a WebSocket URL' "$dir/httpws.yaml" LIVEKIT_API_SECRET=secret DG=x1234
printf 'livekit: {url: ws://h:7880, api_key: k, request_timeout: -1s}\n' > "$dir/neg.yaml"
check negative-timeout 2 'livekit.request_timeout: .*negative' "$dir/neg.yaml" LIVEKIT_API_SECRET=secret
printf 'livekit: {url: ws://h:7880, api_key: k}\nproviders: {llm: [gpt5000]}\n' > "$dir/prov.yaml"
check unknown-provider 2 "providers.llm: 'gpt5000' is not a known llm provider" "$dir/prov.yaml" LIVEKIT_API_SECRET=secret
printf 'livekit:\n  url: ws://h:7880\n   api_key: k\n' > "$dir/bad.yaml"
check malformed-yaml 2 "bad.yaml:[0-9]+:[0-9]+: YAML syntax error" "$dir/bad.yaml" LIVEKIT_API_SECRET=secret
got=$(LIVEKIT_API_SECRET=secret "$parley" config check --json --config "$repo/parley.example.yaml"); grep -q "\"ok\": true" <<<"$got" && echo "ok   json-output" || { echo "FAIL json-output"; fails=$((fails+1)); }
[ $fails -eq 0 ] && echo "PASS" || exit 1
