"""A caller for parley's voice agent: the official LiveKit Python SDK as an independent client.

It joins a room, publishes a microphone track at 16 kHz (silence, and questions as 16 kHz WAV
files when asked), records the agent's audio at 48 kHz and reads every lk.transcription text
stream (the caller's words as the agent heard them, the agent's answers as it speaks them).
Used by the end-to-end tests (tests/agent/agent_live_test.py); its Transcript also by the phone
call (scripts/sip_call.py). Reads LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET.
"""
import asyncio
import os
import time

import numpy as np
from livekit import api, rtc

import wav_file

URL = os.environ.get("LIVEKIT_URL", "ws://127.0.0.1:7880")
KEY = os.environ.get("LIVEKIT_API_KEY", "devkey")
SECRET = os.environ.get("LIVEKIT_API_SECRET", "secret")
RATE = 16000          # the caller's microphone
FRAME = RATE // 100   # 10 ms
AGENT_RATE = 48000    # what we record the agent at


def read_wav(path):
    pcm, rate = wav_file.read_wav(path)
    assert rate == RATE, f"{path}: want {RATE} Hz, got {rate}"
    return pcm


class Transcript:
    """One lk.transcription stream as received: who, which segment, the text, final or not."""

    def __init__(self, identity, attributes, text, started, finished):
        self.identity = identity
        self.attributes = attributes
        self.text = text
        self.started = started      # monotonic time the stream's header arrived
        self.finished = finished    # ... and its trailer
        self.segment = attributes.get("lk.segment_id", "")
        self.track = attributes.get("lk.transcribed_track_id", "")
        self.final = attributes.get("lk.transcription_final") == "true"

    def as_dict(self):
        return {"identity": self.identity, "segment": self.segment, "track": self.track, "final": self.final,
                "text": self.text}


