# Stage: parley serve on the embedded defaults (pocketsphinx, the scripted dialogue, flite). The
# local livekit-server sends it webhooks; a SIP caller joining a room gets the voice agent. It runs
# until the demo ends (the EXIT trap stops it).
echo "== 3. parley serve: webhooks in, a voice agent for every call (embedded engines, offline)"
serve_log=$PARLEY_RUN_DIR/parley-serve.log
"$parley" serve "${demo_config[@]}" >"$serve_log" 2>&1 &
PARLEY_SERVE_PID=$!
trap 'kill -TERM $PARLEY_SERVE_PID 2>/dev/null; wait $PARLEY_SERVE_PID 2>/dev/null; cleanup' EXIT
readyz() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:8080/readyz; }
deadline=$((SECONDS + 30))
until [ "$(readyz)" = 200 ]; do
  kill -0 $PARLEY_SERVE_PID 2>/dev/null || demo_fail "parley serve exited at start" "read its log: $serve_log"
  [ $SECONDS -lt $deadline ] || demo_fail "parley serve was not ready in 30 s (/readyz $(readyz))" \
    "read its log ($serve_log); \`$parley diagnose\` checks the LiveKit side"
  sleep 0.1
done
echo "   ready (/readyz 200 on 127.0.0.1:8080); its log: $serve_log"
