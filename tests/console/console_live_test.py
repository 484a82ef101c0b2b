"""The operator console and the playground in a real browser (Debian's headless Chromium, driven
by puppeteer-core) against `parley serve` on the local stack:

- the console shows a live call from a Python SDK caller, its transcript grows as the caller asks
  two questions, each turn's latency breakdown appears, and the call moves to "ended" when the
  caller leaves;
- the playground, fed a WAV question through Chromium's fake microphone, gets the agent's
  answer as text, and a keypad digit gets the scripted answer for that digit, its turn's latency
  shown in the console's call view;
- refusals: no or a wrong operator token gets a bare 401, cross-origin use gets 403, and the
  playground's token joins its own room only.
Screenshots go to docs/ (shown in the README)."""
import asyncio
import json
import os
import time
import urllib.error
import urllib.request
import uuid

import numpy as np
import pytest

from browser import ROOT, Browser
from lk_caller import Caller
from serve_support import Serve, delete_room, scripted_answer, synthesise, wait_until
from wav_file import write_wav

TOKEN = "console-live-test-" + uuid.uuid4().hex
PORT = 8090
CONSOLE = f"http://127.0.0.1:{PORT}/"
AGENT = "parley-agent"
DOCS = os.path.join(ROOT, "docs")
ASSETS = os.environ.get("PARLEY_CONSOLE_ASSETS", os.path.join(ROOT, "build", "console"))


@pytest.fixture
def serve():
    s = Serve("--set", "webhook.listen=127.0.0.1:8080", "--set", 'calls.room_patterns=["pytest-console-*"]',
              "--set", "console.enabled=true", "--set", f"console.listen=127.0.0.1:{PORT}",
              "--set", f"console.assets={ASSETS}",
              # pocketsphinx on a loaded 2-core machine can need more than the default 5 s: this
              # test is about the page, not recognition speed (tests/agent measures that).
              "--set", "providers.stt_timeout=20s", env={"PARLEY_CONSOLE_TOKEN": TOKEN},
              start_timeout=60)  # the engines load at start; slow on a busy machine
    wait_until(lambda: s.get("/readyz")[0] == 200, 10, "/readyz 200 (LiveKit reachable)")
    wait_until(lambda: s.find("console listening"), 5, "the console to listen")
    yield s
    s.stop()


