"""The independent LiveKit client for parley's room tests: the official Python SDK.

  lk_peer.py record  --room R --identity I --seconds N --out F.wav [--from IDENTITY]
  lk_peer.py publish --room R --identity I --wav F.wav [--wait-for IDENTITY] [--unpublish] [--tail S]
  lk_peer.py data    --room R --identity I --peer P --send TEXT --chat TEXT [--chat-repeat N] --timeout S

Prints one JSON line per event on stdout ({"event": "ready"} once joined) so the C++ or shell
test can follow it; exits non-zero when what it waited for did not happen.
"""
import argparse
import asyncio
import json
import os
import sys
import wave

import numpy as np
from livekit import api, rtc

URL = os.environ.get("LIVEKIT_URL", "ws://127.0.0.1:7880")
KEY = os.environ.get("LIVEKIT_API_KEY", "devkey")
SECRET = os.environ.get("LIVEKIT_API_SECRET", "secret")


def emit(event, **kw):
    print(json.dumps({"event": event, **kw}), flush=True)


def token(room, identity):
    return (api.AccessToken(KEY, SECRET).with_identity(identity)
            .with_grants(api.VideoGrants(room_join=True, room=room)).to_jwt())


async def join(room_name, identity):
    room = rtc.Room()
    await room.connect(URL, token(room_name, identity), rtc.RoomOptions(auto_subscribe=True))
    emit("ready", sid=room.local_participant.sid)
    return room


async def record(a):
    room = await join(a.room, a.identity)
    got_track = asyncio.get_running_loop().create_future()

    def on_track(track, pub, participant):
        if track.kind == rtc.TrackKind.KIND_AUDIO and (not a.sender or participant.identity == a.sender):
            if not got_track.done():
                got_track.set_result((track, participant.identity))

    room.on("track_subscribed", on_track)
    for p in room.remote_participants.values():
        for pub in p.track_publications.values():
            if pub.track and pub.kind == rtc.TrackKind.KIND_AUDIO and (not a.sender or p.identity == a.sender):
                got_track.set_result((pub.track, p.identity))
    track, who = await asyncio.wait_for(got_track, a.timeout)
    emit("subscribed", identity=who)
    stream = rtc.AudioStream(track, sample_rate=48000, num_channels=1)
    samples = []
    need = int(a.seconds * 48000)
    have = 0

    async def collect():
        nonlocal have
        async for ev in stream:
            data = np.frombuffer(ev.frame.data, dtype=np.int16)
            samples.append(data.copy())
            before = have
            have += len(data)
            if have // 48000 > before // 48000:  # each whole second heard, for tests to wait on
                emit("heard", seconds=have // 48000)
            if have >= need:
                break

    try:
        await asyncio.wait_for(collect(), a.seconds + a.timeout)
    except asyncio.TimeoutError:
        pass
    await stream.aclose()
    pcm = np.concatenate(samples) if samples else np.zeros(0, dtype=np.int16)
    with wave.open(a.out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(pcm.tobytes())
    emit("recorded", samples=int(len(pcm)))
    await room.disconnect()


async def publish(a):
    room = await join(a.room, a.identity)
    if a.wait_for:
        async def present():
            while not any(p.identity == a.wait_for for p in room.remote_participants.values()):
                await asyncio.sleep(0.05)
        await asyncio.wait_for(present(), a.timeout)
    with wave.open(a.wav, "rb") as w:
        rate, ch = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    if ch > 1:
        pcm = pcm.reshape(-1, ch).mean(axis=1).astype(np.int16)
    source = rtc.AudioSource(rate, 1)
    track = rtc.LocalAudioTrack.create_audio_track("python-mic", source)
    pub = await room.local_participant.publish_track(track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
    emit("published")
    await asyncio.sleep(a.lead)
    step = rate // 100
    for i in range(0, len(pcm), step):
        chunk = pcm[i:i + step]
        if len(chunk) < step:
            chunk = np.concatenate([chunk, np.zeros(step - len(chunk), dtype=np.int16)])
        await source.capture_frame(rtc.AudioFrame(chunk.tobytes(), rate, 1, step))
    await source.wait_for_playout()
    if a.unpublish:
        # Stop sending without leaving: the SDK would otherwise go on sending silence.
        await room.local_participant.unpublish_track(pub.sid)
        emit("unpublished")
    await asyncio.sleep(a.tail)
    emit("done")
    await room.disconnect()


async def data(a):
    room = await join(a.room, a.identity)
    loop = asyncio.get_running_loop()
    got_data = loop.create_future()
    got_chat = loop.create_future()

    def on_data(packet):
        if packet.participant and packet.participant.identity == a.peer and not got_data.done():
            got_data.set_result((packet.topic, packet.data.decode(errors="replace"), packet.participant.identity))

    def on_chat(reader, identity):
        async def read():
            text = await reader.read_all()
            if identity == a.peer and not got_chat.done():
                got_chat.set_result((text, dict(reader.info.attributes or {}), reader.info.topic, identity))
        asyncio.ensure_future(read())

    room.on("data_received", on_data)
    room.register_text_stream_handler("lk.chat", on_chat)

    async def peer_present():
        while not any(p.identity == a.peer for p in room.remote_participants.values()):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(peer_present(), a.timeout)
    await asyncio.sleep(a.lead)
    await room.local_participant.publish_data(a.send, reliable=True, topic="parley-test")
    await room.local_participant.send_text(a.chat * a.chat_repeat, topic="lk.chat", attributes={"from": "python"})
    emit("sent")
    ok = True
    try:
        topic, payload, who = await asyncio.wait_for(got_data, a.timeout)
        emit("data", topic=topic, payload=payload, identity=who)
    except asyncio.TimeoutError:
        emit("missing", what="data")
        ok = False
    try:
        text, attrs, topic, who = await asyncio.wait_for(got_chat, a.timeout)
        emit("chat", text=text, attributes=attrs, topic=topic, identity=who)
    except asyncio.TimeoutError:
        emit("missing", what="chat")
        ok = False
    await asyncio.sleep(0.5)
    await room.disconnect()
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["record", "publish", "data"])
    ap.add_argument("--room", required=True)
    ap.add_argument("--identity", required=True)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--out")
    ap.add_argument("--from", dest="sender")
    ap.add_argument("--wav")
    ap.add_argument("--wait-for")
    ap.add_argument("--peer")
    ap.add_argument("--send", default="")
    ap.add_argument("--chat", default="")
    ap.add_argument("--chat-repeat", type=int, default=1, help="send --chat this many times over, as one text")
    ap.add_argument("--lead", type=float, default=1.0)
    ap.add_argument("--tail", type=float, default=0.5)
    ap.add_argument("--unpublish", action="store_true", help="publish: unpublish after speaking, then stay --tail s")
    ap.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()
    code = 0
    try:
        if a.mode == "record":
            asyncio.run(record(a))
        elif a.mode == "publish":
            asyncio.run(publish(a))
        else:
            code = 0 if asyncio.run(data(a)) else 1
    except asyncio.TimeoutError:
        emit("timeout")
        code = 1
    # The SDK's native runtime sometimes panics while the interpreter shuts down ("panic in a
    # function that cannot unwind", exit -6) after everything above is done; leave without that
    # teardown so the caller sees this script's own result.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
