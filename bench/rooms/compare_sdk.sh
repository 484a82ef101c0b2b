#!/usr/bin/env bash
# The media layer alone: N parley livekit::Room agents (bench_rooms) against N official Python
# SDK agents (sdk_agents.py) and N Pipecat agents (pipecat_agents.py, Pipecat's LiveKit transport)
# doing the same receive-and-send work, on one local stack, driven by the same C++ callers,
# alternating per N so that all see the same machine. Run it in a network namespace:
#   scripts/netns.sh bench/rooms/compare_sdk.sh [--agents parley,sdk,pipecat] build 10 25 50
# BUILD is a build folder holding bench/rooms/bench_rooms and src/cli/parley (for the speech).
# --agents picks which run (default all three); pipecat's venv is installed first when missing
# (scripts/install.sh pipecat, ~0.55 GB once). When parley runs, ratios are parley / each other.
# Env: BENCH_SECONDS (default 20), BENCH_WARMUP (default 5), PARLEY_CACHE (the venvs).
set -euo pipefail
agents=parley,sdk,pipecat
if [ "${1:-}" = --agents ]; then agents=$2; shift 2; fi
build=$(cd "$1" && pwd); shift
bench=$build/bench/rooms/bench_rooms
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${PARLEY_CACHE:-$HOME/.cache/parley}
case ",$agents," in *,pipecat,*) PARLEY_CACHE=$cache bash "$repo/scripts/install.sh" pipecat ;; esac
secs=${BENCH_SECONDS:-20} warm=${BENCH_WARMUP:-5}
tmp=$(mktemp -d)  # rows, logs, the speech WAV, and the stack's run folder unless one is given
export PARLEY_RUN_DIR=${PARLEY_RUN_DIR:-$tmp/stack} PARLEY_STACK_SIP=0
trap 'bash "$repo/scripts/stack.sh" down >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
bash "$repo/scripts/stack.sh" up >/dev/null
export LIVEKIT_URL=ws://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret
server=$(cat "$PARLEY_RUN_DIR/livekit.pid")

# The SDK agents say what bench_rooms' agents say (flite at 48 kHz), from a WAV made here.
"$build/src/cli/parley" tts --rate 48000 --out "$tmp/agent.wav" --text "Good morning, thank you for calling. \
How can I help you today? We are open from nine in the morning until six in the evening. \
I have booked a table for four people at seven o'clock." >/dev/null

# Peak PSS (kB) of process $1, sampled each second until it prints its row (file $2) at the end of
# its window: the same outside view of both, leaving out how they leave.
peak_pss() {
  local peak=0 v
  while kill -0 "$1" 2>/dev/null && ! grep -q '^|' "$2"; do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || true)
    if [ -n "$v" ] && [ "$v" -gt "$peak" ]; then peak=$v; fi
    sleep 1
  done
  echo "$peak"
}

# run NAME N COMMAND...: runs one agent process; leaves its markdown row in $tmp/NAME.N, peak PSS in .pss.
run() {
  local name=$1 n=$2; shift 2
  : >"$tmp/$name.$n"  # before peak_pss reads it: the background job creates it only when it starts
  "$@" >"$tmp/$name.$n" 2>"$tmp/$name.$n.err" &
  local pid=$!
  peak_pss "$pid" "$tmp/$name.$n" >"$tmp/$name.$n.pss"
  local rc=0
  wait "$pid" || rc=$?
  # No row: it died before the end of its window (the SDK at 50 calls on 2 cores did).
  grep -q '^|' "$tmp/$name.$n" || echo "| $n | died (exit $rc) | – | – | – | – | – | – | – | – | – | – |" >"$tmp/$name.$n"
  cat "$tmp/$name.$n" "$tmp/$name.$n.err" >&2  # each run's own row and details, as it ends
  sleep 3  # let the server close the rooms before the next run
}

# field FILE I: the I-th |-separated cell of the row in FILE, trimmed.
field() { awk -F'|' -v i="$(($2 + 1))" '/^\|/ {gsub(/^ +| +$/, "", $i); print $i; exit}' "$1"; }
num() { echo "${1%% *}"; }  # "12.3 %" → 12.3

