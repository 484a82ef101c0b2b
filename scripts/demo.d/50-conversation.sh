# Stage: a whole phone-style conversation, offline. A caller (the official Python SDK) joins a
# "demo-*" room; livekit-server's webhook makes parley serve (started by 20-serve) send its
# voice agent in. The caller asks questions synthesised with flite at 16 kHz; the agent hears
# them (WebRTC VAD, pocketsphinx), answers from the embedded script and speaks (flite). Both
# sides are printed from the lk.transcription text streams the caller received, then the
# latencies parley measured for each turn and its call record (never audio or words).
echo "== a conversation with the voice agent (offline: pocketsphinx, scripted dialogue, flite)"
conversation_room=demo-conversation-$$
"$HOME/.cache/parley/venv/bin/python" -W ignore scripts/lk_caller.py "$conversation_room" --parley "$parley" \
  --ask "what are your opening hours" --ask "how much does it cost"
for _ in $(seq 50); do grep -q "call ended.*room=$conversation_room.*call=" "$serve_log" && break; sleep 0.1; done
echo "-- what parley measured (its log: per turn, then the call record):"
"$HOME/.cache/parley/venv/bin/python" - "$serve_log" "$conversation_room" <<'PY'
import json, re, sys
log, room = sys.argv[1], sys.argv[2]
for line in open(log, encoding="utf-8"):
    if f"room={room}" not in line:
        continue
    m = re.search(r"turn finished .*metrics=(\{[^}]*\})", line)
    if m:
        t = json.loads(m.group(1))
        names = ["end_to_end", "end_of_utterance_delay", "stt_latency", "llm_ttft", "tts_ttfb"]
        print(f"   turn {t['turn']}: " + ", ".join(f"{k} {t[k]:.3f}s" for k in names if k in t))
    m = re.search(r"call ended .*call=(\{[^}]*\})", line)
    if m:
        c = json.loads(m.group(1))
        print(f"   call record: {c['turns']} turns in {c['duration_seconds']:.1f}s, ended by {c['reason']}, "
              f"median end-to-end {c.get('median_end_to_end_seconds', 'n/a')}s")
PY
echo "   (end_to_end: from the caller's last speech to the agent's first audio frame; it includes"
echo "    the end-of-utterance wait, at least 0.5 s, that tells a pause from the end of a question)"
echo "-- /metrics (excerpt):"
curl -s http://127.0.0.1:8080/metrics |
  grep -E '^parley_(calls_active|agent_active_sessions|agent_calls_ended_total|voice_end_to_end_latency_seconds_(sum|count))' |
  sed 's/^/   /'
