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
#   PARLEY_STACK_SERVER_SECRET=S   livekit-server's secret for devkey (default: secret); with
#                         restart-server, every token signed before is refused (401)
#   PARLEY_STACK_UDP=0    restrict livekit-server's media to an address lo does not have (127.0.0.2):
#                         the filter drops its TCP (7881) candidate as well, so the server offers no
#                         media candidate at all and ICE cannot connect (diagnose's signal_ice scenario)
#
#   PARLEY_STACK_TLS=1    production's shape: nginx terminates TLS on 127.0.0.1:7443 in front of
#                         livekit-server (HTTP API and the /rtc WebSocket, with upgrade) and on
#                         127.0.0.1:8443 in front of parley's webhook (127.0.0.1:8080), with a
#                         certificate for localhost and 127.0.0.1 signed by a local CA made here
#                         with openssl ($RUN/tls/ca.pem; never committed). livekit-server sends
#                         webhooks to https://localhost:8443/livekit/webhook and trusts that CA.
#                         Media stays DTLS-SRTP, straight to livekit-server. `up` prints the
#                         wss:// URL and PARLEY_CA_FILE (give it to parley as livekit.ca_file).
#   PARLEY_STACK_TLS_CERT=expired|not-yet-valid|wrong-host|unknown-ca   (with TLS=1) nginx serves
#                         a broken certificate instead (diagnose's TLS scenarios); unknown-ca is
#                         signed by a second CA parley is not given
#   PARLEY_STACK_TLS_PROXY=no-upgrade   (with TLS=1) nginx forwards /rtc without the Upgrade
#                         and Connection headers, as a proxy misconfigured for WebSockets does
#   scripts/stack.sh stop-server   stop only livekit-server (a TLS proxy then answers 502)
#
# Ports: redis 6379, livekit 7880 (HTTP/WS) 7881 (ICE/TCP) 7882 (ICE/UDP), SIP 5060, SIP health 8091,
# with TLS=1 nginx 7443 (LiveKit) and 8443 (webhook).
# Run it inside a private network namespace (scripts/netns.sh) so nothing leaves loopback.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PARLEY_CACHE=${PARLEY_CACHE:-$HOME/.cache/parley}
RUN=${PARLEY_RUN_DIR:-$repo/.run/stack}
TLS=${PARLEY_STACK_TLS:-0}
TLS_PORT=7443 WEBHOOK_TLS_PORT=8443
if [ "$TLS" = 1 ]; then
  WEBHOOK_URL=${PARLEY_WEBHOOK_URL:-https://localhost:$WEBHOOK_TLS_PORT/livekit/webhook}
else
  WEBHOOK_URL=${PARLEY_WEBHOOK_URL:-http://127.0.0.1:8080/livekit/webhook}
fi
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
# nginx answers on its TLS port (any HTTP status: livekit-server behind it may be down; any
# certificate: the broken ones of PARLEY_STACK_TLS_CERT are served on purpose).
nginx_ok() { curl -sk --max-time 2 -o /dev/null https://localhost:$TLS_PORT/; }

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
  devkey: ${PARLEY_STACK_SERVER_SECRET:-secret}
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
# Agent dispatch offers a job only to a node whose workers report load below target_load
# (default 0.7: a worker then takes about 70 % of its calls.max_concurrent). 1.0 lets parley's
# own limit decide: a full worker reports WS_FULL and is never asked (docs/scaling.md).
agents:
  target_load: 1.0
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

# cert NAME CA SUBJECT_ALT_NAMES [START END]: a server key and certificate $RUN/tls/NAME.{key,pem}
# signed by CA ($RUN/tls/CA.{key,pem}); START/END (YYYYMMDDHHMMSSZ) fix its validity, which
# only `openssl ca` can set in the past or the future on OpenSSL 3.0.
san_names() { echo "$1" | sed 's/\([^,]*\)/DNS:\1/g; s/DNS:\([0-9.]*\)\(,\|$\)/IP:\1\2/g'; }  # a,1.2.3.4 -> DNS:a,IP:1.2.3.4

make_cert() {
  local name=$1 ca=$2 san=$3 start=${4:-} end=${5:-} dir=$RUN/tls
  openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/$name.key" -subj "/CN=${san%%,*}" \
    -out "$dir/$name.csr" 2>/dev/null
  if [ -z "$start" ]; then
    printf 'subjectAltName=%s\n' "$(san_names "$san")" >"$dir/$name.ext"
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca.key" -CAcreateserial \
      -days 30 -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
    return
  fi
  local db=$dir/$name.db; rm -rf "$db"; mkdir -p "$db"; : >"$db/index.txt"
  cat >"$db/ca.cnf" <<CNF
[ca]
default_ca = local
[local]
database = $db/index.txt
new_certs_dir = $db
serial = $db/serial
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
[ext]
subjectAltName = $(san_names "$san")
CNF
  echo 01 >"$db/serial"
  openssl ca -batch -config "$db/ca.cnf" -cert "$dir/$ca.pem" -keyfile "$dir/$ca.key" -extensions ext \
    -startdate "$start" -enddate "$end" -in "$dir/$name.csr" -out "$dir/$name.pem" 2>"$db/err" ||
    die "openssl ca: $(cat "$db/err")"
}

make_ca() {  # make_ca NAME: a self-signed CA $RUN/tls/NAME.{key,pem}
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=parley local test CA ($1)" \
    -keyout "$RUN/tls/$1.key" -out "$RUN/tls/$1.pem" 2>/dev/null
}

# The local CA and the certificate nginx serves (made once per run folder; broken ones always).
write_tls_files() {
  mkdir -p "$RUN/tls"
  [ -f "$RUN/tls/ca.pem" ] || make_ca ca
  [ -f "$RUN/tls/server.pem" ] || make_cert server ca localhost,127.0.0.1
  SERVER_CERT=server
  case "${PARLEY_STACK_TLS_CERT:-}" in
    "") ;;
    expired) make_cert expired ca localhost,127.0.0.1 20200101000000Z 20200201000000Z; SERVER_CERT=expired ;;
    not-yet-valid) make_cert notyet ca localhost,127.0.0.1 20990101000000Z 20990201000000Z; SERVER_CERT=notyet ;;
    wrong-host) make_cert wronghost ca livekit.example.com; SERVER_CERT=wronghost ;;
    unknown-ca) [ -f "$RUN/tls/other-ca.pem" ] || make_ca other-ca
                make_cert othersigned other-ca localhost,127.0.0.1; SERVER_CERT=othersigned ;;
    *) die "PARLEY_STACK_TLS_CERT=$PARLEY_STACK_TLS_CERT: use expired, not-yet-valid, wrong-host or unknown-ca" ;;
  esac
}

