"""Shared by the room tests: the Python peer (lk_peer.py), parley's room_probe, and audio
comparison (envelope cross-correlation, pocketsphinx transcripts through `parley stt`)."""
import difflib
import json
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PARLEY = os.environ.get("PARLEY_BIN", "parley")
PROBE = os.environ.get("PARLEY_PROBE", "room_probe")
PY = sys.executable
ENV = dict(os.environ, LIVEKIT_URL="ws://127.0.0.1:7880", LIVEKIT_API_KEY="devkey", LIVEKIT_API_SECRET="secret")
# The loop watchdog (core/loop_watchdog.h): a blocked loop thread aborts the probe and fails the test.
ENV.setdefault("PARLEY_LOOP_WATCHDOG", "1000")


def room_name(base):
    return f"{base}-{random.randrange(10**9)}"


# ---- audio ----

def read_wav(path):
    with wave.open(path, "rb") as w:
        rate, ch = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
    if ch > 1:
        pcm = pcm.reshape(-1, ch).mean(axis=1)
    return rate, pcm


def write_wav(path, rate, pcm):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(pcm, -32768, 32767).astype(np.int16).tobytes())


def resample(pcm, rate, to):
    if rate == to:
        return pcm
    n = int(len(pcm) * to / rate)
    return np.interp(np.linspace(0, len(pcm) - 1, n), np.arange(len(pcm)), pcm)


def best_correlation(ref, rec):
    """Max normalised cross-correlation of rec against ref over all lags (FFT); lag in samples
    (rec[i + lag] lines up with ref[i])."""
    ref = ref - ref.mean()
    rec = rec - rec.mean()
    n = 1 << int(np.ceil(np.log2(len(ref) + len(rec))))
    corr = np.fft.irfft(np.fft.rfft(rec, n) * np.conj(np.fft.rfft(ref, n)), n)
    lag = int(np.argmax(corr))
    if lag > n // 2:
        lag -= n
    return correlation_at(ref, rec, lag), lag


