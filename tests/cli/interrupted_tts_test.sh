#!/usr/bin/env bash
# `parley tts` on SIGINT/SIGTERM leaves its --out file whole or absent, never cut: the signal
# waits for the synthesis and the write (StopSignals), and the command says it was interrupted.
# (`parley listen`, which records for long, is tested against a live room in
# tests/livekit/room/room_e2e_test.py.)
#   interrupted_tts_test.sh PARLEY [REPO]
set -uo pipefail
parley=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
text=$(for _ in $(seq 40); do printf 'please call me back tomorrow morning at nine about the meeting. '; done)
fails=0
for sig in INT TERM; do
  out="$work/long-$sig.wav"
  "$parley" tts --text "$text" --out "$out" >"$work/log" 2>&1 &
  pid=$!
  # Wait (with a deadline) until the command has taken over SIGINT and SIGTERM: its main thread
  # blocks them (SigBlk bits 2 and 15). Only once the child is parley itself: bash's forked child
  # blocks signals too for a moment before it execs, and a signal then kills it outright.
  deadline=$((SECONDS + 20))
  until [ "$(readlink /proc/$pid/exe 2>/dev/null)" = "$parley" ] &&
        (( (0x$(awk '/^SigBlk/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0) & 0x4002) == 0x4002 )); do
    if ! kill -0 $pid 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      echo "FAIL: SIG$sig: tts never took over SIGINT/SIGTERM"; fails=$((fails + 1)); continue 2
    fi
    sleep 0.01
  done
  kill -$sig $pid
  wait $pid; rc=$?
  if [ $rc = 1 ] && grep -q "interrupted by SIG$sig" "$work/log" && [ ! -e "$out" ]; then
    echo "ok: SIG$sig during synthesis: exit 1, nothing written"
  elif [ $rc = 0 ] && python3 -c "import wave,os,sys; w=wave.open(sys.argv[1]); assert 44+w.getnframes()*2==os.path.getsize(sys.argv[1])" "$out"; then
    echo "ok: SIG$sig after the synthesis: exit 0, the file whole"
  else
    echo "FAIL: SIG$sig: exit $rc, file $(ls -l "$out" 2>&1): $(cat "$work/log")"; fails=$((fails + 1))
  fi
done
[ $fails = 0 ] || exit 1
echo PASS