# CPU µs per frame moved (sent + heard) from a row's CPU/call and frames/s/call: the cost at equal
# work, since an agent that falls behind moves fewer frames and so shows less CPU per call.
per_frame() { awk -v c="$(num "$1")" -v s="$2" -v h="$3" 'BEGIN { if (s + h > 0) printf "%.0f µs", c / 100 * 1e6 / (s + h); else printf "–" }'; }
ratio() { awk -v a="$(num "$1")" -v b="$(num "$2")" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "–" }'; }
# row LABEL FAILED CPU RSS PSS_KB THREADS SENT HEARD SERVER LOAD
row() { echo "| $n | $1 | $2 | $3 | $(per_frame "$3" "$7" "$8") | $4 | $(($5 / 1024)) MB | $6 | $7 | $8 | $9 | ${10} |"; }

# add NAME LABEL: one run's row; bench_rooms' and the Python agents' rows differ in columns.
# bench_rooms':    2 failed, 3 CPU/call, 6 threads, 7 RSS/call, 8 sent, 9 heard, 13 server, 15 load.
# the Python ones: 2 failed, 3 CPU/call, 4 threads, 5 RSS/call, 7 sent, 8 heard, 9 server, 11 load.
# Leaves CPU, CPU per frame, RSS and PSS in cpu_NAME, pf_NAME, rss_NAME, pss_NAME for the ratios.
add() {
  local f=$tmp/$1.$n c=(2 3 6 7 8 9 13 15)
  [ "$1" = parley ] || c=(2 3 4 5 7 8 9 11)
  local cpu rss pss sent heard
  cpu=$(field "$f" "${c[1]}") rss=$(field "$f" "${c[3]}") pss=$(cat "$f.pss")
  sent=$(field "$f" "${c[4]}") heard=$(field "$f" "${c[5]}")
  rows+=("$(row "$2" "$(field "$f" "${c[0]}")" "$cpu" "$rss" "$pss" "$(field "$f" "${c[2]}")" "$sent" "$heard" \
    "$(field "$f" "${c[6]}")" "$(field "$f" "${c[7]}")")")
  printf -v "cpu_$1" %s "$cpu"; printf -v "rss_$1" %s "$rss"; printf -v "pss_$1" %s "$pss"
  printf -v "pf_$1" %s "$(per_frame "$cpu" "$sent" "$heard")"
}
ratios() {  # ratios NAME LABEL: parley / NAME
  local c=cpu_$1 f=pf_$1 r=rss_$1 p=pss_$1
  rows+=("| $n | **parley / $2** | | **$(ratio "$cpu_parley" "${!c}")** | **$(ratio "$pf_parley" "${!f}")** | **$(ratio "$rss_parley" "${!r}")** | **$(ratio "$pss_parley" "${!p}")** | | | | | |")
}

declare -A label=([parley]="parley Room" [sdk]="Python SDK" [pipecat]=Pipecat)
declare -A ratio_label=([sdk]=SDK [pipecat]=Pipecat)
rows=()
for n in "$@"; do
  for a in ${agents//,/ }; do
    case $a in
      parley) run parley "$n" "$bench" --rooms "$n" --seconds "$secs" --warmup "$warm" --server-pid "$server" ;;
      sdk) run sdk "$n" "$cache/venv/bin/python" "$here/sdk_agents.py" --rooms "$n" --seconds "$secs" \
        --warmup "$warm" --server-pid "$server" --callers "$bench" --speech "$tmp/agent.wav" ;;
      pipecat) run pipecat "$n" "$cache/pipecat-venv/bin/python" "$here/pipecat_agents.py" --rooms "$n" \
        --seconds "$secs" --warmup "$warm" --server-pid "$server" --callers "$bench" --speech "$tmp/agent.wav" ;;
      *) echo "--agents: unknown agent $a (parley, sdk, pipecat)" >&2; exit 2 ;;
    esac
    add "$a" "${label[$a]}"
  done
  case ",$agents," in *,parley,*) for a in ${agents//,/ }; do [ "$a" = parley ] || ratios "$a" "${ratio_label[$a]}"; done ;; esac
done

echo "| calls | agent | failed joins | agent CPU/call (of a core) | CPU per frame moved | RSS/call | peak PSS (whole process) | threads idle → N | frames sent/s/call | frames heard/s/call | livekit-server CPU | load avg |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
