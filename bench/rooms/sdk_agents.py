"""The official LiveKit Python SDK doing bench_rooms' agent work, to measure the media layer alone.

bench_rooms (rooms_bench.cpp) runs N parley livekit::Room agents; this runs N rtc.Room agents in
ONE process on one asyncio loop (the SDK's cheapest way: its Rust FFI runtime is shared), in the
same rooms against the same C++ callers (`bench_rooms --role callers`), doing the same work:
  - hear: subscribe to the caller and consume every decoded frame (rtc.AudioStream, 48 kHz mono,
    20 ms frames, as parley's on_audio gets them);
  - speak: publish an rtc.AudioSource track (48 kHz mono) and keep about 100 ms of pre-made
    speech queued (queue_size_ms=100: capture_frame returns when the frame fits, so the loop of
    20 ms captures is paced by the SDK itself, the way LiveKit Agents feeds it).
It measures over a window after warmup exactly as bench_rooms does: CPU of this process (all its
threads, the Rust ones included; the callers are a child and not counted) / wall / N, RSS and
PSS per call = (at N − idle) / N, threads, frames sent and heard per second per call, and
livekit-server's CPU. Prints one markdown row:
  | calls | failed | CPU/call | threads idle → N | RSS/call | PSS/call | sent/s/call | heard/s/call | server CPU | callers CPU | load | join |

  sdk_agents.py --rooms N --callers build/bench/rooms/bench_rooms --speech agent48k.wav
                [--seconds 20] [--warmup 5] [--server-pid PID]      (stack up; inside scripts/netns.sh)
"""
import argparse
import asyncio
import os
import resource
import subprocess
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import wav_file  # noqa: E402
from livekit import api, rtc  # noqa: E402
from livekit.rtc._ffi_client import FfiClient  # noqa: E402

warnings.filterwarnings("ignore", message="The HMAC key")  # devkey/secret: a local stack

URL = os.environ.get("LIVEKIT_URL", "ws://127.0.0.1:7880")
KEY = os.environ.get("LIVEKIT_API_KEY", "devkey")
SECRET = os.environ.get("LIVEKIT_API_SECRET", "secret")
RATE, FRAME = 48000, 960  # 20 ms


def status(key):
    """VmRSS (kB), Threads, … of this process."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def pss_kb():
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return -1


def other_cpu_s(pid):
    """utime + stime of another process, seconds (0 when unreadable)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def self_cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)  # all threads; not the (unreaped) callers
    return r.ru_utime + r.ru_stime


