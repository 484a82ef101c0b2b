# Stage: the main act, a phone call. A real SIP phone (baresip, scripts/sip_phone.py) calls the
# demo number on the local SIP bridge over G.722 (wideband, which the embedded recogniser needs);
# the bridge puts the call into a room, livekit-server's webhook sends parley's agent in, and the
# agent greets and answers two questions the phone says (synthesised with flite). Both sides are
# printed from the room's lk.transcription streams (a hidden observer), the phone's ears from its
# own recording recognised by pocketsphinx; then the latencies parley measured for each turn
# (its `turn finished` lines) and its call record (`call ended`: never audio or words).
echo "== 4. a phone call: baresip -> LiveKit SIP -> LiveKit -> parley (G.722, two spoken questions)"
rm -rf "$PARLEY_RUN_DIR/call"
PYTHONPATH=$repo/scripts "$HOME/.cache/parley/venv/bin/python" -W ignore scripts/demo_call.py \
  --number "$demo_number" --prefix "$demo_prefix" --out "$PARLEY_RUN_DIR/call" \
  --ask "what are your opening hours" --ask "how much does it cost" || {
  # parley's own test call names the first step of the path that fails, and its fix.
  echo "-- $parley diagnose --call $demo_number (the stack is still up):"
  "$parley" diagnose "${demo_config[@]}" --call "$demo_number" 2>&1 | sed 's/^/   /' || true
  demo_fail "the phone call failed (see above)" \
    "the diagnosis above names it; parley's log: $serve_log; the stack's logs: $PARLEY_RUN_DIR/"
}
deadline=$((SECONDS + 10))
until grep -q "call ended.*call=" "$serve_log"; do
  [ $SECONDS -lt $deadline ] || demo_fail "parley logged no call record within 10 s of the hang-up" \
    "read its log: $serve_log"
  sleep 0.1
done
echo "-- what parley measured (its log: per turn, then the call record):"
"$HOME/.cache/parley/venv/bin/python" - "$serve_log" <<'PY'
import json, re, sys
decode = json.JSONDecoder().raw_decode   # the JSON value after `key=` (it may nest)
def value(line, key):
    i = line.find(f" {key}={{")
    return decode(line, i + len(key) + 2)[0] if i >= 0 else None
for line in open(sys.argv[1], encoding="utf-8"):
    if " turn finished " in line and (t := value(line, "metrics")):
        names = ["end_to_end", "end_of_utterance_delay", "stt_latency", "llm_ttft", "tts_ttfb"]
        print(f"   turn {t['turn']}: " + ", ".join(f"{k} {t[k]:.3f}s" for k in names if k in t))
    if " call ended " in line and (c := value(line, "call")):
        numbers = dict(re.findall(r"\b(caller_number|called_number|call_id)=(\S+)", line))
        print(f"   call record: caller {c.get('caller')}, {c['turns']} turns in {c['duration_seconds']:.1f}s, "
              f"ended by {c['reason']}, end-to-end median {c.get('median_end_to_end_seconds', 'n/a')}s "
              f"max {c.get('max_end_to_end_seconds', 'n/a')}s")
        if numbers:
            print("     " + ", ".join(f"{k} {v}" for k, v in numbers.items()))
        for leg, q in (c.get("quality") or {}).items():
            if q.get("measured"):
                extra = f", concealed {q['concealed_share']:.1%}" if "concealed_share" in q else ""
                print(f"     {leg.replace('_', ' ')}: {q.get('packets_expected')} packets, loss {q.get('loss_ratio', 0):.1%}, "
                      f"jitter {q.get('jitter_ms')} ms{extra}")
PY
echo "   (end_to_end: from the caller's last speech to the agent's first audio frame, as parley sees"
echo "    it; it includes the end-of-utterance wait, at least 0.5 s, that tells a pause from the end of a"
echo "    question. The phone's figure adds the bridge, the network and the phone's jitter buffer.)"
