#!/usr/bin/env bash
# parley tts and parley stt, end to end on real engines: speech made by one is recognised by the
# other; bad input of every kind is refused with a clear message and the usage exit code.
set -uo pipefail
parley=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Round trip at 48 kHz (the rate of a call), text output.
"$parley" tts --text "what are your opening hours" --out "$dir/q.wav" >"$dir/out" 2>&1 || fail "tts: $(cat "$dir/out")"
grep -q "wrote $dir/q.wav" "$dir/out" || fail "tts said: $(cat "$dir/out")"
heard=$("$parley" stt --wav "$dir/q.wav") || fail "stt failed"
for word in opening hours; do
  [[ " $heard " == *" $word "* ]] || fail "stt heard '$heard', no '$word'"
done

# JSON output and a 16 kHz file.
"$parley" tts --text "i would like to book a table" --rate 16000 --out "$dir/b.wav" --json >"$dir/tts.json" || fail "tts --json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['sample_rate']==16000 and d['engine']=='flite' and 1.0<d['seconds']<4.0, d" "$dir/tts.json" || fail "tts json: $(cat "$dir/tts.json")"
"$parley" stt --wav "$dir/b.wav" --json >"$dir/stt.json" || fail "stt --json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert 'table' in d['text'].split(), d" "$dir/stt.json" || fail "stt json: $(cat "$dir/stt.json")"

# Russian goes to espeak-ng and is non-silent speech of plausible length.
"$parley" tts --text "Здравствуйте, чем могу помочь?" --lang ru --out "$dir/ru.wav" --json >"$dir/ru.json" || fail "tts ru"
python3 - "$dir/ru.json" "$dir/ru.wav" <<'PY' || fail "russian audio: $(cat "$dir/ru.json")"
import json, sys, wave, struct, math
d = json.load(open(sys.argv[1]))
assert d['engine'] == 'espeak-ng' and 1.0 < d['seconds'] < 5.0, d
w = wave.open(sys.argv[2])
assert w.getframerate() == 48000 and w.getnchannels() == 1 and w.getsampwidth() == 2
s = struct.unpack('<%dh' % w.getnframes(), w.readframes(w.getnframes()))
assert math.sqrt(sum(x * x for x in s) / len(s)) > 300
PY

# Bad input: each refused with exit 2 and a message that names the problem.
expect_usage() {  # expect_usage "<message part>" args...
  local want=$1; shift
  "$parley" "$@" >"$dir/err" 2>&1
  local rc=$?
  [ $rc -eq 2 ] || fail "'$*' exited $rc, not 2: $(cat "$dir/err")"
  grep -qi -- "$want" "$dir/err" || fail "'$*' did not say '$want': $(cat "$dir/err")"
}
expect_usage "flite or espeak-ng" tts --text hi --voice nosuch --out "$dir/x.wav"
expect_usage "cannot speak" tts --text hi --voice flite --lang ru --out "$dir/x.wav"
expect_usage "empty text" tts --text "   " --out "$dir/x.wav"
expect_usage "rate" tts --text hi --rate 5 --out "$dir/x.wav"
expect_usage "--out" tts --text hi
expect_usage "cannot open" stt --wav "$dir/missing.wav"
printf 'RIFF\x24\x00\x00\x00WAVEfmt ' >"$dir/broken.wav"
expect_usage "truncated" stt --wav "$dir/broken.wav"
head -c 1000 /dev/urandom >"$dir/noise.bin"
expect_usage "not a RIFF file" stt --wav "$dir/noise.bin"
expect_usage "English only" stt --wav "$dir/q.wav" --lang ru
# Neither reads the configuration: --set and --config would change nothing, so they are refused.
expect_usage "reads no configuration, so --set providers.pocketsphinx.second_pass=false" \
  stt --wav "$dir/q.wav" --set providers.pocketsphinx.second_pass=false
expect_usage "no-second-pass" stt --wav "$dir/q.wav" --set providers.pocketsphinx.second_pass=maybe
expect_usage "reads no configuration, so --config $dir/parley.yaml" tts --text hi --out "$dir/x.wav" --config "$dir/parley.yaml"
echo "PASS: tts → stt round trips (en 48k, en 16k), Russian via espeak-ng, 12 bad inputs refused"
