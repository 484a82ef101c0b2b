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
import asyncio
import os
import sys
import time

from livekit import rtc
from livekit.rtc._ffi_client import FfiClient

import agent_bench as bench
from agent_bench import FRAME, RATE, URL


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
            token = bench.token(self.identity, self.room_name)

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
    pcm = bench.speech(a.speech)
    # Pre-made 20 ms frames, shared by every call (the SDK copies them on capture).
    frames = [rtc.AudioFrame(pcm[i:i + FRAME].tobytes(), RATE, 1, FRAME) for i in range(0, len(pcm), FRAME)]

    _ = FfiClient.instance  # the Rust runtime up, as parley's LoopPool is before bench_rooms' idle reading
    await asyncio.sleep(0.2)
    idle = bench.idle()

    prefix = f"sdkbench-{os.getpid()}"
    callers = await bench.start_callers(a.callers, a.rooms, prefix)
    calls = [Call(i, prefix, frames) for i in range(a.rooms)]
    gate = asyncio.Semaphore(8)
    join_start = time.monotonic()
    await asyncio.gather(*(c.join(gate) for c in calls))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(c.failed or (c.subscribed.is_set() and c.published) for c in calls):
        await asyncio.sleep(0.1)
    failed = sum(1 for c in calls if c.failed or not c.subscribed.is_set())
    await bench.measure(a, idle, callers, failed, time.monotonic() - join_start,
                        sent=lambda: sum(c.sent for c in calls), heard=lambda: sum(c.heard for c in calls))
    for c in calls:
        for t in c.tasks:
            t.cancel()
    await bench.leave(0 if failed == 0 else 1, callers,
                      asyncio.gather(*(c.room.disconnect() for c in calls), return_exceptions=True))


if __name__ == "__main__":
    sys.exit(asyncio.run(main(bench.arguments(__doc__))))
