"""parley's Room (through tests/livekit/room/room_probe) against the real livekit-server, with the
official Python SDK (lk_peer.py) as the other participant: data packets and text streams both
ways, resuming after a cut signal connection, rejoining after a server restart, ICE-TCP, and
garbage thrown at the media port. Needs the local stack (ctest fixture livekit_stack),
PARLEY_PROBE, PARLEY_BIN (for tts) and, for the restart tests, PARLEY_RUN_DIR of that stack.
"""
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest

from hostile_packets import blast, tcp_garbage
from room_support import (ENV, assert_windows_match, best_correlation, describe, envelope, leave, read_wav, resample,
                          room_name, start_peer, start_probe, tts, windowed_match, write_wav, envelope_16k)

STACK = os.environ.get("PARLEY_STACK", os.path.join(os.path.dirname(__file__), "../../../scripts/stack.sh"))

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


def test_parley_is_told_when_its_track_first_has_a_listener(long_speech, tmp_path):
    """livekit-server tells a publisher when a subscriber's copy of its track is bound
    (TrackSubscribed): what it sends from then on is heard. The agent holds its first words for it
    (a phone bridge subscribes only once the phone is answered). Alone in the room, parley's
    published track has no listener; once a Python participant subscribes, parley is told, and
    for that very track."""
    room = room_name("listener")
    probe = start_probe(room, "parley-probe")
    probe.wait("joined")
    probe.send("publish_wav " + long_speech)
    published = probe.wait("published")
    time.sleep(2)  # the scenario: a published track nobody has subscribed to
    assert not [e for e in probe.drain() if e["event"] == "local_track_subscribed"], probe.summary()
    peer = start_peer("record", "--room", room, "--identity", "py-ear", "--from", "parley-probe",
                      "--seconds", "2", "--out", str(tmp_path / "heard.wav"))
    told = probe.wait("local_track_subscribed", timeout=20)
    assert told["track"] == published["track"]
    peer.wait("subscribed", timeout=20)
    assert peer.finish(30) == 0, peer.stderr_lines[-10:]
    assert leave(probe) == 0


# ---- audio across a cut signal connection and a server restart ----

PARAGRAPH = [
    "please call me back tomorrow morning at nine o'clock about the meeting",
    "the weather will be cold and windy with some rain in the afternoon",
    "my flight leaves at half past six so i need a taxi to the airport",
    "thank you for your order it will be delivered on monday",
    "we have three rooms available for the weekend at the lake",
    "the library closes at eight but the cafe stays open until ten",
    "remember to bring your passport and a warm jacket for the trip",
]


