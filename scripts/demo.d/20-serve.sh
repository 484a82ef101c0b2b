# Stage: parley serve receives the local LiveKit server's webhooks (verified), admits a call for
# a caller joining a "demo-*" room (the official Python SDK publishing audio), and serves
# /readyz and /metrics. It keeps running for the later stages; the demo's exit stops it.
echo "== parley serve: verified webhooks and call admission"
serve_log=$PARLEY_RUN_DIR/parley-serve.log
"$parley" serve --config parley.example.yaml --set 'calls.room_patterns=["demo-*"]' >"$serve_log" 2>&1 &
PARLEY_SERVE_PID=$!
trap 'kill -TERM $PARLEY_SERVE_PID 2>/dev/null; wait $PARLEY_SERVE_PID 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:8080/readyz >/dev/null && break; sleep 0.1; done
echo "-- /readyz: $(curl -s http://127.0.0.1:8080/readyz)"
"$HOME/.cache/parley/venv/bin/python" scripts/lk_join.py demo-serve --identity demo-caller --seconds 2 --delete-room
for _ in $(seq 100); do grep -q "room_finished" "$serve_log" && break; sleep 0.1; done
echo "-- parley serve's log:"
grep -E "webhook verified|call admitted|call session|call ended" "$serve_log" | sed 's/^/   /'
echo "-- /metrics (excerpt):"
curl -s http://127.0.0.1:8080/metrics | grep -E '^parley_(webhooks_total|call_sessions|calls_active|livekit_up)' | sed 's/^/   /'
