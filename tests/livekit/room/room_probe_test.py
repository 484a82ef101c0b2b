"""parley's Room (through tests/livekit/room/room_probe) against the real livekit-server, with the
official Python SDK (lk_peer.py) as the other participant: data packets and text streams both
ways, resuming after a cut signal connection, rejoining after a server restart, ICE-TCP, and
garbage thrown at the media port. Needs the local stack (ctest fixture livekit_stack),
PARLEY_PROBE, PARLEY_BIN (for tts) and, for the restart tests, PARLEY_RUN_DIR of that stack.
"""
import os

from room_support import leave, room_name, start_peer, start_probe

# Above 15 000 bytes and with multi-byte UTF-8, so the text goes out in several chunks that
# must not split a character.
LONG_CHAT = "Grüße aus dem Raum, ünïcödé ✓ — " * 700


def test_data_and_chat_cross_both_ways():
    room = room_name("data")
    probe = start_probe(room, "parley-probe")
    probe.wait("joined")
    peer = start_peer("data", "--room", room, "--identity", "py-data", "--peer", "parley-probe",
                      "--send", "hello from python", "--chat", LONG_CHAT, "--timeout", "20")
    peer.wait("ready")
    probe.wait("participant_joined", where=lambda ev: ev["identity"] == "py-data")

    # python -> parley
    data = probe.wait("data", timeout=20)
    assert (data["from"], data["topic"], data["payload"]) == ("py-data", "parley-test", "hello from python")
    text = probe.wait("text", timeout=20)
    assert (text["from"], text["topic"]) == ("py-data", "lk.chat")
    assert text["text"] == LONG_CHAT, f"{len(text['text'])} of {len(LONG_CHAT)} characters"
    assert text["attributes"].get("from") == "python"

    # parley -> python
    probe.send("send_data parley-test hello from parley")
    probe.wait("sent", where=lambda ev: ev["what"] == "send_data")
    probe.send("send_text lk.chat " + LONG_CHAT)
    probe.wait("sent", where=lambda ev: ev["what"] == "send_text")
    got = peer.wait("data", timeout=20)
    assert (got["identity"], got["topic"], got["payload"]) == ("parley-probe", "parley-test", "hello from parley")
    chat = peer.wait("chat", timeout=20)
    assert (chat["identity"], chat["topic"]) == ("parley-probe", "lk.chat")
    assert chat["text"] == LONG_CHAT, f"{len(chat['text'])} of {len(LONG_CHAT)} characters"
    assert chat["attributes"].get("from") == "parley"
    print(f"data and a {len(LONG_CHAT.encode())}-byte lk.chat stream crossed both ways")

    assert peer.finish(30) == 0
    probe.wait("participant_left", where=lambda ev: ev["identity"] == "py-data")
    assert leave(probe) == 0
