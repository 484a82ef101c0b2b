"""Helpers for parley serve's integration tests: run the binary, sign webhooks with the official
LiveKit Python SDK (the independent implementation), read parley's JSON log and /metrics."""
import base64
import datetime
import hashlib
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from google.protobuf.json_format import MessageToJson
from livekit import api
from livekit.protocol import models, webhook

from local_stack import LIVEKIT_URL, delete_room, list_rooms, wait_until  # noqa: F401 - re-exported
from parley_speech import PARLEY, recognise, synthesise  # noqa: F401 - re-exported

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "providers", "llm", "default_script.yaml")


def scripted_answer(intent):
    """The embedded script's English answer for an intent (what the agent must say)."""
    text = open(SCRIPT, encoding="utf-8").read()
    block = text[text.index(f"- name: {intent}\n"):]
    return re.search(r'answer:\s*\n\s*en: "([^"]*)"', block).group(1)


# How long a loop thread may sleep in one turn before the watchdog aborts parley (generous: the
# test machine is shared and sanitizer builds are slow; short blocking calls are caught at once).
LOOP_WATCHDOG_MS = "1000"


class Serve:
    """A `parley serve` process with a JSON log in a temp file."""

    def __init__(self, *args, config_file=None, env=None, unset=(), start_timeout=30):
        self.log_path = tempfile.mktemp(prefix="parley-serve-", suffix=".log")
        e = dict(os.environ)
        e.update({"LIVEKIT_URL": LIVEKIT_URL, "LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "secret"})
        # The loop watchdog (core/loop_watchdog.h): a loop thread that blocks aborts the server,
        # with the loop's stack in this log, and so fails the test.
        e.setdefault("PARLEY_LOOP_WATCHDOG", LOOP_WATCHDOG_MS)
        e.pop("PARLEY_CONFIG", None)
        if env:
            e.update(env)
        for name in unset:  # e.g. a secret the test keeps in its config file, to change on reload
            e.pop(name, None)
        cmd = [PARLEY, "serve", "--log-format", "json", "--log-level", "debug"]
        if os.environ.get("PARLEY_CA_FILE"):
            # The TLS stack's local CA (scripts/stack.sh), trusted through livekit.ca_file only:
            # SSL_CERT_FILE (there for the SDK) would make OpenSSL trust it for parley as well.
            cmd += ["--set", "livekit.ca_file=" + os.environ["PARLEY_CA_FILE"]]
            e.pop("SSL_CERT_FILE", None)
        if config_file:
            cmd += ["--config", config_file]
        cmd += list(args)
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log_file, stderr=subprocess.STDOUT, env=e, cwd=tempfile.gettempdir())
        try:
            line = wait_until(lambda: self.find("parley serve listening"), start_timeout, "parley serve to listen")
        except BaseException:
            # Not left running (and loading its engines) after the test gave up on it.
            self.proc.kill()
            self.proc.wait()
            self.log_file.close()
            raise
        self.port = line["port"]

    def lines(self):
        out = []
        with open(self.log_path) as f:
            for raw in f:
                raw = raw.strip()
                if raw.startswith("{"):
                    try:
                        out.append(json.loads(raw))
                    except json.JSONDecodeError:
                        pass
        if self.proc.poll() is not None and not out:
            raise AssertionError("parley serve exited: " + open(self.log_path).read())
        return out

    def find(self, msg, **fields):
        for l in self.lines():
            if l.get("msg") == msg and all(l.get(k) == v for k, v in fields.items()):
                return l
        return None

    def call_record(self, room, timeout=10):
        """The agent's record of its call in `room` (its "call ended" line, with the call's
        summary under "call"), waited for up to `timeout` seconds."""
        return wait_until(lambda: next((l for l in self.lines() if l.get("msg") == "call ended" and "call" in l
                                        and l.get("room") == room), None), timeout, "the agent's call record")

    def count(self, msg, **fields):
        return sum(1 for l in self.lines() if l.get("msg") == msg and all(l.get(k) == v for k, v in fields.items()))

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, body, auth=None, content_type="application/webhook+json", path="/livekit/webhook"):
        data = body if isinstance(body, bytes) else body.encode()
        req = urllib.request.Request(self.url(path), data=data, method="POST")
        if content_type:
            req.add_header("Content-Type", content_type)
        if auth is not None:
            req.add_header("Authorization", auth)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metric(self, name, **labels):
        _, text = self.get("/metrics")
        want = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
        for line in text.splitlines():
            if line.startswith(want + " "):
                return float(line.split()[-1])
        return 0.0

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        return self.proc.wait(timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


def log_time(line):
    """A log line's timestamp as seconds since the epoch (parley logs UTC with milliseconds)."""
    return datetime.datetime.strptime(line["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def sign(body, key="devkey", secret="secret", ttl=datetime.timedelta(minutes=5)):
    """The Authorization header LiveKit puts on a webhook, made by the official SDK."""
    data = body if isinstance(body, bytes) else body.encode()
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    return api.AccessToken(key, secret).with_sha256(sha).with_ttl(ttl).to_jwt()


def event_body(event, event_id, room, identity=None, kind=None, attributes=None, track=False, participant_sid=None):
    """A WebhookEvent as protojson, written by LiveKit's own protobuf definitions."""
    ev = webhook.WebhookEvent(event=event, id=event_id, created_at=int(time.time()))
    ev.room.CopyFrom(models.Room(sid="RM_" + room, name=room))
    if identity:
        p = models.ParticipantInfo(sid=participant_sid or f"PA_{identity}_{room}", identity=identity,
                                   state=models.ParticipantInfo.ACTIVE)
        if kind is not None:
            p.kind = kind
        for k, v in (attributes or {}).items():
            p.attributes[k] = v
        ev.participant.CopyFrom(p)
    if track:
        ev.track.CopyFrom(models.TrackInfo(sid="TR_" + (identity or "x"), type=models.AUDIO,
                                           source=models.TrackSource.MICROPHONE))
    return MessageToJson(ev)


def joined(event_id, room, identity, **kw):
    return event_body("participant_joined", event_id, room, identity, **kw)


def left(event_id, room, identity, **kw):
    return event_body("participant_left", event_id, room, identity, **kw)
