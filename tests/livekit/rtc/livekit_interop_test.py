"""Our WebRTC transport against a real livekit-server (pion), with the official Python SDK
(libwebrtc) as the other participant in the room.

This file speaks just enough of LiveKit's v0 signal protocol (WebSocket + protobuf from the
livekit-protocol package) to drive rtc_probe, which runs our C++ PeerConnections. It checks
that both of the probe's PCs connect (ICE/DTLS with pion), that the SDK participant hears the
probe's Opus sine, that the probe receives the SDK participant's Opus, and that data packets
cross our SCTP data channels both ways.
"""

import asyncio
import json
import math
import os
import struct
import subprocess

import aiohttp
import pytest
from livekit import api, rtc
from livekit.protocol import models
from livekit.protocol import rtc as proto

URL = os.environ.get("LIVEKIT_URL", "ws://127.0.0.1:7880")
KEY = os.environ.get("LIVEKIT_API_KEY", "devkey")
SECRET = os.environ.get("LIVEKIT_API_SECRET", "secret")
PROBE = os.environ.get("RTC_PROBE", "")
ROOM = "rtc-interop"
DEADLINE = 30.0


def token(identity: str) -> str:
    grants = api.VideoGrants(room_join=True, room=ROOM, can_publish=True, can_subscribe=True,
                             can_publish_data=True)
    return api.AccessToken(KEY, SECRET).with_identity(identity).with_grants(grants).to_jwt()


