"""A phone call into parley through LiveKit's SIP bridge on the local stack: a real baresip phone
(sip_phone.py) dials a number whose trunk and individual dispatch rule send each caller to a room
`<prefix>_<caller>_<random>`, and a hidden observer in that room reads its lk.transcription
streams (the caller's words as the agent understood them, and the agent's answers).

PhoneCall drives the conversation: dial, greeting, spoken questions, answers heard at the phone
with their latency, hang-up. Used by the demo (scripts/demo_call.py), tests/sip/ and bench/phone/.
The trunk and rule are made elsewhere: `parley sip setup` (the demo) or tests/sip's Line."""
import asyncio
import threading
import time

from livekit import api, rtc

from lk_caller import Transcript
from local_stack import API_KEY, API_SECRET, LIVEKIT_URL, delete_room, list_rooms, wait_until
from sip_phone import Phone

BRIDGE = "sip:{number}@127.0.0.1:5060"
AGENT = "parley-agent"


class Number:
    """A number on the local bridge and the room prefix of its dispatch rule: what a phone dials
    and where its call's room is looked for."""

    def __init__(self, number, prefix):
        self.number = number
        self.prefix = prefix
        self.uri = BRIDGE.format(number=number)


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
        token = (api.AccessToken(API_KEY, API_SECRET).with_identity("observer-" + self.prefix)
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
                asyncio.run(delete_room(self.room))
