"""Phone calls into parley on the local stack: a SIP line (inbound trunk + individual dispatch
rule, made with parley's own CLI and deleted afterwards), a hidden observer that reads the call
room's lk.transcription streams, and a PhoneCall that drives a real baresip phone (sip_phone.py)
through a conversation: dial, greeting, spoken questions, recognised answers, hang-up.

Used by tests/sip/ and bench/phone/. Needs scripts/ and tests/service/ on PYTHONPATH."""
import asyncio
import json
import os
import subprocess
import threading
import time

from livekit import api, rtc

from lk_caller import Transcript
import serve_support
from serve_support import LIVEKIT_URL, PARLEY, list_rooms, wait_until
from sip_phone import Phone, PhoneError

BRIDGE = "sip:{number}@127.0.0.1:5060"
AGENT = "parley-agent"
ENV = dict(os.environ, LIVEKIT_URL=LIVEKIT_URL, LIVEKIT_API_KEY="devkey", LIVEKIT_API_SECRET="secret")
ENV.pop("PARLEY_CONFIG", None)

# The embedded script's questions: (a question, key words of its scripted answer that
# pocketsphinx must hear on the phone).
QUESTIONS = {
    "hours": ("what are your opening hours", ["nine", "six", "morning", "evening", "monday", "friday"]),
    "prices": ("how much does it cost", ["fifty", "dollars", "consultation", "free", "visit"]),
    "address": ("where are you located", ["twelve", "baker", "street", "next", "central", "station"]),
}


# Different wordings of those questions, for many calls at once: (question, intent).
WORDINGS = [
    ("what are your opening hours", "hours"),
    ("where are you located", "address"),
    ("how much does it cost", "prices"),
    ("when are you open", "hours"),
    ("what is your address", "address"),
    ("what are your prices", "prices"),
    ("what time do you close", "hours"),
    ("where can i find you", "address"),
    ("how much is a visit", "prices"),
    ("are you open today", "hours"),
]


def answer_words(heard, intent):
    return [w for w in QUESTIONS[intent][1] if w in heard.split()]


def assert_answers(heard, intent, what):
    """`heard` holds at least two key words of the intent's answer, and more of them than of any
    other answer's (so a wrong answer, or the greeting, does not pass)."""
    mine = answer_words(heard, intent)
    others = {i: answer_words(heard, i) for i in QUESTIONS if i != intent}
    assert len(mine) >= 2 and all(len(mine) > len(o) for o in others.values()), \
        f"{what}: the phone heard {heard!r}; key words of {intent}: {mine}, of the others: {others}"


def parley_json(*args):
    r = subprocess.run([PARLEY, *args, "--json"], env=ENV, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"parley {' '.join(args)} failed: {r.stdout}{r.stderr}")
    return json.loads(r.stdout)


class Line:
    """A phone number that reaches parley: an inbound trunk for `number` and an individual
    dispatch rule on it (a room `<prefix>_<caller>_<random>` per call)."""

    def __init__(self, number="+15550100", prefix="pytest-sip", rule=True):
        self.number = number
        self.prefix = prefix
        self.uri = BRIDGE.format(number=number)
        self.trunk_id = parley_json("sip", "trunk", "create", "--name", f"pytest {number}",
                                    "--number", number)["sip_trunk_id"]
        self.rule_id = None
        if rule:
            self.add_rule()

    def add_rule(self):
        self.rule_id = parley_json("sip", "dispatch", "create", "--name", f"pytest {self.number}",
                                   "--kind", "individual", "--room", self.prefix,
                                   "--trunk", self.trunk_id)["sip_dispatch_rule_id"]

    def remove_rule(self):
        if self.rule_id:
            parley_json("sip", "dispatch", "delete", self.rule_id)
            self.rule_id = None

    def close(self):
        self.remove_rule()
        if self.trunk_id:
            parley_json("sip", "trunk", "delete", self.trunk_id)
            self.trunk_id = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def delete_room(room):
    asyncio.run(serve_support.delete_room(room))


def delete_rooms(prefix):
    """Deletes every room whose name starts with `prefix`: what calls left on the stack."""
    for room in asyncio.run(list_rooms()):
        if room.startswith(prefix):
            delete_room(room)