class Probe:
    """rtc_probe over stdin/stdout, bridged to the LiveKit signal WebSocket."""

    def __init__(self):
        self.events = []
        self.changed = asyncio.Event()
        self.proc = None
        self.ws = None

    async def start(self, session):
        self.proc = await asyncio.create_subprocess_exec(
            PROBE, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        url = f"{URL}/rtc?access_token={token('probe')}&auto_subscribe=1&protocol=17&sdk=cpp"
        self.ws = await session.ws_connect(url)
        first = await self.ws.receive()
        assert first.type == aiohttp.WSMsgType.BINARY, first
        join = proto.SignalResponse.FromString(first.data)
        assert join.WhichOneof("message") == "join", join
        self.join = join.join

    def send_probe(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())

    async def send_signal(self, **kwargs):
        await self.ws.send_bytes(proto.SignalRequest(**kwargs).SerializeToString())

    async def pump_probe(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return
            ev = json.loads(line)
            self.events.append(ev)
            self.changed.set()
            kind = ev["ev"]
            if kind == "offer":
                await self.send_signal(offer=proto.SessionDescription(type="offer", sdp=ev["sdp"]))
            elif kind == "answer":
                await self.send_signal(answer=proto.SessionDescription(type="answer", sdp=ev["sdp"]))
            elif kind == "candidate":
                target = proto.SignalTarget.PUBLISHER if ev["target"] == "pub" else proto.SignalTarget.SUBSCRIBER
                await self.send_signal(trickle=proto.TrickleRequest(candidateInit=ev["init"], target=target))

    async def pump_signal(self):
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.BINARY:
                continue
            res = proto.SignalResponse.FromString(msg.data)
            which = res.WhichOneof("message")
            if which == "offer":
                self.send_probe({"op": "offer", "sdp": res.offer.sdp})
            elif which == "answer":
                self.send_probe({"op": "answer", "sdp": res.answer.sdp})
            elif which == "trickle":
                target = "pub" if res.trickle.target == proto.SignalTarget.PUBLISHER else "sub"
                self.send_probe({"op": "candidate", "target": target, "init": res.trickle.candidateInit})
            elif which == "track_published":
                self.events.append({"ev": "track_published", "cid": res.track_published.cid,
                                    "sid": res.track_published.track.sid})
                self.changed.set()

    async def keepalive(self):
        while True:
            await asyncio.sleep(4)
            ts = int(asyncio.get_running_loop().time() * 1000)
            await self.send_signal(ping_req=proto.Ping(timestamp=ts))

    async def wait_for(self, pred, what):
        loop = asyncio.get_running_loop()
        end = loop.time() + DEADLINE
        while True:
            for ev in self.events:
                if pred(ev):
                    return ev
            left = end - loop.time()
            if left <= 0:
                raise AssertionError(f"probe: timed out waiting for {what}; events: {self.events[-15:]}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def stop(self):
        if self.proc and self.proc.returncode is None:
            self.send_probe({"op": "quit"})
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                self.proc.kill()
        if self.ws:
            await self.ws.close()


async def feed_sine(source: rtc.AudioSource, stop: asyncio.Event):
    n = 0
    while not stop.is_set():
        samples = [int(8000 * math.sin(2 * math.pi * 330 * (n + i) / 48000)) for i in range(480)]
        frame = rtc.AudioFrame(struct.pack(f"<{len(samples)}h", *samples), 48000, 1, 480)
        await source.capture_frame(frame)
        n += 480


async def scenario():
    assert PROBE and os.path.exists(PROBE), "RTC_PROBE must point at the rtc_probe binary"
    async with aiohttp.ClientSession() as session:
        probe = Probe()
        listener = rtc.Room()
        tasks = []
        stop = asyncio.Event()
        heard = {"frames": 0, "energy": 0.0}
        received_data = []
        try:
            await probe.start(session)
            tasks += [asyncio.create_task(probe.pump_probe()), asyncio.create_task(probe.pump_signal()),
                      asyncio.create_task(probe.keepalive())]

            @listener.on("track_subscribed")
            def on_track(track, publication, participant):
                if participant.identity != "probe":
                    return

                async def listen():
                    async for event in rtc.AudioStream(track, sample_rate=48000, num_channels=1):
                        pcm = struct.unpack(f"<{len(event.frame.data)}h", bytes(event.frame.data))
                        heard["frames"] += 1
                        heard["energy"] += sum(s * s for s in pcm) / max(1, len(pcm))
                tasks.append(asyncio.create_task(listen()))

            @listener.on("data_received")
            def on_data(packet):
                received_data.append(bytes(packet.data))

            await listener.connect(URL, token("listener"))
            source = rtc.AudioSource(48000, 1)
            track = rtc.LocalAudioTrack.create_audio_track("sine", source)
            await listener.local_participant.publish_track(
                track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
            tasks.append(asyncio.create_task(feed_sine(source, stop)))

            # Publish: AddTrack with the msid track id as cid, then our offer.
            await probe.send_signal(add_track=proto.AddTrackRequest(
                cid="TR_probe", name="probe-sine", type=models.TrackType.AUDIO,
                source=models.TrackSource.MICROPHONE, disable_red=True))
            probe.send_probe({"op": "publish", "track_id": "TR_probe"})

            await probe.wait_for(lambda e: e["ev"] == "track_published" and e["cid"] == "TR_probe",
                                 "TrackPublished")
            await probe.wait_for(lambda e: e["ev"] == "state" and e["target"] == "pub" and e["state"] == "connected",
                                 "publisher PC connected")
            await probe.wait_for(lambda e: e["ev"] == "state" and e["target"] == "sub" and e["state"] == "connected",
                                 "subscriber PC connected")
            # The probe hears the SDK participant's Opus through its subscriber PC.
            await probe.wait_for(lambda e: e["ev"] == "audio" and e["target"] == "sub" and e["packets"] > 50,
                                 "50 Opus packets on the subscriber PC")
            # Data over our publisher PC's _reliable channel reaches the SDK participant.
            await probe.wait_for(lambda e: e["ev"] == "open" and e["target"] == "pub" and e["label"] == "_reliable",
                                 "_reliable open")
            packet = models.DataPacket(kind=models.DataPacket.Kind.RELIABLE,
                                       user=models.UserPacket(payload=b"probe-hello", topic="t"))
            probe.send_probe({"op": "send_data", "label": "_reliable", "hex": packet.SerializeToString().hex()})
            # And the SDK participant's data reaches the probe (subscriber PC channels).
            await listener.local_participant.publish_data(b"listener-hello", reliable=True, topic="t")
            await probe.wait_for(lambda e: e["ev"] == "data" and b"listener-hello".hex() in e["hex"],
                                 "the listener's data packet")

            loop = asyncio.get_running_loop()
            end = loop.time() + DEADLINE
            while loop.time() < end and (heard["frames"] < 100 or not received_data):
                await asyncio.sleep(0.1)
            assert received_data == [b"probe-hello"], received_data
            assert heard["frames"] >= 100, heard
            # A sine of amplitude 8000 has a mean square of 3.2e7; silence would be ~0.
            assert heard["energy"] / heard["frames"] > 1e6, heard
        finally:
            stop.set()
            await probe.stop()
            await listener.disconnect()
            for t in tasks:
                t.cancel()


def ensure_non_loopback_interface():
    """libwebrtc (inside the Python SDK) never gathers on loopback interfaces, and the test's
    network namespace has only lo: give it a veth pair that exists only inside the namespace,
    so nothing leaves the machine."""
    if os.environ.get("PARLEY_IN_NETNS") != "1":
        return
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    if "parley-v0" in links:
        return
    for cmd in (["ip", "link", "add", "parley-v0", "type", "veth", "peer", "name", "parley-v1"],
                ["ip", "addr", "add", "10.213.0.1/24", "dev", "parley-v0"],
                ["ip", "addr", "add", "10.213.0.2/24", "dev", "parley-v1"],
                ["ip", "link", "set", "parley-v0", "up"], ["ip", "link", "set", "parley-v1", "up"]):
        subprocess.run(cmd, check=True)


def test_probe_against_livekit_server():
    ensure_non_loopback_interface()
    asyncio.run(asyncio.wait_for(scenario(), 90))
