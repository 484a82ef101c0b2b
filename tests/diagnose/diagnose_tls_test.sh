#!/usr/bin/env bash
# parley diagnose against a TLS-fronted stack (scripts/stack.sh with PARLEY_STACK_TLS=1: nginx
# terminating TLS in front of livekit-server, a local CA) in this test's private network
# namespace: healthy over wss:// and https://, then each TLS failure on a stack of its own
# certificate or proxy config, named by its check with its fix.
set -uo pipefail
parley=$1 repo=$2
ip link set lo up
run=$(mktemp -d)
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true; rm -rf "$run"' EXIT
source "$(dirname "$0")/lib.sh"
export PARLEY_STACK_TLS=1
export LIVEKIT_URL=wss://localhost:7443
ca=$run/tls/ca.pem
# A trunk and a rule (made through the server API over https://), so the SIP checks pass and a
# transport failure is the only one.
sip_ready() {
  "$parley" sip trunk create --name main --number +15550100 --set livekit.ca_file="$ca" >/dev/null &&
    "$parley" sip dispatch create --name calls --agent someone-else --set livekit.ca_file="$ca" >/dev/null ||
    { echo "FAIL: trunk and rule over https"; failures=$((failures + 1)); }
}

up
sip_ready
expect "healthy over TLS (wss:// with livekit.ca_file)" none "https://localhost:7443/ answered OK" --set livekit.ca_file="$ca" --set agent.agent_name=someone-else
expect "healthy over TLS (a folder of CAs)" none "" --set livekit.ca_file="$run/tls" --url https://localhost:7443 --set agent.agent_name=someone-else
expect "certificate from an unknown CA (no livekit.ca_file)" http "livekit.ca_file"
expect "ws:// aimed at the TLS port" http "LIVEKIT_URL=wss://localhost:7443" --url ws://localhost:7443 --set livekit.ca_file="$ca"
expect "wss:// aimed at livekit-server's plain port" http "LIVEKIT_URL=ws://localhost:7880" --url wss://localhost:7880 --set livekit.ca_file="$ca"
expect "host name mismatch (127.0.0.2 is not in the certificate)" http "subjectAltName" --url wss://127.0.0.2:7443 --set livekit.ca_file="$ca"
bash "$repo/scripts/stack.sh" stop-server >/dev/null 2>&1
expect "proxy answers 502: livekit-server down behind it" http "start livekit-server behind the proxy" --set livekit.ca_file="$ca"
down

PARLEY_STACK_TLS_CERT=wrong-host up
expect "certificate for another host name" http "not valid for the host name 'localhost'" --set livekit.ca_file="$ca"
down
PARLEY_STACK_TLS_CERT=expired up
expect "expired certificate" http "renew the server's certificate" --set livekit.ca_file="$ca"
down
PARLEY_STACK_TLS_CERT=not-yet-valid up
expect "certificate not valid yet" http "is not valid yet" --set livekit.ca_file="$ca"
down
PARLEY_STACK_TLS_CERT=unknown-ca up
expect "certificate signed by a CA livekit.ca_file does not hold" http "which does not hold it" --set livekit.ca_file="$ca"
down
PARLEY_STACK_TLS_PROXY=no-upgrade up
sip_ready
expect "proxy drops the WebSocket upgrade" signal_ice "proxy_set_header Upgrade" --set livekit.ca_file="$ca" --set agent.agent_name=someone-else
down

[ "$failures" = 0 ] && echo "PASS: every TLS failure named by its own check" || { echo "FAIL: $failures scenario(s)"; exit 1; }