class Call:
    def __init__(self, index, prefix, frames):
        self.room_name = f"{prefix}-{index}"  # bench_rooms' rooms: <prefix>-<i>, caller-<i> in it
        self.identity = f"agent-{index}"
        self.frames = frames
        self.pos = index * 3907 // FRAME % len(frames)  # each call starts elsewhere, as bench_rooms
        self.room = rtc.Room()
        self.heard = self.sent = 0
        self.subscribed = asyncio.Event()
        self.published = False
        self.failed = False
        self.tasks = []

    async def join(self, gate):
        async with gate:  # at most 8 joins in flight, as bench_rooms' join_all
            token = (api.AccessToken(KEY, SECRET).with_identity(self.identity)
                     .with_grants(api.VideoGrants(room_join=True, room=self.room_name)).to_jwt())

            @self.room.on("track_subscribed")
            def _on_track(track, _pub, _participant):
                if track.kind == rtc.TrackKind.KIND_AUDIO:
                    self.tasks.append(asyncio.ensure_future(self._hear(track)))

            try:
                await asyncio.wait_for(self.room.connect(URL, token, rtc.RoomOptions(auto_subscribe=True)), 60)
                source = rtc.AudioSource(RATE, 1, queue_size_ms=100)
                track = rtc.LocalAudioTrack.create_audio_track("speech", source)
                await self.room.local_participant.publish_track(
                    track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
                self.published = True
                self.tasks.append(asyncio.ensure_future(self._speak(source)))
            except Exception as e:  # noqa: BLE001 - a failed join is counted, not fatal
                print(f"agent join failed: {e!r}", file=sys.stderr)
                self.failed = True

    async def _hear(self, track):
        self.subscribed.set()
        async for _ in rtc.AudioStream(track, sample_rate=RATE, num_channels=1, frame_size_ms=20):
            self.heard += 1

    async def _speak(self, source):
        while True:
            await source.capture_frame(self.frames[self.pos])
            self.pos = (self.pos + 1) % len(self.frames)
            self.sent += 1


async def main(a):
    pcm, rate = wav_file.read_wav(a.speech)
    if rate != RATE:
        sys.exit(f"{a.speech}: want {RATE} Hz, got {rate} (make it with `parley tts --rate 48000`)")
    pcm = pcm[:len(pcm) // FRAME * FRAME]
    # Pre-made 20 ms frames, shared by every call (the SDK copies them on capture).
    frames = [rtc.AudioFrame(pcm[i:i + FRAME].tobytes(), RATE, 1, FRAME) for i in range(0, len(pcm), FRAME)]

    _ = FfiClient.instance  # the Rust runtime up, as parley's LoopPool is before bench_rooms' idle reading
    await asyncio.sleep(0.2)
    idle_rss, idle_pss, idle_threads = status("VmRSS"), pss_kb(), status("Threads")

    prefix = f"sdkbench-{os.getpid()}"
    callers = subprocess.Popen([a.callers, "--role", "callers", "--rooms", str(a.rooms), "--prefix", prefix],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = await asyncio.get_running_loop().run_in_executor(None, callers.stdout.readline)
    if not line.startswith("ready"):
        sys.exit("the callers did not come up")

    calls = [Call(i, prefix, frames) for i in range(a.rooms)]
    gate = asyncio.Semaphore(8)
    join_start = time.monotonic()
    await asyncio.gather(*(c.join(gate) for c in calls))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(c.failed or (c.subscribed.is_set() and c.published) for c in calls):
        await asyncio.sleep(0.1)
    failed = sum(1 for c in calls if c.failed or not c.subscribed.is_set())
    join_s = time.monotonic() - join_start
    await asyncio.sleep(a.warmup)

    heard0, sent0 = sum(c.heard for c in calls), sum(c.sent for c in calls)
    cpu0, server0, callers0 = self_cpu_s(), other_cpu_s(a.server_pid), other_cpu_s(callers.pid)
    t0 = time.monotonic()
    max_rss = max_threads = 0
    load = 0.0
    while time.monotonic() - t0 < a.seconds:
        await asyncio.sleep(0.5)
        max_rss, max_threads = max(max_rss, status("VmRSS")), max(max_threads, status("Threads"))
        load = max(load, os.getloadavg()[0])
    max_pss = pss_kb()  # once, at the end: reading smaps_rollup walks every mapping
    wall = time.monotonic() - t0
    cpu, server, callers_cpu = self_cpu_s() - cpu0, other_cpu_s(a.server_pid) - server0, other_cpu_s(callers.pid) - callers0
    heard, sent = sum(c.heard for c in calls) - heard0, sum(c.sent for c in calls) - sent0

    n = a.rooms
    print(f"| {n} | {failed} | {100 * cpu / wall / n:.2f} % | {idle_threads} → {max_threads} | "
          f"{(max_rss - idle_rss) / n:.0f} kB | {(max_pss - idle_pss) / n:.0f} kB | {sent / wall / n:.0f} | "
          f"{heard / wall / n:.0f} | {100 * server / wall:.0f} % | {100 * callers_cpu / wall:.0f} % | {load:.1f} | {join_s:.1f} s |",
          flush=True)
    print(f"rooms={n} cpu_s={cpu:.2f} wall_s={wall:.1f} idle_rss_kb={idle_rss} max_rss_kb={max_rss} "
          f"idle_pss_kb={idle_pss} pss_kb={max_pss}", file=sys.stderr)

    rc = 0 if failed == 0 else 1
    callers.stdin.close()  # the callers leave and exit
    # A loop that fell behind has a backlog of FFI events to drain before disconnect() returns
    # (minutes at 50 calls on 2 cores, its memory still growing): give up after 30 s.
    threading.Timer(30, lambda: os._exit(rc)).start()
    await asyncio.gather(*(c.room.disconnect() for c in calls), return_exceptions=True)
    for c in calls:
        for t in c.tasks:
            t.cancel()
    callers.wait()
    os._exit(rc)  # not sys.exit: the watchdog thread would keep the process up


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rooms", type=int, default=10)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument("--server-pid", type=int, default=0)
    p.add_argument("--callers", required=True, help="the bench_rooms binary (runs the callers)")
    p.add_argument("--speech", required=True, help="48 kHz mono 16-bit WAV the agents say, looped")
    sys.exit(asyncio.run(main(p.parse_args())))
