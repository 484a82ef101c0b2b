"""parley serve as a process: forged webhooks, drain on SIGTERM, reload on SIGHUP. Webhooks
are signed and written by the official LiveKit Python SDK; the LiveKit server of the local
stack answers parley's health check."""
import datetime
import os
import resource
import signal
import tempfile
import time

import pytest
from livekit.protocol import models

from serve_support import Serve, event_body, joined, left, sign, wait_until


def started(s):
    return s.metric("parley_call_sessions_started_total")


def test_forged_webhooks_are_refused_and_not_acted_on():
    s = Serve("--no-agent", "--set", "webhook.listen=127.0.0.1:0", "--set", 'calls.room_patterns=["forge-*"]')
    try:
        body = joined("EV_forge1", "forge-1", "mallory")
        tampered = body.replace("mallory", "mallorz")
        wrong_shape = '{"event": "participant_joined", "participant": "x"}'
        cases = [
            ("no header", s.post(body), 401),
            ("unknown key", s.post(body, sign(body, key="APIunknown")), 401),
            ("wrong secret", s.post(body, sign(body, secret="not-the-secret")), 401),
            ("tampered body", s.post(tampered, sign(body)), 401),
            ("expired", s.post(body, sign(body, ttl=datetime.timedelta(minutes=-5))), 401),
            ("10 MB body", s.post(b"x" * (10 << 20), sign(b"x" * (10 << 20))), 413),
            ("wrong content type", s.post(body, sign(body), content_type="text/plain"), 415),
            ("invalid JSON", s.post("{oops", sign("{oops")), 400),
            ("wrong shape", s.post(wrong_shape, sign(wrong_shape)), 400),
        ]
        for name, (status, text), want in cases:
            assert status == want, f"{name}: {status} {text}"
        assert started(s) == 0
        for reason in ["missing", "unknown_key", "bad_signature", "body_mismatch", "expired"]:
            assert s.metric("parley_webhook_signature_failures_total", reason=reason) == 1, reason
        refusals = [l for l in s.lines() if l.get("msg") == "webhook refused"]
        assert any("unknown API key 'APIunknown'" in l["why"] for l in refusals)
        assert "not-the-secret" not in open(s.log_path).read()
        # Every 401 reads the same, so a stranger cannot tell an unknown key from a wrong secret.
        assert len({text for name, (status, text), want in cases if want == 401}) == 1
        # serve raised its open-file soft limit to the hard limit at start.
        limit = s.find("open-file limit")
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        assert limit and (hard == resource.RLIM_INFINITY or limit["soft"] == hard), limit
        # The genuine event is acted on once, however often it is replayed.
        assert s.post(body, sign(body))[0] == 200
        for _ in range(3):
            assert s.post(body, sign(body)) == (200, "duplicate\n")
        wait_until(lambda: started(s) == 1, 5, "one session")
        time.sleep(0.2)
        assert started(s) == 1
        assert s.count("call admitted", room="forge-1") == 1
        assert s.proc.poll() is None
        assert s.get("/healthz")[0] == 200
    finally:
        s.stop()


def test_drain_on_sigterm():
    # Webhooks only: these rooms exist in the webhooks, not on the server, and the reconciler
    # would drop the queued one as gone.
    s = Serve("--no-agent", "--set", "webhook.listen=127.0.0.1:0", "--set", 'calls.room_patterns=["drain-*"]',
              "--set", "calls.drain_timeout=30s", "--set", "calls.reconcile_interval=0")
    try:
        wait_until(lambda: s.get("/readyz")[0] == 200, 10, "/readyz 200")
        for i in (1, 2):
            b = joined(f"EV_d{i}", f"drain-{i}", "caller")
            assert s.post(b, sign(b))[0] == 200
        wait_until(lambda: s.metric("parley_calls_active") == 2, 5, "two active calls")
        t0 = time.monotonic()
        s.signal(signal.SIGTERM)
        wait_until(lambda: s.get("/readyz")[0] == 503, 1, "/readyz 503")
        assert time.monotonic() - t0 < 0.1, "readyz must turn 503 within 100 ms"
        assert "draining" in s.get("/readyz")[1]
        b = joined("EV_d3", "drain-3", "late-caller")
        assert s.post(b, sign(b))[0] == 200
        # Not answered by a draining instance, not refused either: it waits for another instance.
        wait_until(lambda: s.metric("parley_calls_queued") == 1, 5, "the new call queued")
        assert s.metric("parley_call_sessions_started_total") == 2
        b = left("EV_d4", "drain-1", "caller")
        assert s.post(b, sign(b))[0] == 200
        time.sleep(0.3)
        assert s.proc.poll() is None, "one call still runs"
        b = event_body("room_finished", "EV_d5", "drain-2")
        assert s.post(b, sign(b))[0] == 200
        assert s.wait(5) == 0
        assert s.find("parley serve exiting", why="drained")
        assert s.find("drained: no call is running")["queued_calls_left_for_another_instance"] == 1
    finally:
        s.stop()