def correlation_at(ref, rec, lag):
    """Normalised correlation of rec against ref at one lag, over the overlapping part (means are
    the caller's business)."""
    if lag >= 0:
        a, b = ref[: max(0, len(rec) - lag)], rec[lag: lag + len(ref)]
    else:
        a, b = ref[-lag: -lag + len(rec)], rec[: len(ref) + lag]
    m = min(len(a), len(b))
    a, b = a[:m], b[:m]
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def envelope(pcm, rate):
    """RMS per 10 ms."""
    hop = rate // 100
    frames = len(pcm) // hop
    return np.sqrt((pcm[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1))


def compare(original, recorded):
    """(waveform correlation, envelope correlation, lag in seconds) of two WAV files."""
    r0, a = read_wav(original)
    r1, b = read_wav(recorded)
    a16, b16 = resample(a, r0, 16000), resample(b, r1, 16000)
    wave_corr, lag = best_correlation(a16, b16)
    env_corr, _ = best_correlation(envelope(a16, 16000), envelope(b16, 16000))
    return wave_corr, env_corr, lag / 16000.0


def windowed_match(ref, rec, lag, start, end, width=200, search=150, step=100):
    """Envelope correlation of rec in windows of `width` (every `step`; 10 ms units) from start to end,
    each at its best lag within `search` steps of `lag`: receivers' jitter buffers stretch and
    squeeze the timeline by tens of milliseconds, which a single global lag cannot follow, and on
    a starved machine (load 15 on 2 cores) a sender's stalls delay the rest by a second or more.
    Returns [(second, correlation, lag in s)]."""
    out = []
    for s in range(max(0, start), min(end, len(rec)) - width + 1, step):
        seg = rec[s:s + width] - rec[s:s + width].mean()
        best = (0.0, lag)
        for cand in range(lag - search, lag + search + 1):
            if s - cand < 0 or s - cand + width > len(ref):
                continue
            r = ref[s - cand: s - cand + width]
            r = r - r.mean()
            d = np.sqrt((r * r).sum() * (seg * seg).sum())
            c = float((r * seg).sum() / d) if d > 0 else 0.0
            best = max(best, (c, cand))
        out.append((s / 100, best[0], best[1] / 100))
    return out


def assert_windows_match(windows, label):
    """Most windows must match well; a window straddling a jitter-buffer shift may not."""
    corrs = np.array([c for _, c, _ in windows])
    assert len(corrs) >= 3, f"{label}: too little audio"
    assert np.median(corrs) > 0.85 and (corrs > 0.8).mean() >= 0.6, f"{label}: {describe(windows)}"


def describe(windows):
    return ", ".join(f"{t:.1f}s:{c:.2f}@{lag:+.2f}" for t, c, lag in windows)


def envelope_16k(path):
    rate, pcm = read_wav(path)
    return envelope(resample(pcm, rate, 16000), 16000)


def transcribe(path):
    out = subprocess.run([PARLEY, "stt", "--wav", path], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def word_similarity(a, b):
    """difflib's ratio over words: 1.0 for the same words in the same order."""
    return difflib.SequenceMatcher(None, a.split(), b.split()).ratio()


def tts(text, path):
    out = subprocess.run([PARLEY, "tts", "--text", text, "--out", path], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return path


# ---- processes that print JSON lines ----

_children = []


def track_child(proc):
    """A child for kill_children() to end if the test fails half-way."""
    _children.append(proc)
    return proc


def kill_children():
    """Kills every child still running (a failed assertion leaves its peers behind)."""
    while _children:
        p = _children.pop()
        if p.poll() is None:
            p.kill()
            p.wait()


class JsonProcess:
    """A child that prints one JSON object per line on stdout; a thread queues them."""

    def __init__(self, argv, stdin=False):
        self.argv = argv
        self.started = time.monotonic()
        # stderr goes to a file, not a pipe: a child that logs a lot must never block on a pipe
        # the test is too busy to drain (that would stall its media loop and fake a failure).
        self._err = tempfile.TemporaryFile(mode="w+", prefix="parley-child-")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._err,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, text=True, env=ENV)
        _children.append(self.proc)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def stderr_lines(self):
        self._err.seek(0)
        return self._err.readlines()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            ev["t"] = time.monotonic()
            self.events.put(ev)
        self.events.put(None)

    def wait(self, name, timeout=30, where=lambda ev: True):
        """The first event called name (that where() accepts) not yet taken by an earlier wait(),
        in arrival order; events arrive in any order relative to the ones waited for."""
        for ev in self.seen:
            if not ev.get("_taken") and ev["event"] == name and where(ev):
                ev["_taken"] = True
                return ev
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                break
            if ev is None:
                self.events.put(None)  # later waits see the end too
                raise AssertionError(f"{os.path.basename(self.argv[0])} exited ({self.proc.wait()}) before {name}; "
                                     f"events: {self.summary()}; stderr tail: {''.join(self.stderr_lines[-20:])}")
            self.seen.append(ev)
            if ev["event"] == name and where(ev):
                ev["_taken"] = True
                return ev
        raise AssertionError(f"no {name} event within {timeout} s from {os.path.basename(self.argv[0])} "
                             f"{self.argv[1:3]}; events: {self.summary()}; stderr tail: {''.join(self.stderr_lines[-20:])}")

    def summary(self):
        return [{k: (v[:80] + "…" if isinstance(v, str) and len(v) > 80 else v) for k, v in ev.items()}
                for ev in self.seen[-30:]]

    def drain(self):
        """Every event queued so far (they are also appended to seen)."""
        out = []
        while True:
            try:
                ev = self.events.get_nowait()
            except queue.Empty:
                return out
            if ev is None:
                self.events.put(None)
                return out
            self.seen.append(ev)
            out.append(ev)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout=30):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def start_peer(*args):
    return JsonProcess([PY, os.path.join(HERE, "lk_peer.py"), *args])


def start_probe(room, identity, *extra):
    return JsonProcess([PROBE, "--room", room, "--identity", identity, *extra], stdin=True)


def leave(probe, timeout=30):
    """Asks the probe to leave; returns its exit code."""
    probe.send("leave")
    probe.wait("left", timeout=timeout)
    return probe.finish(timeout)
