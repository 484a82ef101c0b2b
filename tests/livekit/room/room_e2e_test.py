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
import signal
import subprocess
import tempfile
import time
import wave

import pytest

from room_support import (ENV, PARLEY, assert_windows_match, best_correlation, compare, describe, envelope_16k,
                          room_name, start_peer, track_child, transcribe, tts, windowed_match, word_similarity)

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
    out = parley("say", "--room", room, "--wav", speech_wav, "--as", "parley-say")
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


# ---- how a listen ends (issue 16): wall time after the first audio, the speaker leaving, a signal ----

class Listen:
    """parley listen as a child whose stderr goes to a file (never a pipe the test might not drain)."""

    def __init__(self, room, out_wav, *extra):
        self.err = tempfile.TemporaryFile(mode="w+", prefix="parley-listen-")
        self.proc = subprocess.Popen([PARLEY, "listen", "--room", room, "--identity", "py-mouth", "--out", out_wav, *extra],
                                     stdout=subprocess.DEVNULL, stderr=self.err, text=True, env=ENV)
        track_child(self.proc)

    @property
    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def wait_until(self, cond, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not cond():
            assert self.proc.poll() is None, f"listen exited ({self.proc.returncode}) before {what}: {self.stderr}"
            assert time.monotonic() < deadline, f"no {what} within {timeout} s: {self.stderr}"
            time.sleep(0.05)

    def finish(self, timeout):
        """The exit code and the monotonic time it was seen; the listen is killed after timeout."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"listen still running after {timeout} s: {self.stderr}")
        return rc, time.monotonic()


def wav_frames(path):
    """Frames in a WAV file whose header must describe exactly the data the file holds."""
    size = os.path.getsize(path)
    with wave.open(path, "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        frames = w.getnframes()
    assert 44 + frames * 2 == size, f"the header says {frames} frames, the file has {size} bytes"
    return frames


def test_listen_ends_seconds_after_the_first_audio_when_the_speaker_falls_silent(speech_wav, tmp_path):
    # The speaker says ~4.5 s, then stops sending (unpublishes) and stays in the room: no more
    # audio arrives. Counting audio alone, `listen --seconds 8` waited on (until --wait ran out,
    # 38 s after joining).
    room, out_wav, seconds, lead = room_name("listen-silent"), str(tmp_path / "silent.wav"), 8, 1.5
    listen = Listen(room, out_wav, "--seconds", str(seconds))
    peer = start_peer("publish", "--room", room, "--identity", "py-mouth", "--wav", speech_wav,
                      "--wait-for", "parley-listen", "--lead", str(lead), "--tail", "40", "--unpublish")
    published = peer.wait("published", timeout=30)["t"]
    rc, ended = listen.finish(timeout=seconds + 20)
    print(f"listen ended {ended - published:.2f} s after the track was published; {listen.stderr}")
    assert rc == 0, listen.stderr
    assert "wall time passed since the first audio" in listen.stderr
    # The first audio comes after publishing (the SDK sends silence during the lead), and before
    # the speech.
    assert seconds - 0.5 <= ended - published <= lead + seconds + 4
    assert peer.proc.poll() is None, "the speaker left: this test is about one who stays"
    assert wav_frames(out_wav) >= 3 * 48000
    assert_same_words(speech_wav, out_wav, "silent speaker")


def test_listen_ends_when_the_speaker_leaves(speech_wav, tmp_path):
    room, out_wav = room_name("listen-leave"), str(tmp_path / "left.wav")
    listen = Listen(room, out_wav, "--seconds", "60")
    peer = start_peer("publish", "--room", room, "--identity", "py-mouth", "--wav", speech_wav,
                      "--wait-for", "parley-listen", "--lead", "1.5", "--tail", "0.5")
    done = peer.wait("done", timeout=60)["t"]
    rc, ended = listen.finish(timeout=20)
    print(f"listen ended {ended - done:.2f} s after the speaker said done; {listen.stderr}")
    assert rc == 0, listen.stderr
    assert "py-mouth left the room" in listen.stderr
    assert wav_frames(out_wav) >= 3 * 48000


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_listen_leaves_a_valid_wav(speech_wav, tmp_path, signo):
    room, out_wav = room_name("listen-int"), str(tmp_path / "interrupted.wav")
    listen = Listen(room, out_wav, "--seconds", "60")
    start_peer("publish", "--room", room, "--identity", "py-mouth", "--wav", speech_wav,
               "--wait-for", "parley-listen", "--lead", "1.5", "--tail", "40")
    # A second of audio has reached the file (48 kHz, 16-bit: 96 kB a second).
    listen.wait_until(lambda: os.path.exists(out_wav) and os.path.getsize(out_wav) > 96000, "a second of audio")
    listen.proc.send_signal(signo)
    rc, _ = listen.finish(timeout=20)
    print(listen.stderr)
    assert rc == 1, listen.stderr
    assert f"interrupted by {signo.name}" in listen.stderr
    assert wav_frames(out_wav) >= 48000


def test_a_listen_interrupted_before_any_audio_leaves_a_valid_empty_wav(tmp_path):
    room, out_wav = room_name("listen-int-empty"), str(tmp_path / "empty.wav")
    listen = Listen(room, out_wav, "--seconds", "5")
    listen.wait_until(lambda: "joined room" in listen.stderr, "the join")
    listen.proc.send_signal(signal.SIGTERM)
    rc, _ = listen.finish(timeout=20)
    assert rc == 1, listen.stderr
    assert "interrupted by SIGTERM" in listen.stderr
    assert wav_frames(out_wav) == 0
