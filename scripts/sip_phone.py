"""A real SIP phone for parley's tests, benchmarks and demo: Debian's baresip (1.0.0), one process
per phone, driven through its ctrl_tcp module.

Each Phone has its own temporary folder (config, accounts, recordings), its own SIP port on
127.0.0.1 (UDP and TCP) and its own control port, and offers only the codecs it is given (G.722 by
default; ["PCMU"] for a narrowband call). Everything stays on loopback; run it inside
scripts/netns.sh like the rest of the stack.

  - Microphone: baresip's aufile source. The phone starts on a long silence; say() switches the
    live call's source (the `ausrc` command) to a WAV of the given speech followed by silence, so
    the microphone never runs dry (aufile ends the call at the end of its file). say() takes
    16 kHz speech; the microphone runs at the codec's own rate (`ausrc_srate`: 8 kHz for G.711),
    resampled here by sox with a proper anti-alias filter, as a real narrowband phone samples.
    baresip must not resample it: its resampler (librem's auresamp) low-passes every conversion
    to or from 8 kHz with a filter made for 48 kHz, so 16 -> 8 kHz cuts the speech at ~1.3 kHz and
    a G.711 call's caller sounds muffled beyond recognition.
  - Ears: the sndfile filter's dump of the decoded audio (dump-*-dec.wav, at the codec's rate:
    16 kHz for G.722, 8 kHz for G.711). A reader thread notes when each byte of it arrived, so a
    test can ask when a sound became audible at the phone (heard_at()).
  - Control: netstring JSON over TCP (dial, hangup, accept, sndcode = RFC 4733 DTMF, ausrc);
    every event (CALL_RINGING, CALL_PROGRESS, CALL_ESTABLISHED, CALL_CLOSED, CALL_INCOMING,
    CALL_DTMF_START, ...) is kept with the monotonic time it arrived (wait_event()).
  - A callee: Phone(auto_answer=True) answers incoming calls by itself (answermode=auto); or
    wait_event("CALL_INCOMING") and accept().

No audio device is opened: baresip gets no player module, so it decodes (and the dump records)
without playing anything.

  with Phone("alice") as p:
      p.dial("sip:+15550100@127.0.0.1:5060")
      p.wait_event("CALL_ESTABLISHED", 30)
      p.say(pcm16k)                       # int16 numpy array at 16 kHz
      ...
      p.hangup()
      pcm, rate = p.recording()

Command line (a quick manual call): sip_phone.py sip:+15550100@127.0.0.1:5060 --say q.wav --seconds 20
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import numpy as np

from wav_file import read_wav, write_wav

BARESIP = os.environ.get("PARLEY_BARESIP", "baresip")
MODULE_PATH = os.environ.get("PARLEY_BARESIP_MODULES", "/usr/lib/baresip/modules")
SOURCE_RATE = 16000         # what say() takes; the microphone plays it at the codec's rate
RTP_PORTS = "30000-39999"   # away from the SIP bridge's 10000-10999
CODEC_RATES = {"G722": 16000, "PCMU": 8000, "PCMA": 8000}


def free_ports(count):
    """`count` different ports, each free for both UDP and TCP on 127.0.0.1 (SIP listens on both).
    Every socket stays bound until all are chosen: ports picked one after another could repeat
    (a phone's SIP and control ports once came out equal, and its control socket then reached
    its own SIP listener, which never answers a command)."""
    held, ports = [], []
    try:
        for _ in range(100 * count):
            if len(ports) == count:
                return ports
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.bind(("127.0.0.1", 0))
            held.append(t)
            port = t.getsockname()[1]
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                u.close()
                continue
            held.append(u)
            ports.append(port)
        if len(ports) == count:
            return ports
        raise RuntimeError("no free port for a SIP phone")
    finally:
        for sock in held:
            sock.close()


def free_port():
    """One port free for both UDP and TCP on 127.0.0.1."""
    return free_ports(1)[0]


def resample(pcm, rate, to):
    """Band-limited resampling by sox (scripts/install.sh installs it): nothing above the lower
    rate's Nyquist frequency folds back into the speech. No dither, so the same input gives the
    same samples every run."""
    pcm = np.asarray(pcm, dtype=np.int16)
    if rate == to:
        return pcm
    raw = ["-t", "raw", "-e", "signed", "-b", "16", "-c", "1"]
    out = subprocess.run(["sox", "-q", "-D", *raw, "-r", str(rate), "-", *raw, "-r", str(to), "-", "rate", "-h"],
                         input=pcm.tobytes(), capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype=np.int16)


def rms(pcm):
    return float(np.sqrt(np.mean(np.asarray(pcm, dtype=np.float64) ** 2))) if len(pcm) else 0.0


class PhoneError(AssertionError):
    pass


class Phone:
    def __init__(self, name="phone", user=None, codecs=("G722",), auto_answer=False, workdir=None,
                 silence_seconds=180, sip_trace=False):
        self.name = name
        self.user = user or name            # the From user: the caller's number for the bridge
        self.codecs = [c.upper() for c in codecs]
        self.rate = CODEC_RATES.get(self.codecs[0], 16000)   # rate of the recording (first codec)
        self.auto_answer = auto_answer
        self.silence_seconds = silence_seconds
        self.sip_trace = sip_trace
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix=f"sip-phone-{name}-")
        os.makedirs(self.dir, exist_ok=True)
        self.sip_port = None
        self.ctrl_port = None
        self.proc = None
        self.events = []                    # (monotonic time, event dict), in arrival order
        self.responses = {}                 # token -> response dict
        self._cond = threading.Condition()
        self._sock = None
        self._token = 0
        self._says = 0
        self._dump = None                   # path of the current call's decoded dump
        self._marks = []                    # (monotonic time, bytes of the dump's data seen)
        self._stop = threading.Event()
        self._threads = []

    # ---- lifecycle ----
    def start(self, timeout=10):
        silence = os.path.join(self.dir, "silence.wav")
        write_wav(silence, np.zeros(self.rate * self.silence_seconds, dtype=np.int16), self.rate)
        self.silence = silence
        for attempt in range(5):
            self.sip_port, self.ctrl_port = free_ports(2)
            self._write_config()
            log = open(os.path.join(self.dir, "baresip.log"), "w")
            cmd = [BARESIP, "-f", self.dir] + (["-s"] if self.sip_trace else [])
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         cwd=self.dir)
            log.close()
            if self._connect(timeout):
                break
            self._kill()
        else:
            raise PhoneError(f"{self.name}: baresip did not start; see {self.log_path}:\n{self.log()}")
        t = threading.Thread(target=self._read_ctrl, name=f"{self.name}-ctrl", daemon=True)
        t.start()
        self._threads.append(t)
        t = threading.Thread(target=self._watch_dump, name=f"{self.name}-ears", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def _write_config(self):
        answer = "auto" if self.auto_answer else "manual"
        codecs = ",".join(self.codecs)
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            # No registration (regint=0): the phone calls the bridge directly, as a trunk would.
            f.write(f"<sip:{self.user}@127.0.0.1:{self.sip_port}>;regint=0;answermode={answer};"
                    f"audio_codecs={codecs};video_codecs=none\n")
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(f"""# Written by scripts/sip_phone.py for phone {self.name}
poll_method epoll
sip_listen 127.0.0.1:{self.sip_port}
call_local_timeout 120
call_max_calls 4
audio_source aufile,{self.silence}
audio_alert none,none
audio_player none,none
ausrc_srate {self.rate}
ausrc_channels 1
audio_buffer 20-160
rtp_ports {RTP_PORTS}
rtcp_mux no
jitter_buffer_delay 1-10
rtp_stats no
net_interface 127.0.0.1
module_path {MODULE_PATH}
module g722.so
module g711.so
module aufile.so
module sndfile.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}
snd_path {self.dir}
""")

    def _connect(self, timeout):
        # Ports are free when chosen, not when baresip binds them: a phone started at the same
        # moment (another thread, another test) can take one first. baresip then runs on without
        # that listener, and a control port taken that way would connect this phone to the other
        # phone's baresip (two phones dialling from one account). So wait until baresip has bound
        # everything ("baresip is ready." comes after its modules load) and said no bind failed;
        # only then is the listener on the control port its own.
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if "Address already in use" in log or "failed to listen" in log:
                return False
            if "baresip is ready." in log:
                break
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                self._sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
                self._sock.settimeout(None)
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        """Ends the process (any call with it) and the helper threads; keeps the folder (config,
        log, recordings): cleanup() removes it too when the phone made it."""
        self._stop.set()
        if self._sock:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
        self._kill()
        for t in self._threads:
            t.join(2)

    def cleanup(self):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def log_path(self):
        return os.path.join(self.dir, "baresip.log")

    def log(self):
        try:
            return open(self.log_path, errors="replace").read()
        except OSError:
            return ""

    # ---- control channel: netstrings of JSON ----
    def _read_ctrl(self):
        buf = b""
        while not self._stop.is_set():
            try:
                data = self._sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            buf += data
            while True:
                colon = buf.find(b":")
                if colon < 0:
                    break
                length = int(buf[:colon])
                if len(buf) < colon + 1 + length + 1:
                    break
                msg = json.loads(buf[colon + 1:colon + 1 + length].decode(errors="replace"))
                buf = buf[colon + 1 + length + 1:]
                now = time.monotonic()
                with self._cond:
                    if msg.get("event"):
                        self.events.append((now, msg))
                        if msg.get("type") == "CALL_ESTABLISHED" or msg.get("type") == "CALL_INCOMING":
                            self._dump = None   # a new call: find its dump afresh
                    elif msg.get("response"):
                        self.responses[msg.get("token", "")] = msg
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def command(self, command, params=None, timeout=5):
        """Runs a baresip command; returns its response's data (text)."""
        with self._cond:
            self._token += 1
            token = f"t{self._token}"
        msg = {"command": command, "token": token}
        if params is not None:
            msg["params"] = params
        body = json.dumps(msg).encode()
        self._sock.sendall(str(len(body)).encode() + b":" + body + b",")
        with self._cond:
            if not self._cond.wait_for(lambda: token in self.responses or self.proc.poll() is not None, timeout):
                raise PhoneError(f"{self.name}: no response to {command!r} in {timeout}s")
            r = self.responses.pop(token, None)
        if r is None:
            raise PhoneError(f"{self.name}: baresip exited during {command!r}:\n{self.log()}")
        if not r.get("ok", False):
            raise PhoneError(f"{self.name}: {command} {params or ''} failed: {r.get('data')}")
        return r.get("data", "")

    # ---- events ----
    def mark(self):
        """A position in the event list: wait_event(after=mark) ignores what came before."""
        with self._cond:
            return len(self.events)

    def find_event(self, type_, after=0):
        with self._cond:
            for t, ev in self.events[after:]:
                if ev.get("type") == type_:
                    return t, ev
        return None

    def wait_event(self, type_, timeout, after=0, fail_on=("CALL_CLOSED",)):
        """Waits for an event of `type_` after position `after`; returns (monotonic time, event).
        Fails early when an event in fail_on comes first (e.g. the call closed while ringing)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, ev in self.events[after:]:
                    if ev.get("type") == type_:
                        return t, ev
                    if ev.get("type") in fail_on and type_ not in fail_on:
                        raise PhoneError(f"{self.name}: {ev.get('type')} ({ev.get('param')}) before {type_}; "
                                         f"events: {self.event_types()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PhoneError(f"{self.name}: no {type_} in {timeout}s; events: {self.event_types()}")
                if self.proc.poll() is not None:
                    raise PhoneError(f"{self.name}: baresip exited waiting for {type_}:\n{self.log()}")
                self._cond.wait(min(left, 0.2))

    def event_types(self):
        """[(type, param, count)] with repeats folded (the bridge sends 180 Ringing every second)."""
        out = []
        for _, ev in list(self.events):
            key = (ev.get("type"), ev.get("param"))
            if out and out[-1][:2] == key:
                out[-1] = key + (out[-1][2] + 1,)
            else:
                out.append(key + (1,))
        return out

    # ---- calls ----
    def dial(self, uri):
        """Starts a call; returns the monotonic time the INVITE was asked for."""
        t = time.monotonic()
        self.command("dial", uri)
        return t

    def hangup(self):
        t = time.monotonic()
        self.command("hangup")
        return t

    def accept(self):
        self.command("accept")

    def send_dtmf(self, digits):
        """Presses keys: RFC 4733 telephone-events on the call's RTP session."""
        self.command("sndcode", digits)

    def say(self, pcm, tail_seconds=None, rate=SOURCE_RATE):
        """Plays `pcm` (int16 at `rate`, 16 kHz unless told) into the call now, then silence.
        Returns the monotonic times (start, end) the speech is expected to leave the phone."""
        tail = self.silence_seconds if tail_seconds is None else tail_seconds
        pcm = resample(pcm, rate, self.rate)
        self._says += 1
        path = os.path.join(self.dir, f"say{self._says}.wav")
        write_wav(path, np.concatenate([pcm, np.zeros(self.rate * tail, dtype=np.int16)]), self.rate)
        start = time.monotonic()
        data = self.command("ausrc", f"aufile,{path}")
        if "fail" in str(data) or "no such" in str(data):
            raise PhoneError(f"{self.name}: ausrc: {data}")
        return start, start + len(pcm) / self.rate

    def say_wav(self, path, tail_seconds=None):
        pcm, rate = read_wav(path)
        return self.say(pcm, tail_seconds, rate)

    # ---- what the phone heard ----
    def _find_dump(self):
        dumps = sorted((os.path.getmtime(os.path.join(self.dir, f)), f) for f in os.listdir(self.dir)
                       if f.startswith("dump-") and f.endswith("-dec.wav"))
        return os.path.join(self.dir, dumps[-1][1]) if dumps else None

    @staticmethod
    def _wav_layout(path):
        """(byte offset of the samples, sample rate) of a growing WAV, or (None, None) before its
        header is written. Python's wave module refuses a WAV whose sizes are not final yet."""
        try:
            with open(path, "rb") as f:
                head = f.read(4096)
        except OSError:
            return None, None
        if len(head) < 12 or head[:4] != b"RIFF":
            return None, None
        pos, rate = 12, None
        while pos + 8 <= len(head):
            cid, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
            if cid == b"fmt " and pos + 16 <= len(head):
                rate = int.from_bytes(head[pos + 12:pos + 16], "little")
            if cid == b"data":
                return pos + 8, rate
            pos += 8 + size + (size & 1)
        return None, None

    def _watch_dump(self):
        # The dump grows as RTP is decoded; noting its size every 10 ms tells when each sample
        # arrived (within about 10 ms).
        while not self._stop.is_set():
            path = self._dump
            if path is None:
                path = self._find_dump()
                if path:
                    with self._cond:
                        self._dump, self._marks = path, []
            if path:
                try:
                    size = os.path.getsize(path)
                except OSError:
                    size = 0
                with self._cond:
                    if not self._marks or self._marks[-1][1] != size:
                        self._marks.append((time.monotonic(), size))
            self._stop.wait(0.01)

    @property
    def recording_path(self):
        return self._dump or self._find_dump()

    def recording(self):
        """(int16 samples heard so far in the current/last call, their rate)."""
        path = self.recording_path
        if not path:
            return np.zeros(0, dtype=np.int16), self.rate
        off, rate = self._wav_layout(path)
        if off is None:
            return np.zeros(0, dtype=np.int16), self.rate
        with open(path, "rb") as f:
            f.seek(off)
            data = f.read()
        data = data[:len(data) - len(data) % 2]
        return np.frombuffer(data, dtype=np.int16).copy(), rate

    def heard_samples(self):
        return len(self.recording()[0])

    def heard_at(self, sample):
        """Monotonic time the phone had received `sample` (index into recording()), or None."""
        path = self.recording_path
        off = None
        # The sample was read already, so the header is there; a read that lands while sndfile
        # rewrites the header finds none for a moment, so look again briefly before giving up.
        for _ in range(50):
            off = self._wav_layout(path)[0] if path else None
            if off is not None or not path:
                break
            time.sleep(0.01)
        if off is None:
            return None
        want = off + 2 * (sample + 1)
        with self._cond:
            for t, size in self._marks:
                if size >= want:
                    return t
        # Read before the watcher's next look: it is in the file now, so now is the bound.
        try:
            size = os.path.getsize(path)
        except OSError:
            return None
        if size < want:
            return None
        now = time.monotonic()
        with self._cond:
            self._marks.append((now, size))
        return now

    def first_sound(self, start_sample=0, level=300, window=0.02):
        """Index of the first `window`-long stretch from start_sample whose RMS exceeds `level`."""
        pcm, rate = self.recording()
        n = max(1, int(rate * window))
        for i in range(start_sample, len(pcm) - n + 1, n):
            if rms(pcm[i:i + n]) > level:
                return i
        return None

    def wait_for_sound(self, timeout, start_sample=0, level=300):
        """Waits until the phone hears sound after start_sample; returns its sample index."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            i = self.first_sound(start_sample, level)
            if i is not None:
                return i
            time.sleep(0.05)
        raise PhoneError(f"{self.name}: heard nothing above {level} after sample {start_sample} in {timeout}s")

    def wait_for_silence(self, timeout, start_sample, seconds=1.0, level=300):
        """Waits until, after start_sample, the phone has heard sound and then `seconds` of quiet;
        returns the sample index where that quiet began (the end of what was said)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pcm, rate = self.recording()
            n = int(rate * 0.02)
            need = int(seconds / 0.02)
            quiet, heard, end = 0, False, None
            for i in range(start_sample, len(pcm) - n + 1, n):
                if rms(pcm[i:i + n]) > level:
                    heard, quiet = True, 0
                elif heard:
                    if quiet == 0:
                        end = i
                    quiet += 1
                    if quiet >= need:
                        return end
            time.sleep(0.05)
        raise PhoneError(f"{self.name}: no end of speech after sample {start_sample} in {timeout}s")

    def save_recording(self, path):
        pcm, rate = self.recording()
        write_wav(path, pcm, rate)
        return path


def main():
    import argparse
    p = argparse.ArgumentParser(description="Call a SIP URI with baresip, optionally say a WAV, record.")
    p.add_argument("uri")
    p.add_argument("--user", default="+15550001")
    p.add_argument("--codec", default="G722")
    p.add_argument("--say", help="a WAV to say once the call is answered and the greeting is over")
    p.add_argument("--seconds", type=float, default=15, help="how long to stay on the call")
    p.add_argument("--out", default="heard.wav")
    a = p.parse_args()
    with Phone("cli", user=a.user, codecs=[a.codec], sip_trace=True) as phone:
        t0 = phone.dial(a.uri)
        t, _ = phone.wait_event("CALL_ESTABLISHED", 60)
        print(f"answered after {t - t0:.2f}s")
        if a.say:
            end = phone.wait_for_silence(30, phone.wait_for_sound(30))
            print(f"greeting ended at {end / phone.rate:.2f}s of the recording")
            phone.say_wav(a.say)
        time.sleep(a.seconds)
        phone.hangup()
        phone.save_recording(a.out)
        print(f"recording: {a.out}; events: {phone.event_types()}; baresip log: {phone.log_path}")


if __name__ == "__main__":
    main()
