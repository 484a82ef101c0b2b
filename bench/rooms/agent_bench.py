"""What the Python agents of bench/rooms (sdk_agents.py, pipecat_agents.py) share, so that both
are measured exactly as bench_rooms measures parley: the callers child, the process readings, the
window after warmup, the one markdown row, and the way out.

The row (compare_sdk.sh reads it by position):
  | calls | failed | CPU/call | threads idle → N | RSS/call | PSS/call | sent/s/call | heard/s/call | server CPU | callers CPU | load | join |
Frames sent and heard are counted in 20 ms of audio (960 samples at 48 kHz), whatever size the
framework moves them in, so that 50/s means every frame both ways for every agent.
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
from livekit import api  # noqa: E402

warnings.filterwarnings("ignore", message="The HMAC key")  # devkey/secret: a local stack

URL = os.environ.get("LIVEKIT_URL", "ws://127.0.0.1:7880")
KEY = os.environ.get("LIVEKIT_API_KEY", "devkey")
SECRET = os.environ.get("LIVEKIT_API_SECRET", "secret")
RATE, FRAME = 48000, 960  # 20 ms


def arguments(doc):
    """The command line both agents take (compare_sdk.sh passes it)."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--rooms", type=int, default=10)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument("--server-pid", type=int, default=0)
    p.add_argument("--callers", required=True, help="the bench_rooms binary (runs the callers)")
    p.add_argument("--speech", required=True, help="48 kHz mono 16-bit WAV the agents say, looped")
    return p.parse_args()


def token(identity, room):
    return (api.AccessToken(KEY, SECRET).with_identity(identity)
            .with_grants(api.VideoGrants(room_join=True, room=room)).to_jwt())


def speech(path):
    """The 48 kHz mono PCM (int16 array) the agents say, cut to whole 20 ms frames."""
    pcm, rate = wav_file.read_wav(path)
    if rate != RATE:
        sys.exit(f"{path}: want {RATE} Hz, got {rate} (make it with `parley tts --rate 48000`)")
    return pcm[:len(pcm) // FRAME * FRAME]


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


def idle():
    """RSS, PSS and threads before the first room (the framework's runtime already up)."""
    return status("VmRSS"), pss_kb(), status("Threads")


async def start_callers(bench, rooms, prefix):
    """bench_rooms --role callers: one C++ child with a caller in each room <prefix>-<i>."""
    callers = subprocess.Popen([bench, "--role", "callers", "--rooms", str(rooms), "--prefix", prefix],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = await asyncio.get_running_loop().run_in_executor(None, callers.stdout.readline)
    if not line.startswith("ready"):
        sys.exit("the callers did not come up")
    return callers


async def measure(a, idle_reading, callers, failed, join_s, sent, heard):
    """Waits a.warmup, measures a.seconds, prints the row; sent() and heard() are running totals
    in 20 ms frames over all calls."""
    await asyncio.sleep(a.warmup)
    heard0, sent0 = heard(), sent()
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
    heard_n, sent_n = heard() - heard0, sent() - sent0

    n = a.rooms
    idle_rss, idle_pss, idle_threads = idle_reading
    print(f"| {n} | {failed} | {100 * cpu / wall / n:.2f} % | {idle_threads} → {max_threads} | "
          f"{(max_rss - idle_rss) / n:.0f} kB | {(max_pss - idle_pss) / n:.0f} kB | {sent_n / wall / n:.0f} | "
          f"{heard_n / wall / n:.0f} | {100 * server / wall:.0f} % | {100 * callers_cpu / wall:.0f} % | {load:.1f} | {join_s:.1f} s |",
          flush=True)
    print(f"rooms={n} cpu_s={cpu:.2f} wall_s={wall:.1f} idle_rss_kb={idle_rss} max_rss_kb={max_rss} "
          f"idle_pss_kb={idle_pss} pss_kb={max_pss}", file=sys.stderr)


async def leave(rc, callers, disconnect):
    """Lets the callers go, awaits the agents' disconnect() and exits with rc."""
    callers.stdin.close()  # the callers leave and exit
    # A loop that fell behind has a backlog of FFI events to drain before disconnect() returns
    # (minutes at 50 calls on 2 cores, its memory still growing): give up after 30 s.
    threading.Timer(30, lambda: os._exit(rc)).start()
    try:
        await disconnect
    except Exception as e:  # noqa: BLE001 - leaving; the row is already out
        print(f"disconnect: {e!r}", file=sys.stderr)
    callers.wait()
    os._exit(rc)  # not sys.exit: the watchdog thread would keep the process up