def test_second_signal_exits_at_once():
    s = Serve("--no-agent", "--set", "webhook.listen=127.0.0.1:0", "--set", 'calls.room_patterns=["twice-*"]')
    try:
        b = joined("EV_t1", "twice-1", "caller")
        assert s.post(b, sign(b))[0] == 200
        wait_until(lambda: s.metric("parley_calls_active") == 1, 5, "an active call")
        s.signal(signal.SIGTERM)
        wait_until(lambda: s.find("drain requested"), 5, "drain")
        s.signal(signal.SIGINT)
        assert s.wait(5) == 1
    finally:
        s.stop()


CONFIG = """
webhook:
  listen: 127.0.0.1:0
calls:
  room_patterns: [{patterns}]
  max_concurrent: {max}
"""


def test_sighup_reload():
    fd, path = tempfile.mkstemp(suffix=".yaml")
    os.close(fd)
    with open(path, "w") as f:
        f.write(CONFIG.format(patterns='"old-*"', max=10))
    s = Serve("--no-agent", config_file=path)
    try:
        first_hash = s.find("parley serve listening")["config_hash"]
        # A broken file is refused with the reason; the running configuration stays.
        with open(path, "w") as f:
            f.write("calls:\n  max_concurrent: -5\n  room_patterns: [\n")
        s.signal(signal.SIGHUP)
        refused = wait_until(lambda: s.find("configuration reload refused; the running configuration stays"), 5, "refusal")
        assert refused["config_hash"] == first_hash and refused["problems"]
        with open(path, "w") as f:
            f.write(CONFIG.format(patterns='"old-*"', max=-5))
        s.signal(signal.SIGHUP)
        wait_until(lambda: s.count("configuration reload refused; the running configuration stays") == 2, 5, "refusal 2")
        # Searched, not the last line: other lines (the reconciler's API calls at debug) interleave.
        assert any("calls.max_concurrent" in l.get("problems", "") for l in s.lines())
        assert s.get("/healthz")[0] == 200
        b = joined("EV_h1", "old-1", "caller")
        assert s.post(b, sign(b))[0] == 200
        wait_until(lambda: started(s) == 1, 5, "old config admits old-1")
        # A valid file applies to new calls.
        with open(path, "w") as f:
            f.write(CONFIG.format(patterns='"new-*"', max=10))
        s.signal(signal.SIGHUP)
        applied = wait_until(lambda: s.find("configuration reloaded: applies to new calls"), 5, "reload")
        assert applied["old_hash"] == first_hash and applied["new_hash"] != first_hash
        for i, room in enumerate(["old-2", "new-1"]):
            b = joined(f"EV_h2{i}", room, "caller")
            assert s.post(b, sign(b))[0] == 200
        wait_until(lambda: s.find("call admitted", room="new-1"), 5, "new config admits new-1")
        time.sleep(0.2)
        assert s.find("call admitted", room="old-2") is None
        assert started(s) == 2
        admitted = s.find("call session started (logging only: no voice agent yet)", room="new-1")
        assert admitted["config_hash"] == applied["new_hash"]
    finally:
        s.stop()
        os.unlink(path)


def test_sip_caller_becomes_a_call_record():
    s = Serve("--no-agent", "--set", "webhook.listen=127.0.0.1:0")
    try:
        attrs = {"sip.callID": "SCL_abc123", "sip.ruleID": "SDR_1", "sip.phoneNumber": "+15550001111",
                 "sip.trunkPhoneNumber": "+15559998888"}
        b = joined("EV_s1", "call-_+15550001111_x", "sip_+15550001111", kind=models.ParticipantInfo.SIP, attributes=attrs)
        assert s.post(b, sign(b))[0] == 200
        a = wait_until(lambda: s.find("call admitted", call_id="SCL_abc123"), 5, "the SIP call")
        assert a["caller_number"] == "+15550001111" and a["called_number"] == "+15559998888" and a["phone_call"]
        # The agent's own participant is not a caller, even in a SIP room; it fills the record.
        b = joined("EV_s2", "call-_+15550001111_x", "parley-agent", kind=models.ParticipantInfo.AGENT)
        assert s.post(b, sign(b))[0] == 200
        wait_until(lambda: s.find("agent participant joined", call_id="SCL_abc123"), 5, "agent id filled")
        assert started(s) == 1
    finally:
        s.stop()
