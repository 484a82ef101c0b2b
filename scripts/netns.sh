#!/usr/bin/env bash
# Runs a command in a private network namespace that has only loopback, so every packet of a
# test, benchmark or demo stays on this machine (WebRTC would otherwise gather candidates on
# every interface). Needs root or user namespaces; `unshare -n` as root works.
#   scripts/netns.sh COMMAND [ARGS...]
set -euo pipefail
if [ "${PARLEY_IN_NETNS:-}" = 1 ]; then exec "$@"; fi
if [ "$(id -u)" -eq 0 ]; then
  exec unshare --net -- env PARLEY_IN_NETNS=1 bash -c 'ip link set lo up && exec "$@"' netns "$@"
fi
exec unshare --map-root-user --net -- env PARLEY_IN_NETNS=1 bash -c 'ip link set lo up && exec "$@"' netns "$@"