@pytest.fixture(scope="module")
def long_speech():
    """About 26 s of speech, sentence after sentence (flite); under the 30 s a track queues."""
    d = tempfile.mkdtemp(prefix="parley-probe-")
    parts = []
    for i, sentence in enumerate(PARAGRAPH):
        rate, pcm = read_wav(tts(sentence, os.path.join(d, f"s{i}.wav")))
        parts += [pcm, np.zeros(rate // 4)]
    path = os.path.join(d, "paragraph.wav")
    write_wav(path, rate, np.concatenate(parts))
    return path


def test_audio_continues_after_the_signal_is_cut(long_speech, tmp_path):
    """The signal WebSocket dies mid-call: parley resumes (not a full rejoin) and its audio keeps
    reaching the Python peer, in the same timeline (the media path never stopped)."""
    room = room_name("resume")
    rec = str(tmp_path / "heard.wav")
    probe = start_probe(room, "parley-probe")
    probe.wait("joined")
    peer = start_peer("record", "--room", room, "--identity", "py-ear", "--from", "parley-probe",
                      "--seconds", "16", "--out", rec)
    peer.wait("ready")
    probe.send("publish_wav " + long_speech)
    probe.wait("published")
    subscribed = peer.wait("subscribed", timeout=20)
    # 6 s of audio before the cut: three 2 s windows to compare (assert_windows_match)
    peer.wait("heard", timeout=30, where=lambda ev: ev["seconds"] >= 6)
    probe.send("drop_signal")
    dropped = probe.wait("signal_dropped")
    back = probe.wait("reconnected", timeout=20)
    assert back["full"] is False, "the session should resume, not rejoin"
    resume_s = back["t"] - dropped["t"]
    assert peer.finish(60) == 0, peer.stderr_lines[-10:]
    assert not [e for e in probe.seen if e["event"] == "disconnected"]

    ref, got = envelope_16k(long_speech), envelope_16k(rec)
    whole, lag = best_correlation(ref, got)
    cut = int((dropped["t"] - subscribed["t"]) * 100)  # in 10 ms steps of the recording
    resumed = int((back["t"] - subscribed["t"]) * 100) + 50
    speech_end = min(len(got), len(ref) + lag)
    before = windowed_match(ref, got, lag, 100, cut)
    after = windowed_match(ref, got, lag, resumed, speech_end)
    print(f"resume: signal back {resume_s:.3f} s after the cut (at {cut / 100:.1f} s of the recording); "
          f"whole envelope correlation {whole:.3f} at {lag / 100:+.2f} s")
    print(f"resume: 2 s windows before the cut: {describe(before)}")
    print(f"resume: 2 s windows after it: {describe(after)}")
    assert len(after) >= 5, "the recording should go on well past the cut"
    assert_windows_match(before, "before the cut")
    assert_windows_match(after, "after the cut")
    assert leave(probe) == 0


def test_parley_rejoins_after_a_server_restart(long_speech, tmp_path):
    """livekit-server restarts: parley's resume fails, it rejoins in full, republishes its track,
    and a peer that joins afterwards hears it."""
    room = room_name("restart")
    probe = start_probe(room, "parley-probe")
    probe.wait("joined")
    probe.send("publish_wav " + long_speech)
    probe.wait("published")
    time.sleep(1)
    t0 = time.monotonic()
    out = subprocess.run([STACK, "restart-server"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    restarted = time.monotonic()
    back = probe.wait("reconnected", timeout=30)
    assert back["full"] is True, "a restarted server knows no session to resume"
    print(f"restart: server down and up in {restarted - t0:.2f} s; parley rejoined "
          f"{back['t'] - t0:.2f} s after the restart began")

    rec = str(tmp_path / "after.wav")
    peer = start_peer("record", "--room", room, "--identity", "py-late", "--from", "parley-probe",
                      "--seconds", "7", "--out", rec)
    peer.wait("subscribed", timeout=20)
    peer.wait("recorded", timeout=30)
    assert peer.finish(60) == 0, peer.stderr_lines[-10:]
    ref, got = envelope_16k(long_speech), envelope_16k(rec)
    whole, lag = best_correlation(ref, got)
    windows = windowed_match(ref, got, lag, 0, min(len(got), len(ref) + lag))
    print(f"restart: the late peer's 7 s start at {-lag / 100:.2f} s of the original (correlation {whole:.3f}); "
          f"2 s windows: {describe(windows)}")
    assert_windows_match(windows, "after the restart")
    assert not [e for e in probe.seen if e["event"] == "disconnected"]
    assert leave(probe) == 0


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def server_refuses():
    """True once nothing listens on the server's port (a stopped server may linger as a zombie)."""
    url = urllib.parse.urlparse(ENV["LIVEKIT_URL"])
    try:
        socket.create_connection((url.hostname, url.port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True


def log_lines(probe, message):
    return [l for l in probe.stderr_lines if message in l]


def test_parley_first_join_waits_for_a_server_that_is_down(long_speech):
    """livekit-server is down when parley joins: the first join is tried again with the rejoin
    backoff (connection refused passes), and succeeds once the server is back."""
    room = room_name("firstjoin")
    # The stack's own stop (SIGTERM, then SIGKILL after 5 s, as restart-server does): a draining
    # livekit-server waits for every participant to leave, and a peer an earlier test left behind
    # until the server's timeout once kept it up past 15 s.
    out = subprocess.run([STACK, "stop-server"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    try:
        wait_until(server_refuses, 15, "livekit-server did not stop")
        probe = start_probe(room, "parley-probe", "--join-attempts", "8")
        wait_until(lambda: log_lines(probe, "joining the room failed, trying again"), 20,
                   "the probe did not try again after its first join was refused")
    finally:
        t0 = time.monotonic()
        out = subprocess.run([STACK, "restart-server"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    back = time.monotonic()
    joined = probe.wait("joined", timeout=40)
    tries = len(log_lines(probe, "joining the room failed, trying again"))
    print(f"first join: the server was back {back - t0:.2f} s after it was started; parley joined "
          f"{joined['t'] - back:.2f} s later, after {tries} refused tries")
    assert not [e for e in probe.seen if e["event"] == "error"]
    probe.send("publish_wav " + long_speech)
    probe.wait("published")
    assert leave(probe) == 0


def test_parley_first_join_with_a_refused_token_stops_at_once():
    """A token the server refuses (401) will not pass by waiting: the first join fails at once,
    whatever join_attempts says, and the error names the fix."""
    room = room_name("badtoken")
    t0 = time.monotonic()
    probe = start_probe(room, "parley-probe", "--join-attempts", "8", "--api-secret", "not-the-secret-at-all-0123456789")
    err = probe.wait("error", timeout=20)
    took = err["t"] - t0
    print(f"bad token: the join failed after {took:.2f} s: {err['message']}")
    assert "401" in err["message"] and "API key and secret" in err["message"], err
    assert not log_lines(probe, "trying again")
    assert took < 3
    probe.finish(10)


def test_parley_stops_rejoining_when_its_token_is_refused():
    """livekit-server restarts with another secret: parley's rejoin gets 401, which waiting will
    not cure, so the room ends at once with the reason instead of spending its tries."""
    room = room_name("rejoin401")
    probe = start_probe(room, "parley-probe")
    probe.wait("joined")
    env = dict(os.environ, PARLEY_STACK_SERVER_SECRET="another-secret-0123456789abcdef")
    try:
        out = subprocess.run([STACK, "restart-server"], capture_output=True, text=True, timeout=60, env=env)
        assert out.returncode == 0, out.stderr
        back = time.monotonic()
        gone = probe.wait("disconnected", timeout=40)
    finally:
        out = subprocess.run([STACK, "restart-server"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    refused = log_lines(probe, "rejoin refused, not trying again")
    print(f"rejoin 401: the room ended {gone['t'] - back:.2f} s after the server was back: {gone['error']}")
    assert "401" in gone["error"] and "not retried" in gone["error"], gone
    assert len(refused) == 1
    assert not [l for l in log_lines(probe, "rejoin failed, trying again") if "HTTP 401" in l]
    assert gone["t"] - back < 5
    probe.proc.kill()  # the room is gone; nothing of it is left to leave
    probe.finish(10)


def token_refused(token):
    """The server's own verdict on a token (/rtc/validate): True once it refuses it."""
    url = ENV["LIVEKIT_URL"].replace("ws://", "http://") + "/rtc/validate?access_token=" + token
    try:
        urllib.request.urlopen(url, timeout=5)
        return False
    except urllib.error.HTTPError as e:
        return e.code == 401


def test_parley_rejoins_with_a_refresh_token_after_its_join_token_expired(long_speech):
    """A long call: the token parley joined with has expired (its 1 s TTL plus the server's
    leeway), then livekit-server restarts. The rejoin must use the server's newest refresh
    token, not the expired join token, or the restarted server refuses it."""
    room = room_name("refresh")
    probe = start_probe(room, "parley-probe", "--token-ttl", "1")
    joined = probe.wait("joined")
    probe.send("publish_wav " + long_speech)
    probe.wait("published")
    t0 = time.monotonic()
    deadline = time.monotonic() + 120
    while not token_refused(joined["token"]):
        assert time.monotonic() < deadline, "the server still accepts the expired join token"
        time.sleep(1)
    print(f"refresh: the join token refused {time.monotonic() - t0:.1f} s after joining")
    out = subprocess.run([STACK, "restart-server"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    back = probe.wait("reconnected", timeout=40)
    assert back["full"] is True
    assert not [e for e in probe.seen if e["event"] == "disconnected"]
    assert leave(probe) == 0


# ---- garbage on the media port ----

def test_garbage_on_the_media_ports_neither_crashes_nor_drops_the_call(long_speech, tmp_path):
    """Mid-call, thousands of hostile datagrams (random bytes, truncated STUN with the magic
    cookie, RTP/RTCP with absurd lengths, DTLS records, SCTP chunks) hit parley's ICE ports, half
    of them forged to come from the server's own address so they get past ICE to DTLS, SRTP and
    SCTP; TCP listeners get lying RFC 4571 frames. parley must stay in the call: its audio keeps
    reaching the peer, and it leaves cleanly."""
    room = room_name("hostile")
    rec = str(tmp_path / "heard.wav")
    # trace: parley logs each datagram DTLS or SRTP refused, which shows the garbage got that far.
    probe = start_probe(room, "parley-probe", "--log-level", "trace")
    probe.wait("joined")
    peer = start_peer("record", "--room", room, "--identity", "py-ear", "--from", "parley-probe",
                      "--seconds", "18", "--out", rec)
    peer.wait("ready")
    # And audio the other way, so the garbage meets SRTP and the jitter buffer on parley's side.
    mouth = start_peer("publish", "--room", room, "--identity", "py-mouth", "--wav", long_speech,
                       "--wait-for", "parley-probe", "--lead", "0.5")
    probe.send("publish_wav " + long_speech)
    probe.wait("published")
    subscribed = peer.wait("subscribed", timeout=20)
    probe.wait("track_subscribed", timeout=20, where=lambda ev: ev["from"] == "py-mouth")
    pair = probe.wait("selected_pair")
    server = pair["remote"].split()[4:6]  # candidate:f c udp prio ADDR PORT typ host
    peer.wait("heard", timeout=30, where=lambda ev: ev["seconds"] >= 3)  # the call is flowing first
    probe.send("ports")
    ports = probe.wait("ports")
    udp = [(p["address"], p["port"]) for p in ports["udp"]]
    listening = [(p["address"], p["port"]) for p in ports["tcp"] if p["state"] == "0A"]
    assert udp, ports
    t_start = time.monotonic()
    counts = blast(udp, 6.0, forge_from=(server[0], int(server[1])))
    made = tcp_garbage(listening)
    t_end = time.monotonic()
    print(f"hostile: {sum(v for k, v in counts.items() if k != 'forged')} datagrams to each of UDP ports "
          f"{[p for _, p in udp]} ({counts}), forged from {server[0]}:{server[1]}; "
          f"{made} TCP connections to {[p for _, p in listening]}")
    assert probe.proc.poll() is None, "parley died under the garbage"
    log = probe.stderr_lines
    refused = {what: sum(what in line for line in log)
               for what in ("dtls: dropped a record", "rtc: dropped an RTP packet")}
    print(f"hostile: parley's log shows {refused}")
    assert all(refused.values()), "the garbage should have reached DTLS and SRTP"
    assert peer.finish(60) == 0, peer.stderr_lines[-10:]

    ref, got = envelope_16k(long_speech), envelope_16k(rec)
    whole, lag = best_correlation(ref, got)
    before = windowed_match(ref, got, lag, 100, int((t_start - subscribed["t"]) * 100))
    during = windowed_match(ref, got, lag, int((t_start - subscribed["t"]) * 100), int((t_end - subscribed["t"]) * 100))
    after = windowed_match(ref, got, lag, int((t_end - subscribed["t"]) * 100) + 50, min(len(got), len(ref) + lag))
    print(f"hostile: 2 s windows before the blast: {describe(before)}")
    print(f"hostile: 2 s windows during the blast: {describe(during)}")
    print(f"hostile: 2 s windows after it: {describe(after)}")
    assert_windows_match(after, "after the garbage")
    # What parley heard from py-mouth each second, from the blast on.
    probe.drain()
    heard = [(round(ev["t"] - t_start), ev["frames"], round(ev["rms"])) for ev in probe.seen
             if ev["event"] == "audio" and ev["from"] == "py-mouth" and ev["t"] > t_start]
    print(f"hostile: parley heard py-mouth (second, frames, rms): {heard}")
    after_blast = [(f, r) for t, f, r in heard if t > t_end - t_start + 1]
    assert len(after_blast) >= 3 and all(f >= 45 for f, _ in after_blast) and \
        sum(r > 100 for _, r in after_blast) >= len(after_blast) // 2, heard
    mouth.finish(60)
    assert not [e for e in probe.seen if e["event"] in ("disconnected", "reconnected")], \
        [e for e in probe.seen if e["event"] in ("disconnected", "reconnected")]
    assert leave(probe) == 0


# ---- ICE over TCP ----

def udp_dropped():
    """Datagrams the `stack.sh udp off` queue has dropped so far."""
    out = subprocess.run(["tc", "-s", "qdisc", "show", "dev", "lo"], capture_output=True, text=True).stdout
    m = re.search(r"qdisc pfifo 10:.*?dropped (\d+)", out, re.S)
    return int(m.group(1)) if m else 0


def test_ice_over_tcp_when_the_servers_udp_is_unreachable(long_speech, tmp_path):
    """Every datagram to or from the server's UDP port is dropped (stack.sh udp off): parley's ICE
    must pick TCP (active, to the server's 7881) on both PeerConnections, and audio must flow."""
    out = subprocess.run([STACK, "udp", "off"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    try:
        room = room_name("tcp")
        rec = str(tmp_path / "heard.wav")
        probe = start_probe(room, "parley-probe")
        joined = probe.wait("joined", timeout=30)
        pairs = [probe.wait("selected_pair", timeout=10) for _ in range(2)]
        print(f"tcp: parley joined {joined['t'] - probe.started:.2f} s after it started; selected pairs: "
              f"{[(p['local'], p['remote']) for p in pairs]}")
        for p in pairs:
            assert p["transport"] == "tcp" and " tcp " in p["remote"] and " 7881 " in p["remote"], p
        peer = start_peer("record", "--room", room, "--identity", "py-ear", "--from", "parley-probe",
                          "--seconds", "9", "--out", rec)
        peer.wait("ready", timeout=30)
        mouth = start_peer("publish", "--room", room, "--identity", "py-mouth", "--wav", long_speech,
                           "--wait-for", "parley-probe", "--lead", "0.5")
        probe.send("publish_wav " + long_speech)
        probe.wait("published")
        assert peer.finish(60) == 0, peer.stderr_lines[-10:]
        probe.drain()
        heard = [(ev["frames"], round(ev["rms"])) for ev in probe.seen if ev["event"] == "audio" and ev["from"] == "py-mouth"]
        print(f"tcp: parley heard py-mouth over TCP (frames, rms per second): {heard}")
        full = heard[1:-1]
        assert len(full) >= 4 and all(f >= 45 for f, _ in full) and sum(r > 100 for _, r in full) >= len(full) // 2, heard
        ref, got = envelope_16k(long_speech), envelope_16k(rec)
        whole, lag = best_correlation(ref, got)
        windows = windowed_match(ref, got, lag, 100, min(len(got), len(ref) + lag))
        dropped = udp_dropped()
        print(f"tcp: python heard parley over TCP: {describe(windows)}; UDP datagrams dropped on lo: {dropped}")
        assert_windows_match(windows, "over TCP")
        assert dropped > 0, "the UDP block never dropped anything: was UDP really off?"
        assert leave(probe) == 0
        mouth.finish(60)
    finally:
        subprocess.run([STACK, "udp", "on"], capture_output=True, text=True, timeout=30)


# ---- a track the server stops sending ----

def update_subscriptions(room, identity, track_sid, subscribe):
    """RoomService.UpdateSubscriptions through the official server-API client."""
    import asyncio
    from livekit import api

    async def call():
        lk = api.LiveKitAPI(ENV["LIVEKIT_URL"].replace("ws://", "http://"), ENV["LIVEKIT_API_KEY"],
                            ENV["LIVEKIT_API_SECRET"])
        try:
            await lk.room.update_subscriptions(api.UpdateSubscriptionsRequest(
                room=room, identity=identity, track_sids=[track_sid], subscribe=subscribe))
        finally:
            await lk.aclose()
    asyncio.run(call())


def test_parley_asks_again_for_a_track_the_server_stopped_sending(long_speech):
    """The server stops sending a caller's published track to parley (here an operator's
    UpdateSubscriptions; in the wild, a subscription the server gave up on or that never bound):
    parley notices a published audio track it is not offered, asks for it again, and hears it
    again, without leaving the room. A caller whose track is never offered is a lost call."""
    room = room_name("resubscribe")
    probe = start_probe(room, "parley-probe")
    probe.wait("joined")
    peer = start_peer("publish", "--room", room, "--identity", "py-caller", "--wav", long_speech,
                      "--lead", "0.5", "--timeout", "60")
    first = probe.wait("track_subscribed", timeout=20, where=lambda ev: ev["from"] == "py-caller")
    track = first["track"]
    probe.wait("audio", timeout=15, where=lambda ev: ev["track"] == track and ev["rms"] > 100)

    update_subscriptions(room, "parley-probe", track, subscribe=False)
    dropped = probe.wait("track_unsubscribed", timeout=15, where=lambda ev: ev["track"] == track)
    again = probe.wait("track_subscribed", timeout=20, where=lambda ev: ev["track"] == track)
    heard = probe.wait("audio", timeout=15, where=lambda ev: ev["track"] == track and ev["rms"] > 100
                       and ev["t"] > again["t"])
    asked = [ln for ln in probe.stderr_lines if "asking the server for a track it has not offered" in ln]
    print(f"resubscribe: offered again {again['t'] - dropped['t']:.1f} s after the server dropped it, "
          f"speech heard {heard['t'] - again['t']:.1f} s later; asks: {len(asked)}")
    assert asked and track in asked[0], "parley should say which track it asked for"
    # The grace is 4 s: asking sooner would race the server's own offers, much later loses the call.
    assert 3.5 <= again["t"] - dropped["t"] <= 12, again["t"] - dropped["t"]
    assert not [e for e in probe.seen if e["event"] == "disconnected"]
    assert leave(probe) == 0
    peer.proc.kill()