class RoomObserver:
    """A hidden participant in a call's room, on a thread of its own, that reads every
    lk.transcription stream: the caller's words as the agent understood them (sent on the SIP
    participant's behalf) and the agent's answers. It publishes and subscribes to nothing, so it
    never answers the call itself (the bridge answers once someone takes the caller's audio)."""

    def __init__(self, prefix, caller, timeout=30):
        self.prefix = f"{prefix}_{caller}_"
        self.caller_identity = f"sip_{caller}"
        self.room_name = None
        self.transcripts = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._error = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(timeout,), daemon=True)
        self._thread.start()

    def _run(self, timeout):
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._join(timeout))
        except Exception as e:  # noqa: BLE001 - handed to the test thread
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    async def _join(self, timeout):
        deadline = time.monotonic() + timeout
        while not self.room_name:
            self.room_name = next((r for r in await list_rooms() if r.startswith(self.prefix)), None)
            if self.room_name:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"no room {self.prefix}* within {timeout}s")
            await asyncio.sleep(0.1)
        token = (api.AccessToken("devkey", "secret").with_identity("pytest-observer-" + self.prefix)
                 .with_grants(api.VideoGrants(room_join=True, room=self.room_name, hidden=True,
                                              can_publish=False)).to_jwt())
        self.room = rtc.Room()
        self.room.register_text_stream_handler("lk.transcription", self._on_text)
        await self.room.connect(LIVEKIT_URL, token, rtc.RoomOptions(auto_subscribe=False))

    def _on_text(self, reader, identity):
        started = time.monotonic()

        async def read():
            text = await reader.read_all()
            with self._lock:
                self.transcripts.append(Transcript(identity, dict(reader.info.attributes or {}), text, started,
                                                   time.monotonic()))
        asyncio.ensure_future(read())

    def wait_joined(self, timeout=30):
        if not self._ready.wait(timeout):
            raise AssertionError("the observer did not join")
        if self._error:
            raise self._error
        return self.room_name

    def finals(self, identity):
        with self._lock:
            return [t for t in self.transcripts if t.identity == identity and t.final]

    def caller_words(self):
        return [t.text for t in self.finals(self.caller_identity)]

    def agent_words(self):
        return [t.text for t in self.finals(AGENT)]

    def wait(self, cond, timeout, what):
        try:
            return wait_until(cond, timeout, what)
        except AssertionError as e:
            with self._lock:
                seen = [t.as_dict() for t in self.transcripts]
            raise AssertionError(f"{e}; transcripts: {seen}") from None

    def close(self):
        async def leave():
            if getattr(self, "room", None):
                await self.room.disconnect()
        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(leave(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class PhoneCall:
    """One caller on a real SIP phone, talking with parley through the bridge."""

    def __init__(self, line, caller="+15550001", codecs=("G722",), observe=True, workdir=None):
        self.line = line
        self.caller = caller
        self.phone = Phone(f"caller{caller}", user=caller, codecs=codecs, workdir=workdir).start()
        self.observe = observe
        self.observer = None
        self.invited = None     # monotonic time of the INVITE
        self.answered = None    # ... of the 200 OK (CALL_ESTABLISHED)
        self.greeting = None    # (first, end) sample of the greeting in the recording
        self.greeting_heard = None   # monotonic time the greeting's first sound arrived

    def dial(self, timeout=30):
        self.invited = self.phone.dial(self.line.uri)
        if self.observe:
            self.observer = RoomObserver(self.line.prefix, self.caller)
        self.answered, _ = self.phone.wait_event("CALL_ESTABLISHED", timeout)
        if self.observer:
            self.observer.wait_joined()
        return self.answered - self.invited

    @property
    def room(self):
        return self.observer.room_name if self.observer else None

    def wait_greeting(self, timeout=30):
        first = self.phone.wait_for_sound(timeout)
        self.greeting_heard = self.phone.heard_at(first)
        end = self.phone.wait_for_silence(timeout, first)
        self.greeting = (first, end)
        return self.greeting

    def ask(self, pcm, timeout=30, quiet=1.2):
        """Says `pcm` (16 kHz) and waits for the whole answer. Returns a dict: the answer's samples
        (with a little margin), the seconds from the end of the question to the answer's first
        sound at the phone, and the monotonic times involved."""
        mark = self.phone.heard_samples()
        _, said = self.phone.say(pcm)
        first = self.phone.wait_for_sound(timeout, start_sample=mark)
        heard = self.phone.heard_at(first)
        end = self.phone.wait_for_silence(timeout, first, seconds=quiet)
        rec, rate = self.phone.recording()
        audio = rec[max(0, first - rate // 5):end + rate // 5]
        return {"audio": audio, "rate": rate, "said": said, "heard": heard,
                "latency": None if heard is None else heard - said}

    def hangup(self):
        return self.phone.hangup()

    def close(self):
        try:
            if self.observer:
                self.observer.close()
        finally:
            self.phone.cleanup()   # removes the phone's folder only when it made it (workdir=None)
            if self.room:
                delete_room(self.room)


__all__ = ["QUESTIONS", "WORDINGS", "assert_answers", "Line", "RoomObserver", "PhoneCall", "Phone", "PhoneError", "delete_room", "delete_rooms", "parley_json"]
