#!/usr/bin/env bash
# Runs a command in a private network namespace that has only loopback, so every packet of a
# test, benchmark or demo stays on this machine (WebRTC would otherwise gather candidates on
# every interface). Needs root or user namespaces; `unshare -n` as root works.
#
# Besides lo, the namespace gets a veth pair whose two ends both stay inside it (10.200.0.1 and
# .2, no route anywhere else): libwebrtc (the official LiveKit SDKs) ignores loopback adapters,
# so with lo alone a Python SDK client gathers no ICE candidate and never connects
# ("wait_pc_connection timed out"). With the veth it has a host candidate and reaches the
# server's loopback candidates locally. Best effort: skipped where veth is unavailable.
#   scripts/netns.sh COMMAND [ARGS...]
# Inside such a namespace it runs COMMAND there, unless PARLEY_NETNS_NEW=1 asks for a namespace
# of its own (a test that brings up a stack of its own beside the shared one: same ports).
set -euo pipefail
if [ "${PARLEY_IN_NETNS:-}" = 1 ] && [ "${PARLEY_NETNS_NEW:-}" != 1 ]; then exec "$@"; fi
unset PARLEY_NETNS_NEW
veth='{ ip link add pv0 type veth peer name pv1 && ip addr add 10.200.0.1/24 dev pv0 && ip addr add 10.200.0.2/24 dev pv1 && ip link set pv0 up && ip link set pv1 up; } >/dev/null 2>&1 || true'
if [ "$(id -u)" -eq 0 ]; then
  exec unshare --net -- env PARLEY_IN_NETNS=1 bash -c "ip link set lo up && $veth; exec \"\$@\"" netns "$@"
fi
exec unshare --map-root-user --net -- env PARLEY_IN_NETNS=1 bash -c "ip link set lo up && $veth; exec \"\$@\"" netns "$@"
