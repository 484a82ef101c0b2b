"""The agent against a phone bridge's timing, on the real local stack. LiveKit's SIP bridge
joins an outbound call's room as a participant of kind SIP while the phone rings
(sip.callStatus "ringing"), reports the answer ("active") and only then subscribes to the room's
audio (livekit-sip outbound.go, connectSIP). Here the official Python SDK plays that bridge, with
a slow subscription, so that what the agent says before the server has bound it would reach
nobody; and a bridge whose phone hung up ("hangup") but that never leaves the room."""
import asyncio
import json
import time
import uuid

import numpy as np
from livekit import api, rtc

from lk_caller import AGENT_RATE, KEY, SECRET, URL
from serve_support import delete_room, synthesise, wait_until

AGENT = "parley-agent"
SLOW_SUBSCRIBE_S = 1.0  # the bridge subscribes this long after reporting the answer
GREETING = "Hello, you are speaking with parley. How can I help?"  # agent.greeting's default (en)


def voiced_seconds(pcm, rate, level=300):
    """From the first to the last 10 ms with sound: how much of a sentence was heard."""
    n = rate // 100
    loud = [i for i in range(0, len(pcm) - n, n) if np.abs(pcm[i:i + n].astype(np.int32)).mean() > level]
    return (loud[-1] - loud[0] + n) / rate if loud else 0.0


class SlowBridge:
    """A SIP bridge's participant: kind SIP, its call status as an attribute, a microphone of
    silence, and the agent's audio subscribed only when subscribe() is called."""

    def __init__(self, room_name, identity="sip_+15550123"):
        self.room_name = room_name
        self.identity = identity
        self.room = rtc.Room()
        self.agent_publication = None
        self.agent_audio = []
        self.tasks = []

    async def join(self):
        token = (api.AccessToken(KEY, SECRET).with_identity(self.identity).with_kind("sip")
                 .with_attributes({"sip.callStatus": "ringing", "sip.phoneNumber": "+15550123"})
                 .with_grants(api.VideoGrants(room_join=True, room=self.room_name, can_update_own_metadata=True))
                 .to_jwt())
        self.room.on("track_published", self._on_published)
        self.room.on("track_subscribed", self._on_track)
        await self.room.connect(URL, token, rtc.RoomOptions(auto_subscribe=False))
        for p in self.room.remote_participants.values():
            for pub in p.track_publications.values():
                self._on_published(pub, p)
        self.source = rtc.AudioSource(16000, 1)
        track = rtc.LocalAudioTrack.create_audio_track("phone", self.source)
        await self.room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
        self.tasks.append(asyncio.ensure_future(self._microphone()))

    def _on_published(self, publication, participant):
        if participant.identity == AGENT and publication.kind == rtc.TrackKind.KIND_AUDIO:
            self.agent_publication = publication

    def _on_track(self, track, publication, participant):
        if participant.identity == AGENT and track.kind == rtc.TrackKind.KIND_AUDIO:
            self.tasks.append(asyncio.ensure_future(self._record(track)))

    async def _microphone(self):
        frame = rtc.AudioFrame.create(16000, 1, 160)
        while True:
            await self.source.capture_frame(frame)

    async def _record(self, track):
        async for ev in rtc.AudioStream(track, sample_rate=AGENT_RATE, num_channels=1):
            self.agent_audio.append(np.frombuffer(ev.frame.data, dtype=np.int16).copy())

    def subscribe(self):
        self.agent_publication.set_subscribed(True)

    async def set_status(self, status):
        await self.room.local_participant.set_attributes({"sip.callStatus": status})

    def agent_in_room(self):
        return AGENT in {p.identity for p in self.room.remote_participants.values()}

    async def close(self):
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.room.disconnect()


async def until(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(0.02)


async def answered_late_then_hung_up(serve, room):
    bridge = SlowBridge(room)
    await bridge.join()
    try:
        await until(lambda: serve.find("waiting for the caller's phone to be answered", room=room), 30,
                    "the agent waiting for the answer")
        await until(lambda: bridge.agent_publication is not None, 10, "the agent's track")
        await bridge.set_status("active")
        await asyncio.sleep(SLOW_SUBSCRIBE_S)  # the scenario: a bridge slow to subscribe
        subscribed_at = time.time()
        bridge.subscribe()
        greeted = await asyncio.to_thread(wait_until, lambda: serve.find("greeting audible", room=room), 10,
                                          "the greeting")
        await asyncio.sleep(4)  # the greeting, said
        pcm = np.concatenate(bridge.agent_audio) if bridge.agent_audio else np.zeros(0, dtype=np.int16)
        heard = voiced_seconds(pcm, AGENT_RATE)
        # The phone hangs up; the bridge stays in the room.
        await bridge.set_status("hangup")
        hung_up = time.monotonic()
        await until(lambda: not bridge.agent_in_room(), 10, "the agent to leave after the hang-up")
        left_after = time.monotonic() - hung_up
    finally:
        await bridge.close()
    return subscribed_at, greeted, heard, left_after


def test_the_agent_speaks_once_a_slow_bridge_listens_and_leaves_when_its_phone_hangs_up(serve, tmp_path):
    room = "pytest-agent-bridge-" + uuid.uuid4().hex[:8]
    try:
        subscribed_at, greeted, heard, left_after = asyncio.run(answered_late_then_hung_up(serve, room))
        record = serve.call_record(room)
    finally:
        asyncio.run(delete_room(room))
    first_frame = greeted["greeting"]["first_frame_unix"]
    said = voiced_seconds(synthesise(GREETING, str(tmp_path / "greeting.wav")), 16000)
    print(f"greeting's first frame {first_frame - subscribed_at:+.3f}s after the bridge asked for the agent's "
          f"audio; the bridge heard {heard:.2f}s of its {said:.2f}s of voice; the agent left {left_after:.2f}s "
          f"after the hang-up")
    # Nothing was said before the bridge could hear it, so the greeting is heard from its first word
    # (word by word, a recogniser is not sure enough of a greeting's first syllable through Opus).
    assert first_frame > subscribed_at, json.dumps(greeted["greeting"])
    assert abs(heard - said) < 0.1, (heard, said)
    assert not serve.find("the server reported no subscriber of the agent's audio; speaking anyway", room=room)
    # The hang-up ended the call while the bridge was still in the room.
    assert left_after < 5, left_after
    assert record["call"]["reason"] == "caller_left", record["call"]
    assert record["call"]["caller"] == "sip_+15550123"
