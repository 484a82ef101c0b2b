"""parley's Room against the real livekit-server, with the official Python SDK (lk_peer.py) as
the other participant. Needs the local stack (ctest fixture livekit_stack) and the parley
binary (PARLEY_BIN).

Audio is compared by normalised cross-correlation after alignment: of the waveforms at 16 kHz
and of their 10 ms energy envelopes (Opus keeps the envelope almost exactly; the waveform
less so). Both the original and the recording are also recognised with pocketsphinx (parley
stt), and the two transcripts must share most of their words: the audio is not just loud in
the right places, it still says the same thing.
"""
import difflib
import json
import os
import random
import subprocess
import sys
import tempfile
import wave

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PARLEY = os.environ.get("PARLEY_BIN", "parley")
PY = sys.executable
ENV = dict(os.environ, LIVEKIT_URL="ws://127.0.0.1:7880", LIVEKIT_API_KEY="devkey", LIVEKIT_API_SECRET="secret")
# Said by flite (parley tts), which pocketsphinx recognises almost word for word.
SENTENCE = "please call me back tomorrow morning at nine o'clock about the meeting"


def room_name(base):
    return f"{base}-{random.randrange(10**9)}"


def read_wav(path):
    with wave.open(path, "rb") as w:
        rate, ch = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
    if ch > 1:
        pcm = pcm.reshape(-1, ch).mean(axis=1)
    return rate, pcm


def resample(pcm, rate, to):
    if rate == to:
        return pcm
    n = int(len(pcm) * to / rate)
    return np.interp(np.linspace(0, len(pcm) - 1, n), np.arange(len(pcm)), pcm)


def best_correlation(ref, rec):
    """Max normalised cross-correlation of rec against ref over all lags (FFT)."""
    ref = ref - ref.mean()
    rec = rec - rec.mean()
    n = 1 << int(np.ceil(np.log2(len(ref) + len(rec))))
    corr = np.fft.irfft(np.fft.rfft(rec, n) * np.conj(np.fft.rfft(ref, n)), n)
    lag = int(np.argmax(corr))
    if lag > n // 2:
        lag -= n
    # Normalise over the overlapping part at that lag.
    if lag >= 0:
        a, b = ref[: max(0, len(rec) - lag)], rec[lag: lag + len(ref)]
    else:
        a, b = ref[-lag: -lag + len(rec)], rec[: len(ref) + lag]
    m = min(len(a), len(b))
    a, b = a[:m], b[:m]
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return (float((a * b).sum() / denom) if denom > 0 else 0.0), lag


def envelope(pcm, rate):
    hop = rate // 100
    frames = len(pcm) // hop
    return np.sqrt((pcm[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1))


def compare(original, recorded):
    r0, a = read_wav(original)
    r1, b = read_wav(recorded)
    a16, b16 = resample(a, r0, 16000), resample(b, r1, 16000)
    wave_corr, lag = best_correlation(a16, b16)
    env_corr, _ = best_correlation(envelope(a16, 16000), envelope(b16, 16000))
    return wave_corr, env_corr, lag / 16000.0


def transcribe(path):
    out = subprocess.run([PARLEY, "stt", "--wav", path], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def word_similarity(a, b):
    """difflib's ratio over words: 1.0 for the same words in the same order."""
    return difflib.SequenceMatcher(None, a.split(), b.split()).ratio()


def assert_same_words(original, recorded, label):
    said, heard = transcribe(original), transcribe(recorded)
    sim = word_similarity(said, heard)
    print(f"{label}: original recognised as '{said}'")
    print(f"{label}: recording recognised as '{heard}' (word similarity {sim:.2f})")
    # The original itself must be recognised, or the comparison proves nothing.
    assert word_similarity(said, SENTENCE) >= 0.6, said
    assert sim >= 0.8


@pytest.fixture(scope="module")
def speech_wav():
    d = tempfile.mkdtemp(prefix="parley-room-")
    path = os.path.join(d, "speech.wav")
    out = subprocess.run([PARLEY, "tts", "--text", SENTENCE, "--out", path], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return path


def start_peer(*args):
    return subprocess.Popen([PY, os.path.join(HERE, "lk_peer.py"), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)


def wait_event(proc, name, timeout=30):
    import select
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.time()))
        if not r:
            break
        line = proc.stdout.readline()
        if not line:
            break
        ev = json.loads(line)
        if ev["event"] == name:
            return ev
    raise AssertionError(f"peer never said {name}: {proc.stderr.read() if proc.poll() is not None else ''}")


def parley(*args, timeout=90):
    return subprocess.run([PARLEY, *args], capture_output=True, text=True, env=ENV, timeout=timeout)


def test_python_hears_what_parley_says(speech_wav, tmp_path):
    room = room_name("say")
    rec = str(tmp_path / "heard.wav")
    seconds = 7.0
    peer = start_peer("record", "--room", room, "--identity", "py-ear", "--from", "parley-say",
                      "--seconds", str(seconds), "--out", rec)
    wait_event(peer, "ready")
    out = parley("say", "--room", room, "--wav", speech_wav, "--identity", "parley-say")
    assert out.returncode == 0, out.stderr
    peer.wait(timeout=60)
    assert peer.returncode == 0, peer.stderr.read()
    wave_corr, env_corr, lag = compare(speech_wav, rec)
    print(f"parley -> python: waveform correlation {wave_corr:.3f}, envelope {env_corr:.3f}, lag {lag:.2f} s")
    assert env_corr > 0.9
    assert wave_corr > 0.5
    assert_same_words(speech_wav, rec, "parley -> python")


def test_parley_listen_records_what_python_says(speech_wav, tmp_path):
    room = room_name("listen")
    out_wav = str(tmp_path / "recorded.wav")
    listen = subprocess.Popen([PARLEY, "listen", "--room", room, "--identity", "py-mouth", "--seconds", "6",
                               "--out", out_wav], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    peer = start_peer("publish", "--room", room, "--identity", "py-mouth", "--wav", speech_wav,
                      "--wait-for", "parley-listen", "--lead", "1.5")
    peer.wait(timeout=60)
    assert peer.returncode == 0, peer.stderr.read()
    _, err = listen.communicate(timeout=60)
    assert listen.returncode == 0, err
    wave_corr, env_corr, lag = compare(speech_wav, out_wav)
    print(f"python -> parley: waveform correlation {wave_corr:.3f}, envelope {env_corr:.3f}, lag {lag:.2f} s")
    # The receive path plays out through an adaptive jitter buffer that conceals and skips
    # frames, which shifts the waveform piecewise: one global lag cannot align it, the energy
    # envelope still does.
    assert env_corr > 0.9
    assert_same_words(speech_wav, out_wav, "python -> parley")


def test_listen_fails_clearly_with_a_bad_secret(tmp_path):
    out = subprocess.run([PARLEY, "listen", "--room", "x", "--seconds", "1", "--out", str(tmp_path / "x.wav")],
                         capture_output=True, text=True, timeout=30,
                         env=dict(ENV, LIVEKIT_API_SECRET="wrong-secret-value"))
    assert out.returncode == 1
    assert "401" in out.stderr and "wrong-secret-value" not in out.stderr
