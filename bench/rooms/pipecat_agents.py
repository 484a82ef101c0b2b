"""Pipecat (pipecat-ai 1.14 with its LiveKit transport) doing bench_rooms' agent work, to measure
the media layer alone, beside sdk_agents.py (the bare Python SDK, which Pipecat runs on).

N calls in ONE process on one asyncio loop (Pipecat's cheapest set-up: one WorkerRunner, one
PipelineWorker per call, one Rust FFI runtime for all rooms), in the rooms of the same C++
callers (`bench_rooms --role callers`), each call a Pipeline built as a Pipecat user builds one:

  transport.input() → Heard → Speech → transport.output() → Sent

  - LiveKitTransport(LiveKitParams(audio_in_enabled, audio_out_enabled, 48 kHz in and out, so
    nothing is resampled)); no VAD, no STT/TTS/LLM, no RTVI, no turn tracking, no metrics;
  - Heard: counts the caller's audio (InputAudioRawFrames) and consumes every frame;
  - Speech: pushes OutputAudioRawFrames of the same pre-made flite speech as the others, in
    40 ms frames (the output transport's default chunk, audio_out_10ms_chunks=4, so it writes
    them as they come); one frame in flight: the next is pushed when Sent sees the last written;
  - the output transport writes each chunk with AudioSource.capture_frame, the source's queue
    set to 100 ms (audio_out_queue_size_ms, as sdk_agents.py's queue_size_ms): capture returns
    when the chunk fits, so about 100 ms is queued ahead of the sender and the SDK paces it;
  - Sent: after transport.output(), where Pipecat passes on each frame it has written; counts it.

Measured by agent_bench.py exactly as sdk_agents.py (frames in 20 ms of audio; Pipecat hears
the SDK's 10 ms frames and sends 40 ms ones). Prints the same row.

  pipecat_agents.py --rooms N --callers build/bench/rooms/bench_rooms --speech agent48k.wav
                    [--seconds 20] [--warmup 5] [--server-pid PID]   (stack up; inside scripts/netns.sh)
"""
import asyncio
import os
import sys
import time

from livekit.rtc._ffi_client import FfiClient
from loguru import logger
from pipecat.frames.frames import InputAudioRawFrame, OutputAudioRawFrame, StartFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.transports.livekit.transport import LiveKitParams, LiveKitTransport
from pipecat.workers.runner import WorkerRunner

import agent_bench as bench
from agent_bench import FRAME, RATE, URL

CHUNK = 2 * FRAME  # 40 ms: the output transport's chunk with its default audio_out_10ms_chunks=4
BYTES_20MS = FRAME * 2


class Heard(FrameProcessor):
    """Consumes the caller's audio, counting it; passes every other frame on. Direct mode: it
    never blocks, so it needs no queue and task of its own."""

    def __init__(self):
        super().__init__(enable_direct_mode=True)
        self.bytes = self.frames = 0

    async def process_frame(self, frame, direction):
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            self.bytes += len(frame.audio)
            self.frames += 1
        else:
            await self.push_frame(frame, direction)


class Speech(FrameProcessor):
    """Pushes the pre-made speech downstream, one 40 ms frame each time the last is written."""

    def __init__(self, chunks, pos):
        super().__init__(enable_direct_mode=True)
        self.chunks, self.pos = chunks, pos
        self.written = asyncio.Semaphore(1)  # one frame in flight beyond the AudioSource's 100 ms
        self.task = None

    async def process_frame(self, frame, direction):
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if isinstance(frame, StartFrame):  # after passing it on, so output has started first
            self.task = self.create_task(self._speak(), "speech")

    async def cleanup(self):  # tasks made by create_task are this processor's to end
        await super().cleanup()
        if self.task:
            await self.cancel_task(self.task)

    async def _speak(self):
        while True:
            await self.written.acquire()
            await self.push_frame(OutputAudioRawFrame(audio=self.chunks[self.pos], sample_rate=RATE, num_channels=1))
            self.pos = (self.pos + 1) % len(self.chunks)