class Caller:
    def __init__(self, room, identity="caller", agent_identity="parley-agent", dispatch_agent=None):
        self.room_name = room
        # A room this caller creates gets a job for this agent name (room_config.agents in the
        # token, as a SIP dispatch rule does): how calls reach parley in worker mode.
        self.dispatch_agent = dispatch_agent
        self.identity = identity
        self.agent_identity = agent_identity
        self.room = rtc.Room()
        self.transcripts = []        # finished streams, in order of their trailers
        self.agent_started = []      # (segment, monotonic time) of each agent stream's header
        self.agent_audio = []        # 48 kHz chunks
        self.agent_audio_times = []  # monotonic arrival time of each chunk
        self.agent_samples = 0
        self.agent_track_sid = ""
        self._speech = []            # 10 ms frames still to say
        self._spoken = None          # set when the queued speech is out
        self._tasks = []
        self._closed = False

    # ---- joining and leaving ----
    async def join(self, timeout=20):
        token = (api.AccessToken(KEY, SECRET).with_identity(self.identity)
                 .with_grants(api.VideoGrants(room_join=True, room=self.room_name)))
        if self.dispatch_agent:
            token = token.with_room_config(api.RoomConfiguration(
                agents=[api.RoomAgentDispatch(agent_name=self.dispatch_agent)]))
        token = token.to_jwt()
        self.room.on("track_subscribed", self._on_track)
        self.room.register_text_stream_handler("lk.transcription", self._on_text)
        await asyncio.wait_for(self.room.connect(URL, token, rtc.RoomOptions(auto_subscribe=True)), timeout)
        self.source = rtc.AudioSource(RATE, 1, queue_size_ms=100)
        track = rtc.LocalAudioTrack.create_audio_track("caller-mic", self.source)
        pub = await self.room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
        self.mic_track_sid = pub.sid
        self._tasks.append(asyncio.ensure_future(self._microphone()))

    async def hang_up(self):
        self._closed = True
        await self.room.disconnect()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- the caller's microphone: silence, or what say() queued, in real time ----
    async def _microphone(self):
        silence = np.zeros(FRAME, dtype=np.int16)
        start = time.monotonic()
        sent = 0
        while not self._closed:
            if self._speech:
                chunk = self._speech.pop(0)
                if not self._speech and self._spoken and not self._spoken.done():
                    self._spoken.set_result(time.monotonic())
            else:
                chunk = silence
            await self.source.capture_frame(rtc.AudioFrame(chunk.tobytes(), RATE, 1, FRAME))
            sent += 1
            delay = start + sent * 0.01 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.05:
                # We were held up: go on in real time from now rather than send a burst.
                start, sent = time.monotonic(), 0

    async def say(self, pcm, wait=True):
        """Queues 16 kHz speech; returns the monotonic time its last frame went out."""
        pcm = np.concatenate([pcm, np.zeros((-len(pcm)) % FRAME, dtype=np.int16)])
        self._spoken = asyncio.get_running_loop().create_future()
        self._speech.extend(pcm[i:i + FRAME] for i in range(0, len(pcm), FRAME))
        if wait:
            return await self._spoken
        return None

    # ---- the agent's voice ----
    def _on_track(self, track, publication, participant):
        if track.kind != rtc.TrackKind.KIND_AUDIO or participant.identity != self.agent_identity:
            return
        self.agent_track_sid = publication.sid
        self._tasks.append(asyncio.ensure_future(self._record(track)))

    async def _record(self, track):
        stream = rtc.AudioStream(track, sample_rate=AGENT_RATE, num_channels=1)
        try:
            async for ev in stream:
                data = np.frombuffer(ev.frame.data, dtype=np.int16).copy()
                self.agent_audio.append(data)
                self.agent_audio_times.append(time.monotonic())
                self.agent_samples += len(data)
        finally:
            await stream.aclose()

    def agent_audio_since(self, sample):
        pcm = np.concatenate(self.agent_audio) if self.agent_audio else np.zeros(0, dtype=np.int16)
        return pcm[sample:]

    # ---- transcripts ----
    def _on_text(self, reader, identity):
        started = time.monotonic()
        attributes = dict(reader.info.attributes or {})
        if identity == self.agent_identity:
            self.agent_started.append((attributes.get("lk.segment_id", ""), started))

        async def read():
            text = await reader.read_all()
            self.transcripts.append(Transcript(identity, dict(reader.info.attributes or {}), text, started,
                                               time.monotonic()))
        self._tasks.append(asyncio.ensure_future(read()))

    def agent_finals(self):
        return [t for t in self.transcripts if t.identity == self.agent_identity and t.final]

    def caller_finals(self):
        return [t for t in self.transcripts if t.identity == self.identity and t.final]

    async def wait_for(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = cond()
            if v:
                return v
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; transcripts: "
                             f"{[t.as_dict() for t in self.transcripts]}")

    def first_voice_after(self, chunk_index, level=500):
        """Arrival time of the first agent audio chunk at or after chunk_index that is not silence."""
        for i in range(chunk_index, len(self.agent_audio)):
            if np.abs(self.agent_audio[i].astype(np.int32)).max() > level:
                return self.agent_audio_times[i]
        return None

    async def ask(self, pcm, timeout=30, tail=1.0):
        """Says a question and waits for the agent's whole answer (its final transcript).
        Returns a dict: the answer's transcript, the agent's audio from the question's end to
        the answer's end plus `tail` seconds, the seconds from the question's last frame to
        the answer's first text and to its first audible sound at the caller, and the monotonic
        time that last frame went out (done_at)."""
        before = len(self.agent_finals())
        done = await self.say(pcm)
        mark, chunk = self.agent_samples, len(self.agent_audio)
        answer = await self.wait_for(lambda: len(self.agent_finals()) > before and self.agent_finals()[before],
                                     timeout, "the agent's answer")
        await asyncio.sleep(tail)
        first_text = next((t for seg, t in self.agent_started if seg == answer.segment), answer.started)
        voice = self.first_voice_after(chunk)
        return {"answer": answer, "audio": self.agent_audio_since(mark), "text_after": first_text - done, "done_at": done,
                "voice_after": None if voice is None else voice - done}
