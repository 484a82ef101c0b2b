"""parley's Room against the real livekit-server, with the official Python SDK (lk_peer.py) as
the other participant. Needs the local stack (ctest fixture livekit_stack) and the parley
binary (PARLEY_BIN).

Audio is compared by normalised cross-correlation after alignment: of the waveforms at 16 kHz
and of their 10 ms energy envelopes (Opus keeps the envelope almost exactly; the waveform
less so). Both the original and the recording are also recognised with pocketsphinx (parley
stt), and the two transcripts must share most of their words: the audio is not just loud in
the right places, it still says the same thing.
"""
import os
import subprocess
import tempfile

import pytest

from room_support import (ENV, PARLEY, assert_windows_match, best_correlation, compare, describe, envelope_16k,
                          room_name, start_peer, transcribe, tts, windowed_match, word_similarity)

# Said by flite (parley tts), which pocketsphinx recognises almost word for word.
SENTENCE = "please call me back tomorrow morning at nine o'clock about the meeting"


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
    return tts(SENTENCE, os.path.join(tempfile.mkdtemp(prefix="parley-room-"), "speech.wav"))


def assert_envelope_follows(original, recorded, label):
    """The recording's energy envelope follows the original's in 1.5 s windows (0.5 s apart), each at its own lag
    near the global one: jitter buffers shift the timeline piecewise (more so on a loaded
    machine), which a single global lag cannot follow."""
    ref, got = envelope_16k(original), envelope_16k(recorded)
    _, lag = best_correlation(ref, got)
    windows = windowed_match(ref, got, lag, max(lag, 0), min(len(got), len(ref) + lag), width=150, step=50)
    print(f"{label}: 1.5 s envelope windows: {describe(windows)}")
    assert_windows_match(windows, label)


def parley(*args, timeout=90):
    return subprocess.run([PARLEY, *args], capture_output=True, text=True, env=ENV, timeout=timeout)


def test_python_hears_what_parley_says(speech_wav, tmp_path):
    room = room_name("say")
    rec = str(tmp_path / "heard.wav")
    seconds = 7.0
    peer = start_peer("record", "--room", room, "--identity", "py-ear", "--from", "parley-say",
                      "--seconds", str(seconds), "--out", rec)
    peer.wait("ready")
    out = parley("say", "--room", room, "--wav", speech_wav, "--identity", "parley-say")
    assert out.returncode == 0, out.stderr
    assert peer.finish(60) == 0, peer.stderr_lines
    wave_corr, env_corr, lag = compare(speech_wav, rec)
    print(f"parley -> python: waveform correlation {wave_corr:.3f}, envelope {env_corr:.3f}, lag {lag:.2f} s")
    assert_envelope_follows(speech_wav, rec, "parley -> python")
    assert wave_corr > 0.5
    assert_same_words(speech_wav, rec, "parley -> python")


def test_parley_listen_records_what_python_says(speech_wav, tmp_path):
    room = room_name("listen")
    out_wav = str(tmp_path / "recorded.wav")
    listen = subprocess.Popen([PARLEY, "listen", "--room", room, "--identity", "py-mouth", "--seconds", "6",
                               "--out", out_wav], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    peer = start_peer("publish", "--room", room, "--identity", "py-mouth", "--wav", speech_wav,
                      "--wait-for", "parley-listen", "--lead", "1.5")
    assert peer.finish(60) == 0, peer.stderr_lines
    _, err = listen.communicate(timeout=60)
    assert listen.returncode == 0, err
    wave_corr, env_corr, lag = compare(speech_wav, out_wav)
    print(f"python -> parley: waveform correlation {wave_corr:.3f}, envelope {env_corr:.3f}, lag {lag:.2f} s")
    # The receive path plays out through an adaptive jitter buffer that conceals and skips
    # frames, which shifts the waveform piecewise: one global lag cannot align it, the energy
    # envelope (window by window) still does.
    assert_envelope_follows(speech_wav, out_wav, "python -> parley")
    assert_same_words(speech_wav, out_wav, "python -> parley")


def test_listen_fails_clearly_with_a_bad_secret(tmp_path):
    out = subprocess.run([PARLEY, "listen", "--room", "x", "--seconds", "1", "--out", str(tmp_path / "x.wav")],
                         capture_output=True, text=True, timeout=30,
                         env=dict(ENV, LIVEKIT_API_SECRET="wrong-secret-value-long-enough-to-be-accepted"))
    assert out.returncode == 1
    assert "401" in out.stderr and "wrong-secret-value-long-enough-to-be-accepted" not in out.stderr
