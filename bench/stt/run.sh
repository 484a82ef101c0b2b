#!/usr/bin/env bash
# The recogniser's search limit: words right against CPU. Renders bench/stt/sentences.txt (what
# callers of a small business line say) with flite's four English voices, clean at 16 kHz, as a
# G.711 call (through 8 kHz µ-law and back: a telephone trunk's codec, no noise) and as a noisy
# narrowband call (pink noise, through 8 kHz and back), then recognises every file with
# `parley stt` at each limit (providers.pocketsphinx.max_hmms_per_frame) and prints word error
# rate, sentences right and decoding CPU per second of audio, with the ratio against the first
# limit given (the reference: pocketsphinx's own default, 30000). Each voice's questions, clean
# or noisy, are one call: what the recogniser learns of the line carries from one question to the
# next, as in parley's calls; --each-alone decodes every question from scratch instead (as parley
# did before it carried the line over); --no-second-pass runs the recogniser without its second
# pass (providers.pocketsphinx.second_pass: false). No network.
#   bench/stt/run.sh [build/src/cli/parley] [--limits 30000,3000,...] [--each-alone] [--no-second-pass]
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
parley=$repo/build/src/cli/parley
if [[ $# -gt 0 && $1 != --* ]]; then parley=$1; shift; fi
limits=30000,5000,3000,2000
same_caller=--same-caller
second_pass=
while [[ $# -gt 0 ]]; do
  case $1 in
    --limits) limits=$2; shift 2 ;;
    --each-alone) same_caller=; shift ;;
    --no-second-pass) second_pass=--no-second-pass; shift ;;
    *) echo "bench/stt: unknown option $1 (usage: run.sh [parley] [--limits 30000,3000] [--each-alone] [--no-second-pass])" >&2; exit 2 ;;
  esac
done
for tool in flite sox; do
  command -v $tool >/dev/null || { echo "bench/stt: $tool not found (fix: scripts/install.sh debs)" >&2; exit 1; }
done
[[ -x $parley ]] || { echo "bench/stt: $parley not built (fix: cmake --build build --target parley)" >&2; exit 1; }

work=$(mktemp -d /tmp/parley-bench-stt.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The same files every run: flite is deterministic, and sox's noise and its dither (when it mixes
# and resamples) are seeded by -R.
n=0
while read -r sentence; do
  n=$((n + 1))
  for voice in kal16 slt rms awb; do
    flite -voice $voice -t "$sentence" -o "$work/raw.wav"
    sox -q "$work/raw.wav" -r 16000 -c 1 -b 16 "$work/clean_${voice}_$n.wav"
    seconds=$(soxi -D "$work/clean_${voice}_$n.wav")
    sox -q -R -n -r 16000 -c 1 -b 16 "$work/noise.wav" synth "$seconds" pinknoise vol 0.02
    sox -q -R -m "$work/clean_${voice}_$n.wav" "$work/noise.wav" -r 8000 "$work/narrow.wav"
    sox -q -R "$work/narrow.wav" -r 16000 "$work/noisy_${voice}_$n.wav"
    sox -q -R "$work/clean_${voice}_$n.wav" -r 8000 -e u-law -t wav "$work/ulaw.wav"
    sox -q -R "$work/ulaw.wav" -e signed -b 16 -r 16000 "$work/g711_${voice}_$n.wav"
    printf '%s\t%s\n' "clean_${voice}_$n" "$sentence" >>"$work/reference.tsv"
    printf '%s\t%s\n' "noisy_${voice}_$n" "$sentence" >>"$work/reference.tsv"
    printf '%s\t%s\n' "g711_${voice}_$n" "$sentence" >>"$work/reference.tsv"
  done
done <"$repo/bench/stt/sentences.txt"

for limit in ${limits//,/ }; do
  calls=()
  for kind in clean g711 noisy; do
    for voice in kal16 slt rms awb; do
      files=()
      for i in $(seq 1 "$n"); do files+=(--wav "$work/${kind}_${voice}_$i.wav"); done
      "$parley" stt --json $same_caller $second_pass --max-hmms-per-frame "$limit" "${files[@]}" >"$work/call_${limit}_${kind}_$voice.json"
      calls+=("$work/call_${limit}_${kind}_$voice.json")
    done
  done
  python3 -c 'import json, sys; print(json.dumps([r for p in sys.argv[1:] for r in json.load(open(p))]))' "${calls[@]}" \
    >"$work/limit_$limit.json"
done
python3 "$repo/bench/stt/score.py" "$work/reference.tsv" $(for l in ${limits//,/ }; do echo "$work/limit_$l.json"; done)