def http(method, path, headers=None, body=None):
    req = urllib.request.Request(CONSOLE + path, method=method, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


BEARER = {"Authorization": "Bearer " + TOKEN}
VIEW_CALL = "location.hash"


def test_console_follows_a_live_call_to_its_end(serve, tmp_path):
    room = "pytest-console-" + uuid.uuid4().hex[:8]
    questions = [("what are your opening hours", "hours"), ("how much does it cost", "prices")]
    speech = [synthesise(q, str(tmp_path / f"q{i}.wav")) for i, (q, _) in enumerate(questions)]
    browser = Browser()
    try:
        assert browser.do("open", url=CONSOLE, user="operator", password=TOKEN) == 200
        browser.wait("document.getElementById('link-state').classList.contains('up')")  # the event stream is open

        async def call():
            caller = Caller(room, identity="pytest-console-caller", agent_identity=AGENT)
            await caller.join()
            try:
                await caller.wait_for(lambda: caller.agent_finals(), 30, "the greeting")
                # The console lists the call, live, with its (unmasked: not a phone) caller.
                row = f"[...document.querySelectorAll('#calls tr.live')].find(r => r.textContent.includes('{room}'))"
                browser.wait(f"!!({row})")
                assert "pytest-console-caller" in browser.eval(f"{row}.textContent")
                browser.do("screenshot", path=os.path.join(DOCS, "console-calls.png"))
                call_id = browser.eval(f"{row}.dataset.callId")
                # Clicked in the page in one step: the list re-renders every second.
                browser.eval(f"document.querySelector(\"tr[data-call-id='{call_id}'] a\").click()")
                browser.wait("!!document.querySelector('#transcript .line.agent')")
                counts = []
                for i, (question, intent) in enumerate(questions):
                    r = await caller.ask(speech[i])
                    assert scripted_answer(intent) in r["answer"].text
                    # The transcript grows: the caller's question and the agent's answer appear.
                    answer = scripted_answer(intent).replace("'", "\\'")
                    browser.wait(f"[...document.querySelectorAll('#transcript .line.agent')]"
                                 f".some(l => l.textContent.includes('{answer}'))")
                    browser.wait(f"document.querySelectorAll('#transcript .line.caller').length >= {i + 1}")
                    counts.append(browser.eval("document.querySelectorAll('#transcript .line').length"))
                    # The turn's latency breakdown: a row with every stage and the end to end.
                    browser.wait(f"document.querySelectorAll('#turns tr').length >= {i + 1}", 10)
                assert counts[1] > counts[0], counts
                cells = browser.eval("[...document.querySelectorAll('#turns tr')].map(r => "
                                     "[...r.querySelectorAll('td')].slice(0, 6).map(td => td.textContent))")
                for row_cells in cells:
                    assert all(c.endswith("s") and c[0].isdigit() for c in row_cells[2:6]), cells  # STT, LLM, TTS, end to end
                words = browser.eval("[...document.querySelectorAll('#transcript .line.caller')].map(l => l.textContent)")
                assert any("hours" in w for w in words), words
                browser.do("screenshot", path=os.path.join(DOCS, "console-call.png"))
            finally:
                await caller.hang_up()
            return call_id

        call_id = asyncio.run(call())
        # The call moves to "ended", and stays viewable from its record.
        browser.wait("document.getElementById('call-state').textContent === 'ended'", 10)
        status, _, body = http("GET", f"api/calls/{call_id}", BEARER)
        assert status == 200
        ended = json.loads(body)
        assert ended["state"] == "ended" and not ended["live"]
        assert ended["turns"] >= 2 and ended["end_reason"]
        assert any(l["side"] == "caller" for l in ended["lines"])
        print(f"console: {len(ended['lines'])} transcript lines, {ended['turns']} turns, ended: {ended['end_reason']}")
    finally:
        browser.close()
        asyncio.run(delete_room(room))


def test_refusals(serve):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic b3BlcmF0b3I6d3Jvbmc="}):
        for path in ("", "api/calls", "api/events", "assets/app.js", "no-such-path"):
            status, h, body = http("GET", path, headers)
            assert status == 401, (path, headers)
            assert body == "unauthorized\n"
            assert "default-src 'none'" in h["Content-Security-Policy"]
    status, _, _ = http("POST", "api/playground", {**BEARER, "Origin": "http://evil.example"})
    assert status == 403
    status, h, _ = http("GET", "api/calls", {**BEARER, "Sec-Fetch-Site": "cross-site"})
    assert status == 403 and "Access-Control-Allow-Origin" not in h
    # The page: strict CSP, no inline script, nothing from elsewhere.
    status, h, page = http("GET", "", BEARER)
    assert status == 200
    assert "script-src 'self';" in h["Content-Security-Policy"] and h["X-Frame-Options"] == "DENY"
    assert "://" not in page  # every URL in the page is its own (relative)
    # The playground's token is for its own room only: the server API refuses it anything else.
    status, _, body = http("POST", "api/playground", BEARER)
    ticket = json.loads(body)
    assert ticket["room"].startswith("parley-playground-")
    for method, payload in (("ListRooms", {}), ("ListParticipants", {"room": "pytest-console-other"}),
                            ("ListParticipants", {"room": ticket["room"]})):
        req = urllib.request.Request(f"http://127.0.0.1:7880/twirp/livekit.RoomService/{method}",
                                     data=json.dumps(payload).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + ticket["token"],
                                              "Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code in (401, 403), (method, e.value.code)
    # Nothing secret reaches the page or the API.
    _, _, calls = http("GET", "api/calls", BEARER)
    for text in (page, calls, body):
        assert "secret" not in text and TOKEN not in text


def question_wav(path):
    """A question, then silence, at 16 kHz: what Chromium's fake microphone plays (in a loop)."""
    pcm = synthesise("what are your opening hours", path)
    write_wav(path, np.concatenate([np.zeros(16000, np.int16), pcm, np.zeros(16000 * 12, np.int16)]), 16000)
    return path


def test_playground_talks_to_the_agent(serve, tmp_path):
    browser = Browser(fake_audio=question_wav(str(tmp_path / "question.wav")))
    room = None
    try:
        assert browser.do("open", url=CONSOLE + "#/playground", user="operator", password=TOKEN) == 200
        browser.do("click", selector="#pg-start")
        room = browser.wait("document.getElementById('pg-status').dataset.room", 20)
        agent_said = "[...document.querySelectorAll('#pg-transcript .line.agent')].map(l => l.textContent).join(' | ')"
        # The greeting, then the answer to the question the microphone asked (its first words:
        # the looping microphone may ask again and cut the rest short).
        assert "nine in the morning" in scripted_answer("hours")
        browser.wait(f"({agent_said}).includes('nine in the morning')", 60)
        browser.wait("[...document.querySelectorAll('#pg-transcript .line.caller')].some(l => l.textContent.includes('hours'))", 10)
        browser.do("screenshot", path=os.path.join(DOCS, "playground.png"))
        # A keypad digit the script knows: 3 is the prices.
        browser.do("select", selector="#pg-digit", value="3")
        browser.do("click", selector="#pg-send")
        assert "fifty dollars" in scripted_answer("prices")
        browser.wait(f"({agent_said}).includes('fifty dollars')", 30)
        # The keypad turn is on the console with its latency once its reply is over (played out,
        # or cut by the looping microphone): a reply cut by the hang-up would be no turn.
        def keypad_turn():
            _, _, body = http("GET", "api/calls", BEARER)
            live = next((c for c in json.loads(body) if c["room"] == room and c["live"]), None)
            if not live:
                return None
            _, _, detail = http("GET", f"api/calls/{live['id']}", BEARER)
            return next((t for t in json.loads(detail)["turn_list"] if t.get("keypad") == "3"), None)
        keypad = wait_until(keypad_turn, 30, "the keypad turn on the console")
        assert keypad["end_to_end"] is not None, keypad
        browser.do("click", selector="#pg-hangup")
        browser.wait("document.getElementById('pg-status').textContent === 'Hung up.'", 10)
        # The console saw the playground's call, and saw it end.
        def ended():
            _, _, body = http("GET", "api/calls", BEARER)
            return next((c for c in json.loads(body) if c["room"] == room and not c["live"]), None)
        call = wait_until(ended, 10, "the playground call to end on the console")
        # The spoken question is a turn with its latencies; so is the keypad digit, from the digit
        # to the answer's first audio (its answer was heard: 'fifty dollars' was shown).
        assert call["turns"] >= 2 and call["last_latency"] is not None, call
        # The call view shows it: the turn marked "keypad 3" with its end to end.
        browser.eval(f"location.hash = '#/call/{call['id']}'")
        browser.wait("!!document.querySelector('#turns .mark.keypad')", 10)
        cells = browser.eval("[...document.querySelector('#turns .mark.keypad').closest('tr').querySelectorAll('td')]"
                             ".map(td => td.textContent)")
        assert cells[5].endswith("s") and cells[5][0].isdigit() and "keypad 3" in cells[6], cells
        print(f"playground: room {room}, {call['turns']} turns, last latency {call['last_latency']}s, "
              f"keypad turn {keypad['end_to_end']}s")
    finally:
        browser.close()
        if room:
            asyncio.run(delete_room(room))
