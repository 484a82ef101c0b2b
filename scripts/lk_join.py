#!/usr/bin/env python3
"""Joins a LiveKit room with the official Python SDK, publishes a microphone track (silence, or
a WAV file), stays a while and leaves; optionally deletes the room afterwards. An independent
client for demos and tests.

  lk_join.py ROOM [--identity ID] [--seconds S] [--wav FILE] [--delete-room]
Reads LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET."""
import argparse
import asyncio
import os
import wave

from livekit import api, rtc


async def main(a):
    url = os.environ.get("LIVEKIT_URL", "ws://127.0.0.1:7880")
    key = os.environ.get("LIVEKIT_API_KEY", "devkey")
    secret = os.environ.get("LIVEKIT_API_SECRET", "secret")
    token = (api.AccessToken(key, secret).with_identity(a.identity)
             .with_grants(api.VideoGrants(room_join=True, room=a.room)).to_jwt())
    room = rtc.Room()
    await room.connect(url, token)
    print(f"joined {a.room} as {a.identity}", flush=True)
    rate, channels, pcm = 48000, 1, None
    if a.wav:
        with wave.open(a.wav) as w:
            rate, channels, pcm = w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())
    source = rtc.AudioSource(rate, channels)
    track = rtc.LocalAudioTrack.create_audio_track("mic", source)
    await room.local_participant.publish_track(track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
    print("published a microphone track", flush=True)
    samples = rate // 100  # 10 ms frames
    frames = int(a.seconds * 100)
    for i in range(frames):
        frame = rtc.AudioFrame.create(rate, channels, samples)
        if pcm:
            chunk = pcm[i * samples * channels * 2:(i + 1) * samples * channels * 2]
            if chunk:
                frame.data[: len(chunk) // 2] = memoryview(chunk).cast("h")
        await source.capture_frame(frame)
    await room.disconnect()
    print("left", flush=True)
    if a.delete_room:
        lk = api.LiveKitAPI(url.replace("ws://", "http://").replace("wss://", "https://"), key, secret)
        try:
            await lk.room.delete_room(api.DeleteRoomRequest(room=a.room))
            print(f"deleted room {a.room}", flush=True)
        finally:
            await lk.aclose()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("room")
    p.add_argument("--identity", default="demo-caller")
    p.add_argument("--seconds", type=float, default=2)
    p.add_argument("--wav")
    p.add_argument("--delete-room", action="store_true")
    asyncio.run(main(p.parse_args()))