write_nginx_config() {
  local upgrade='proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;'
  [ "${PARLEY_STACK_TLS_PROXY:-}" != no-upgrade ] || upgrade='# (no-upgrade: the Upgrade and Connection headers are not passed on)'
  mkdir -p "$RUN/nginx"
  cat >"$RUN/nginx.conf" <<NGINX
# Generated by scripts/stack.sh: TLS termination on loopback (docs/deployment.md explains it).
worker_processes 1;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log info;
events { worker_connections 1024; }
http {
  access_log $RUN/nginx/access.log;
  client_body_temp_path $RUN/nginx/body;
  proxy_temp_path $RUN/nginx/proxy;
  fastcgi_temp_path $RUN/nginx/fastcgi;
  uwsgi_temp_path $RUN/nginx/uwsgi;
  scgi_temp_path $RUN/nginx/scgi;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  ssl_certificate $RUN/tls/$SERVER_CERT.pem;
  ssl_certificate_key $RUN/tls/$SERVER_CERT.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  # livekit-server: the server API (Twirp), GET / and the /rtc signal WebSocket.
  server {
    listen 127.0.0.1:$TLS_PORT ssl;
    # A loopback address the certificate does not name (diagnose's host-name mismatch).
    listen 127.0.0.2:$TLS_PORT ssl;
    server_name localhost;
    location / {
      proxy_pass http://127.0.0.1:$LK_PORT;
      proxy_http_version 1.1;
      $upgrade
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
  }
  # parley serve's webhook, for livekit-server's https:// webhook URL.
  server {
    listen 127.0.0.1:$WEBHOOK_TLS_PORT ssl;
    server_name localhost;
    location / {
      proxy_pass http://127.0.0.1:8080;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
NGINX
}

start_nginx() {
  command -v nginx >/dev/null || die "nginx is not installed: run scripts/install.sh"
  write_tls_files
  write_nginx_config
  nginx -t -c "$RUN/nginx.conf" -p "$RUN/nginx" -e "$RUN/nginx/error.log" >"$RUN/nginx-check.log" 2>&1 ||
    die "nginx rejects $RUN/nginx.conf: $(cat "$RUN/nginx-check.log")"
  start nginx nginx -c "$RUN/nginx.conf" -p "$RUN/nginx" -e "$RUN/nginx/error.log" -g 'daemon off;'
  wait_for nginx 15 nginx_ok
  log "nginx: TLS on https://localhost:$TLS_PORT -> livekit-server, https://localhost:$WEBHOOK_TLS_PORT -> 127.0.0.1:8080 (certificate: $SERVER_CERT, CA $RUN/tls/ca.pem)"
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
  start_livekit
  wait_for livekit 30 livekit_ok
  log "livekit-server: OK on http://127.0.0.1:$LK_PORT (webhooks to $WEBHOOK_URL)"
  [ "$TLS" != 1 ] || start_nginx

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
  if [ "$TLS" = 1 ]; then
    cat <<ENV
export LIVEKIT_URL=wss://localhost:$TLS_PORT
export LIVEKIT_API_KEY=devkey
export LIVEKIT_API_SECRET=secret
export PARLEY_CA_FILE=$RUN/tls/ca.pem
ENV
  else
    cat <<ENV
export LIVEKIT_URL=ws://127.0.0.1:$LK_PORT
export LIVEKIT_API_KEY=devkey
export LIVEKIT_API_SECRET=secret
ENV
  fi
}

# livekit-server trusts the local CA for its https:// webhooks: Go reads SSL_CERT_FILE.
start_livekit() {
  if [ "$TLS" = 1 ]; then
    start livekit env SSL_CERT_FILE="$RUN/tls/ca.pem" "$BIN/livekit-server" --config "$RUN/livekit.yaml"
  else
    start livekit "$BIN/livekit-server" --config "$RUN/livekit.yaml"
  fi
}

restart_server() {
  mkdir -p "$RUN"
  stop_one livekit
  write_livekit_config
  start_livekit
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
  stop_one nginx
  stop_one livekit
  stop_one redis
}

status() {
  local rc=0
  local names="redis livekit sip"
  [ "$TLS" != 1 ] || names="$names nginx"
  for name in $names; do
    local health=no
    case $name in
      nginx) nginx_ok && health=yes ;;
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
  stop-server) stop_one livekit ;;
  udp) case "${2:-}" in on|off) udp_block "$2" ;; *) die "usage: $0 udp on|off" ;; esac ;;
  *) echo "usage: $0 up|down|status|restart-server|stop-server|udp on|off" >&2; exit 2 ;;
esac
