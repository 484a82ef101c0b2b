#!/usr/bin/env bash
# The local LiveKit stack, on loopback only: redis-server, livekit-server and (when installed)
# LiveKit's SIP bridge.
#
#   scripts/stack.sh up       start what is not running, wait until healthy, print the env to export
#   scripts/stack.sh down     stop only what `up` started (pids in the run folder)
#   scripts/stack.sh status   say what runs and whether it answers
#   scripts/stack.sh restart-server   stop and start only livekit-server (Redis and SIP stay), with
#                             the settings below as they are now (tests: rejoin after a restart)
#   scripts/stack.sh udp off|on   make the server's ICE/UDP port unreachable (or reachable again)
#                             without restarting anything, so ICE must use TCP; only inside
#                             scripts/netns.sh, since it changes the namespace's loopback
#
# Settings (environment):
#   PARLEY_RUN_DIR        run folder for configs, logs and pids (default: <repo>/.run/stack)
#   PARLEY_WEBHOOK_URL    where livekit-server sends webhooks (default: http://127.0.0.1:8080/livekit/webhook)
#   PARLEY_STACK_SIP=0    do not start the SIP bridge (calls to 127.0.0.1:5060 get no answer)
#   PARLEY_STACK_SIP_API_KEY=K, PARLEY_STACK_SIP_API_SECRET=S   the key/secret the bridge uses
#                         (default: the server's devkey/secret). Anything else is the seed's
#                         failure: the bridge starts healthy and every server-API check passes,
#                         but it cannot join rooms, so every incoming call is rejected (486)
#   PARLEY_STACK_SIP_REDIS=0   the bridge is pointed at a Redis address where nothing listens
#                         (127.0.0.1:6390), as when its redis.address is wrong; `up` does
#                         not wait for it to become healthy, and says whether it still runs
#   PARLEY_STACK_SERVER_REDIS=0   run livekit-server without Redis (to reproduce "sip not connected")
#   PARLEY_STACK_UDP=0    restrict livekit-server's media to an address lo does not have (127.0.0.2):
#                         the filter drops its TCP (7881) candidate as well, so the server offers no
#                         media candidate at all and ICE cannot connect (diagnose's signal_ice scenario)
#
# Ports: redis 6379, livekit 7880 (HTTP/WS) 7881 (ICE/TCP) 7882 (ICE/UDP), SIP 5060, SIP health 8091.
# Run it inside a private network namespace (scripts/netns.sh) so nothing leaves loopback.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PARLEY_CACHE=${PARLEY_CACHE:-$HOME/.cache/parley}
RUN=${PARLEY_RUN_DIR:-$repo/.run/stack}
WEBHOOK_URL=${PARLEY_WEBHOOK_URL:-http://127.0.0.1:8080/livekit/webhook}
BIN=$PARLEY_CACHE/bin
REDIS_PORT=6379 DEAD_REDIS_PORT=6390 LK_PORT=7880 LK_UDP_PORT=7882 SIP_HEALTH_PORT=8091

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# wait_for NAME SECONDS COMMAND...: polls COMMAND until it succeeds or the deadline passes.
wait_for() {
  local name=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ! running "$name"; then die "$name exited while starting; see $RUN/$name.log"; fi
    [ $SECONDS -lt $deadline ] || die "$name did not become healthy in ${secs}s; see $RUN/$name.log"
    sleep 0.2
  done
}

redis_ok() { [ "$(redis-cli -p $REDIS_PORT ping 2>/dev/null)" = "PONG" ]; }
livekit_ok() { [ "$(curl -s --max-time 2 http://127.0.0.1:$LK_PORT/)" = "OK" ]; }
sip_ok() { curl -sf --max-time 2 http://127.0.0.1:$SIP_HEALTH_PORT/ >/dev/null; }

start() {  # start NAME COMMAND...: runs it in the background with its own log and pid file
  local name=$1; shift
  if running "$name"; then log "$name: already running (pid $(cat "$RUN/$name.pid"))"; return; fi
  "$@" >"$RUN/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

ensure_lo_up() {
  # In a fresh network namespace lo starts down.
  if ip link show lo 2>/dev/null | grep -q "state DOWN"; then ip link set lo up 2>/dev/null || true; fi
}

# udp off|on: the server keeps listening on and advertising 127.0.0.1:7882, but with "off" every
# UDP datagram to or from that port on lo is dropped (an HTB class whose queue holds nothing; this
# kernel has the u32 classifier but no drop action), as a firewall that only lets TCP through
# would. Loopback carries all of the namespace's local traffic, the veth addresses' included.
udp_block() {
  [ "${PARLEY_IN_NETNS:-}" = 1 ] || die "udp $1: only inside scripts/netns.sh (it changes lo's queueing)"
  tc qdisc del dev lo root 2>/dev/null || true
  [ "$1" = off ] || { log "udp: livekit-server's UDP port $LK_UDP_PORT is reachable"; return 0; }
  tc qdisc add dev lo root handle 1: htb default 20 2>/dev/null
  tc class add dev lo parent 1: classid 1:20 htb rate 10gbit 2>/dev/null
  tc class add dev lo parent 1: classid 1:10 htb rate 10gbit 2>/dev/null
  tc qdisc add dev lo parent 1:10 handle 10: pfifo limit 0
  for dir in dport sport; do
    tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip protocol 17 0xff match ip $dir $LK_UDP_PORT 0xffff flowid 1:10
  done
  log "udp: datagrams to and from livekit-server's UDP port $LK_UDP_PORT are dropped; ICE must use TCP 7881"
}

write_livekit_config() {
  local udp
  if [ "${PARLEY_STACK_UDP:-1}" = 0 ]; then
    # Media only on an address lo does not have: no UDP and (the filter applies to both) no TCP candidate.
    udp="udp_port: $LK_UDP_PORT
  ips:
    includes: [127.0.0.2/32]"
  else
    udp="udp_port: $LK_UDP_PORT"
  fi
  local redis=""
  if [ "${PARLEY_STACK_SERVER_REDIS:-1}" != 0 ]; then redis="redis:
  address: 127.0.0.1:$REDIS_PORT"; fi
  cat >"$RUN/livekit.yaml" <<YAML
# Generated by scripts/stack.sh: loopback only.
port: $LK_PORT
bind_addresses: [127.0.0.1]
keys:
  devkey: secret
rtc:
  tcp_port: 7881
  $udp
  use_external_ip: false
  enable_loopback_candidate: true
  node_ip: 127.0.0.1
  # A loopback STUN entry, so the server hands no public STUN server to clients.
  stun_servers: ["127.0.0.1:3478"]
  interfaces:
    includes: [lo]
$redis
room:
  auto_create: true
  empty_timeout: 60
  departure_timeout: 5
webhook:
  api_key: devkey
  urls: [$WEBHOOK_URL]
logging:
  level: info
YAML
}

write_sip_config() {
  local redis_port=$REDIS_PORT
  [ "${PARLEY_STACK_SIP_REDIS:-1}" != 0 ] || redis_port=$DEAD_REDIS_PORT
  cat >"$RUN/sip.yaml" <<YAML
# Generated by scripts/stack.sh: loopback only.
api_key: ${PARLEY_STACK_SIP_API_KEY:-devkey}
api_secret: ${PARLEY_STACK_SIP_API_SECRET:-secret}
ws_url: ws://127.0.0.1:$LK_PORT
redis:
  address: 127.0.0.1:$redis_port
sip_port: 5060
listen_ip: 127.0.0.1
nat_1_to_1_ip: 127.0.0.1
rtp_port: 10000-10999
health_port: $SIP_HEALTH_PORT
# The bridge sheds load above 90 % CPU by default: health answers 429 and outbound calls are
# refused. On a 2-core test machine busy with the tests themselves that would make calls depend
# on the moment's load, so the local stack never sheds (1 = only at 100 %).
max_cpu_utilization: 1
logging:
  level: info
YAML
}

# The bridge with PARLEY_STACK_SIP_REDIS=0: livekit-sip v1.11.0 exits at start when it cannot
# dial Redis ("unable to connect to redis"), so callers find nothing listening on 5060. Waits
# (bounded) for that exit, so the stack is in its final broken state when `up` returns.
sip_without_redis() {
  local deadline=$((SECONDS + 30))
  while running sip; do
    [ $SECONDS -lt $deadline ] || { log "livekit-sip: still running without Redis after 30s; see $RUN/sip.log"; return 0; }
    sleep 0.2
  done
  rm -f "$RUN/sip.pid"
  log "livekit-sip: exited as expected without Redis ($(grep -m1 -o 'unable to connect to redis[^"]*' "$RUN/sip.log" || echo "see $RUN/sip.log"))"
}

up() {
  mkdir -p "$RUN"
  ensure_lo_up
  [ -x "$BIN/livekit-server" ] || die "livekit-server is not installed: run scripts/install.sh"
  command -v redis-server >/dev/null || die "redis-server is not installed: run scripts/install.sh"

  start redis redis-server --bind 127.0.0.1 --port $REDIS_PORT --save "" --appendonly no --daemonize no
  wait_for redis 15 redis_ok
  log "redis: PONG on 127.0.0.1:$REDIS_PORT"

  write_livekit_config
  start livekit "$BIN/livekit-server" --config "$RUN/livekit.yaml"
  wait_for livekit 30 livekit_ok
  log "livekit-server: OK on http://127.0.0.1:$LK_PORT (webhooks to $WEBHOOK_URL)"

  if [ "${PARLEY_STACK_SIP:-1}" != 0 ]; then
    if [ -x "$BIN/livekit-sip" ]; then
      write_sip_config
      start sip "$BIN/livekit-sip" --config "$RUN/sip.yaml"
      if [ "${PARLEY_STACK_SIP_REDIS:-1}" = 0 ]; then
        sip_without_redis
      else
        wait_for sip 30 sip_ok
        log "livekit-sip: healthy, SIP on 127.0.0.1:5060"
      fi
    else
      log "livekit-sip: not installed (its Go module cannot be fetched here; see README), skipped"
    fi
  fi
  cat <<ENV
export LIVEKIT_URL=ws://127.0.0.1:$LK_PORT
export LIVEKIT_API_KEY=devkey
export LIVEKIT_API_SECRET=secret
ENV
}

restart_server() {
  mkdir -p "$RUN"
  stop_one livekit
  write_livekit_config
  start livekit "$BIN/livekit-server" --config "$RUN/livekit.yaml"
  wait_for livekit 30 livekit_ok
  log "livekit-server: restarted, OK on http://127.0.0.1:$LK_PORT"
}

stop_one() {
  local name=$1
  [ -f "$RUN/$name.pid" ] || return 0
  local pid; pid=$(cat "$RUN/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    log "$name: stopped (pid $pid)"
  fi
  rm -f "$RUN/$name.pid"
}

down() {
  # Reverse order: the bridge and the server need Redis until they are gone.
  stop_one sip
  stop_one livekit
  stop_one redis
}

status() {
  local rc=0
  for name in redis livekit sip; do
    local health=no
    case $name in
      redis) redis_ok && health=yes ;;
      livekit) livekit_ok && health=yes ;;
      sip) sip_ok && health=yes ;;
    esac
    if running "$name"; then
      echo "$name: running (pid $(cat "$RUN/$name.pid")), healthy: $health"
    else
      echo "$name: not running"; [ $name = sip ] || rc=1
    fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  restart-server) restart_server ;;
  udp) case "${2:-}" in on|off) udp_block "$2" ;; *) die "usage: $0 udp on|off" ;; esac ;;
  *) echo "usage: $0 up|down|status|restart-server|udp on|off" >&2; exit 2 ;;
esac
