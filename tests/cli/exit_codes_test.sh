#!/usr/bin/env bash
# The documented exit codes (README, `parley --help`), command by command: 2 for bad usage or
# configuration, 1 for an operation that failed (a server is 127.0.0.1:1, where nothing listens),
# 0 for a run that worked where that needs no server. No packet leaves the machine.
#   exit_codes_test.sh PARLEY REPO
set -uo pipefail
parley=$(realpath "$1") repo=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1  # no ./parley.yaml here
unset PARLEY_CONFIG
export LIVEKIT_URL=ws://127.0.0.1:1 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=exit-codes-test-secret-of-32-bytes-at-least
bad_cfg="--set livekit.url=not-a-url"
# expected code | command (word-split; no quoting inside)
table=$(cat <<TABLE
0|--version
0|--help
2|--no-such-option
2|no-such-command
0|config check --config $repo/parley.example.yaml
2|config check $bad_cfg
0|token --identity alice --room r1
2|token --identity alice --ttl bad
0|tts --text hello --out $work/hello.wav
1|tts --text hello --out $work/no/such/dir/x.wav
2|tts --text hello
0|stt --wav $work/hello.wav
1|stt --wav $work/hello.wav --model-dir $work/no-model
2|stt --wav $work/not-there.wav
0|completion bash
0|completion zsh
2|completion fish
1|room create --room r1
2|room create
1|room list
2|room list $bad_cfg
1|room delete --room r1
2|room delete r1
1|participant list --room r1
2|participant list
1|participant remove --room r1 --identity bob
2|participant remove --room r1
1|sip trunk create --name t --number +15550100
2|sip trunk create --transport pigeon --outbound
1|sip trunk list
2|sip trunk list $bad_cfg
1|sip trunk delete ST_x
2|sip trunk delete
1|sip dispatch create --name d --room call-
2|sip dispatch create --kind nosuch
1|sip dispatch list
2|sip dispatch list $bad_cfg
1|sip dispatch delete SDR_x
2|sip dispatch delete
1|sip setup --set sip.inbound_trunk.numbers=[+15550100]
2|sip setup
1|sip status
2|sip status $bad_cfg
1|call +15550100 --trunk ST_x --room r1
2|call +1555 --trunk ST_x --room r1
1|diagnose
2|diagnose --rounds many
1|serve --set webhook.listen=192.0.2.1:8080
2|serve --set webhook.path=no-leading-slash
1|listen --room r1 --seconds 1 --out $work/l.wav
2|listen --room r1 --seconds 0 --out $work/l.wav
1|say --room r1 --text hello
2|say --room r1
TABLE
)
fails=0 ran=0
while IFS='|' read -r want cmd; do
  [ -n "$want" ] || continue
  # shellcheck disable=SC2086
  timeout 60 "$parley" $cmd >"$work/out" 2>&1
  got=$?
  ran=$((ran + 1))
  if [ "$got" != "$want" ]; then
    echo "FAIL: parley $cmd exited $got, want $want:"; sed 's/^/    /' "$work/out" | tail -5
    fails=$((fails + 1))
  fi
done <<<"$table"
# Every registered command has a row: a new command must say how it exits.
for c in $("$parley" --help | awk '/^Subcommands:/ {on = 1; next} on && !NF {exit} on {print $1}'); do
  grep -q "^[0-9]|$c\b" <<<"$table" || { echo "FAIL: no row for the command $c"; fails=$((fails + 1)); }
done
help=$("$parley" --help)
grep -q "^  0  ok$" <<<"$help" && grep -q "^  1  failed" <<<"$help" && grep -q "^  2  bad usage or configuration$" <<<"$help" || { echo "FAIL: --help does not document the exit codes"; fails=$((fails + 1)); }
grep -q "Exit codes" "$repo/README.md" || { echo "FAIL: README.md does not document the exit codes"; fails=$((fails + 1)); }
[ "$fails" = 0 ] || { echo "FAIL: $fails of $ran"; exit 1; }
echo "PASS: $ran commands exited as documented"
