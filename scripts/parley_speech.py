"""Speech through parley's own CLI: questions synthesised with flite (`parley tts`) and audio
recognised with pocketsphinx (`parley stt`). Used by the demo's phone call and the tests.
PARLEY_BIN names the binary (default: `parley` on PATH)."""
import os
import subprocess

from wav_file import read_wav, write_wav

PARLEY = os.environ.get("PARLEY_BIN", "parley")


def synthesise(text, path, rate=16000):
    """`text` spoken by flite at `rate`, as int16 samples (also left in the WAV at `path`)."""
    subprocess.run([PARLEY, "tts", "--voice", "flite", "--rate", str(rate), "--text", text, "--out", path],
                   check=True, capture_output=True)
    return read_wav(path)[0]


def recognise(pcm, rate, path):
    """What pocketsphinx (`parley stt`) hears in int16 `pcm` at `rate`, lower-cased (the audio is
    left in the WAV at `path`)."""
    write_wav(path, pcm, rate)
    r = subprocess.run([PARLEY, "stt", "--wav", path], check=True, capture_output=True, text=True)
    return r.stdout.strip().lower()