class Sent(FrameProcessor):
    """Counts the frames the output transport has written and lets Speech push the next."""

    def __init__(self, speech):
        super().__init__(enable_direct_mode=True)
        self.speech = speech
        self.bytes = self.frames = 0

    async def process_frame(self, frame, direction):
        await super().process_frame(frame, direction)
        if isinstance(frame, OutputAudioRawFrame):
            self.bytes += len(frame.audio)
            self.frames += 1
            self.speech.written.release()
        else:
            await self.push_frame(frame, direction)


class Call:
    def __init__(self, index, prefix, chunks):
        room = f"{prefix}-{index}"  # bench_rooms' rooms: <prefix>-<i>, caller-<i> in it
        self.transport = LiveKitTransport(URL, bench.token(f"agent-{index}", room), room, LiveKitParams(
            audio_in_enabled=True, audio_in_sample_rate=RATE,
            audio_out_enabled=True, audio_out_sample_rate=RATE, audio_out_queue_size_ms=100))
        self.heard = Heard()
        # each call starts elsewhere in the speech, as bench_rooms' and sdk_agents.py's do
        speech = Speech(chunks, index * 3907 // CHUNK % len(chunks))
        self.sent = Sent(speech)
        self.worker = PipelineWorker(
            Pipeline([self.transport.input(), self.heard, speech, self.transport.output(), self.sent]),
            params=PipelineParams(audio_in_sample_rate=RATE, audio_out_sample_rate=RATE),
            enable_rtvi=False, enable_turn_tracking=False, idle_timeout_secs=None, name=f"call-{index}")
        self.connected, self.subscribed = asyncio.Event(), asyncio.Event()
        self.transport.event_handler("on_connected")(lambda *_: self.connected.set())
        self.transport.event_handler("on_audio_track_subscribed")(lambda *_: self.subscribed.set())

    async def join(self, runner, gate):
        async with gate:  # at most 8 joins in flight, as bench_rooms' join_all
            await runner.add_workers(self.worker)
            try:
                await asyncio.wait_for(self.connected.wait(), 60)
            except TimeoutError:
                print(f"agent join timed out: {self.worker.name}", file=sys.stderr)


async def main(a):
    # Pipecat logs at DEBUG by default; a deployment keeps warnings only.
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    pcm = bench.speech(a.speech)
    pcm = pcm[:len(pcm) // CHUNK * CHUNK]
    chunks = [pcm[i:i + CHUNK].tobytes() for i in range(0, len(pcm), CHUNK)]  # shared by every call

    _ = FfiClient.instance  # the Rust runtime up, as parley's LoopPool is before bench_rooms' idle reading
    runner = WorkerRunner(handle_sigint=False)
    running = asyncio.ensure_future(runner.run(auto_end=False))
    await asyncio.sleep(0.2)
    idle = bench.idle()

    prefix = f"pipecatbench-{os.getpid()}"
    callers = await bench.start_callers(a.callers, a.rooms, prefix)
    calls = [Call(i, prefix, chunks) for i in range(a.rooms)]
    gate = asyncio.Semaphore(8)
    join_start = time.monotonic()
    await asyncio.gather(*(c.join(runner, gate) for c in calls))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(c.subscribed.is_set() for c in calls):
        await asyncio.sleep(0.1)
    failed = sum(1 for c in calls if not (c.connected.is_set() and c.subscribed.is_set()))
    await bench.measure(a, idle, callers, failed, time.monotonic() - join_start,
                        sent=lambda: sum(c.sent.bytes for c in calls) // BYTES_20MS,
                        heard=lambda: sum(c.heard.bytes for c in calls) // BYTES_20MS)
    # the sizes Pipecat moved them in (the row counts 20 ms of audio)
    ms = [1000 * sum(p.bytes for p in ps) / max(1, sum(p.frames for p in ps)) / (2 * RATE)
          for ps in ([c.heard for c in calls], [c.sent for c in calls])]
    print(f"pipecat frames: heard {ms[0]:.0f} ms each, sent {ms[1]:.0f} ms each", file=sys.stderr)
    await bench.leave(0 if failed == 0 else 1, callers, _cancel(runner, running))


async def _cancel(runner, running):
    await runner.cancel()
    await running


if __name__ == "__main__":
    sys.exit(asyncio.run(main(bench.arguments(__doc__))))
