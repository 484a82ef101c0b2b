# Stage: parley's phone number on LiveKit's SIP bridge. `parley sip setup` reads the `sip:` section
# (here the example file with a demo number spelt as a person would write it; parley rewrites it
# to E.164) and creates or updates the inbound trunk and an individual dispatch rule, so each
# caller gets a room of its own, "demo-call_<caller>_<random>". Run again, it changes nothing.
echo "== 2. parley sip setup: the inbound trunk and dispatch rule for the demo number"
"$parley" sip setup "${demo_config[@]}" | sed 's/^/   /'
