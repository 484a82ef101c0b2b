"""parley serve against the real local LiveKit stack: livekit-server sends its webhooks to
parley on 127.0.0.1:8080 while the official Python SDK joins a room and publishes audio."""
import asyncio
import uuid

import numpy as np  # noqa: F401  (the rtc SDK needs it for audio frames)
import pytest
from livekit import api, rtc

from serve_support import LIVEKIT_URL, Serve, wait_until


async def join_publish_leave(room_name, published):
    """Joins, publishes a microphone track and leaves once published() says its webhook came."""
    token = (api.AccessToken("devkey", "secret").with_identity("py-caller")
             .with_grants(api.VideoGrants(room_join=True, room=room_name)).to_jwt())
    room = rtc.Room()
    await room.connect(LIVEKIT_URL, token)
    source = rtc.AudioSource(48000, 1)
    track = rtc.LocalAudioTrack.create_audio_track("mic", source)
    await room.local_participant.publish_track(track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE))
    frame = rtc.AudioFrame.create(48000, 1, 480)
    # livekit-server sends track_published when the track's first media arrives, after ICE and
    # DTLS: under load that takes more than a fixed half second of audio. So the caller keeps
    # sending paced silence until the webhook has reached parley (or 60 s pass), then leaves.
    deadline = asyncio.get_running_loop().time() + 60
    while not published():
        assert asyncio.get_running_loop().time() < deadline, "no track_published webhook within 60 s"
        for _ in range(10):  # 0.1 s of silence, paced
            await source.capture_frame(frame)
    await room.disconnect()
    lk = api.LiveKitAPI(LIVEKIT_URL.replace("ws://", "http://"), "devkey", "secret")
    try:
        await lk.room.delete_room(api.DeleteRoomRequest(room=room_name))
    finally:
        await lk.aclose()


@pytest.fixture
def serve():
    s = Serve("--no-agent", "--set", "webhook.listen=127.0.0.1:8080", "--set", 'calls.room_patterns=["pytest-live-*"]')
    yield s
    s.stop()


def test_real_webhooks_start_exactly_one_call_session(serve):
    wait_until(lambda: serve.get("/readyz")[0] == 200, 10, "/readyz 200 (LiveKit reachable)")
    room = "pytest-live-" + uuid.uuid4().hex[:8]
    before = serve.metric("parley_call_sessions_started_total")
    asyncio.run(join_publish_leave(room, lambda: serve.find("webhook verified", event="track_published", room=room)))
    for event in ["room_started", "participant_joined", "track_published", "participant_left", "room_finished"]:
        wait_until(lambda: serve.find("webhook verified", event=event, room=room), 60, f"verified {event} in the log")
        assert serve.metric("parley_webhooks_total", event=event, result="accepted") >= 1
    wait_until(lambda: serve.find("call ended", room=room), 10, "the call to end")
    admitted = [l for l in serve.lines() if l.get("msg") == "call admitted" and l.get("room") == room]
    assert len(admitted) == 1, admitted
    assert admitted[0]["caller"] == "py-caller"
    assert serve.count("call session started (logging only: no voice agent yet)", room=room) == 1
    assert serve.metric("parley_call_sessions_started_total") == before + 1
    assert serve.metric("parley_calls_active") == 0
    assert serve.metric("parley_webhook_signature_failures_total", reason="bad_signature") == 0
    serve.signal(15)
    assert serve.wait(10) == 0
