"""Mono 16-bit WAV files as int16 numpy arrays, for the test callers, phones and benchmarks."""
import wave

import numpy as np


def write_wav(path, pcm, rate):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(pcm, dtype=np.int16).tobytes())


def read_wav(path):
    """(int16 samples, sample rate) of a mono 16-bit WAV."""
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, f"{path}: not mono 16-bit"
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16), w.getframerate()
