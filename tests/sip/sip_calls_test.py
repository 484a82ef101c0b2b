"""Phone calls end to end: a real SIP phone (baresip) dials the local LiveKit SIP bridge, which
bridges the call into a room; livekit-server's webhooks bring `parley serve` (embedded defaults:
pocketsphinx, the scripted dialogue, flite) into it. What the phone hears is recognised with
pocketsphinx; what the agent understood is read from the room's lk.transcription streams by a
hidden observer; parley's own log and metrics say when its session ended."""
import time

import pytest

from serve_support import log_time, recognise, scripted_answer, synthesise, wait_until
from sip_phone import rms
from sip_support import QUESTIONS, PhoneCall, assert_answers

@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    d = tmp_path_factory.mktemp("speech")
    texts = {intent: q for intent, (q, _) in QUESTIONS.items()}
    texts["goodbye"] = "thank you goodbye"
    return {k: synthesise(t, str(d / f"{k}.wav")) for k, t in texts.items()}


def call_records(serve, room):
    return [l for l in serve.lines() if l.get("msg") == "call ended" and l.get("room") == room]


def test_two_questions_over_g722(serve, line, speech, tmp_path):
    call = PhoneCall(line, caller="+15550001", workdir=str(tmp_path / "phone"))
    try:
        setup = call.dial()
        call.wait_greeting()
        results = []
        for intent in ("hours", "prices"):
            r = call.ask(speech[intent])
            heard = recognise(r["audio"], r["rate"], str(tmp_path / f"{intent}.wav"))
            results.append((intent, heard, r))
        obs = call.observer
        asked = obs.wait(lambda: len(obs.caller_words()) >= 2 and obs.caller_words(), 10,
                         "the caller's two questions in the agent's transcript")
        # (The observer joins once the room exists, so it may miss the greeting's transcript.)
        answers = obs.wait(lambda: len(obs.agent_words()) >= 2 and obs.agent_words(), 10,
                           "two answers in the agent's transcript")
        call.phone.save_recording(str(tmp_path / "phone.wav"))
        call.hangup()
    finally:
        call.close()

    assert call.phone.rate == 16000 and results[0][2]["rate"] == 16000, "G.722 is wideband: 16 kHz at the phone"
    print(f"INVITE -> 200 OK {setup:.2f}s; greeting audible {call.greeting_heard - call.invited:.2f}s after the INVITE")
    for intent, heard, r in results:
        print(f"{intent}: heard {heard!r}; answer audible {r['latency']:.2f}s after the question ended")
        assert_answers(heard, intent, f"asked {QUESTIONS[intent][0]!r}")
        assert r["latency"] is not None and 0 < r["latency"] < 5
    # The agent understood the caller: its transcripts of the SIP participant name the questions.
    assert "hours" in asked[0].split(), asked
    assert "cost" in asked[1].split() or "much" in asked[1].split(), asked
    # ... and said the scripted answers (the text the phone's audio was recognised against).
    assert scripted_answer("hours") in answers[-2] and scripted_answer("prices") in answers[-1], answers


def test_pcmu_call_is_understood(serve, line, speech, tmp_path):
    """Narrowband G.711 (PCMU), the codec of most telephone trunks: the call connects, the
    greeting reaches the phone, and the agent understands the caller's questions and answers
    them (its transcripts of the caller name them, and it says the scripted answers)."""
    call = PhoneCall(line, caller="+15550002", codecs=("PCMU",), workdir=str(tmp_path / "phone"))
    try:
        call.dial()
        first, end = call.wait_greeting()
        pcm, rate = call.phone.recording()
        turns = [call.ask(speech[intent]) for intent in ("hours", "address")]
        obs = call.observer
        asked = obs.wait(lambda: len(obs.caller_words()) >= 2 and obs.caller_words(), 10,
                         "the caller's two questions in the agent's transcript")
        answers = obs.wait(lambda: len(obs.agent_words()) >= 2 and obs.agent_words(), 10,
                           "two answers in the agent's transcript")
        call.hangup()
    finally:
        call.close()
    assert rate == 8000, f"PCMU is 8 kHz, the phone recorded {rate} Hz"
    greeting = pcm[first:end]
    assert len(greeting) / rate > 1.5, f"greeting only {len(greeting) / rate:.2f}s long"
    assert rms(greeting) > 1000, f"greeting RMS {rms(greeting):.0f}"
    for r in turns:
        assert r["latency"] is not None and 0 < r["latency"] < 8 and rms(r["audio"]) > 1000
    latencies = ", ".join(f"{r['latency']:.2f}s" for r in turns)
    print(f"PCMU: greeting {len(greeting) / rate:.2f}s at RMS {rms(greeting):.0f}; the agent heard {asked}; "
          f"answers came {latencies} after the questions")
    assert "opening" in asked[0].split() or "hours" in asked[0].split(), asked
    assert "located" in asked[1].split(), asked
    assert scripted_answer("hours") in answers[-2] and scripted_answer("address") in answers[-1], answers


def test_caller_hangup_ends_the_session_within_2s(serve, line, tmp_path):
    call = PhoneCall(line, caller="+15550003", workdir=str(tmp_path / "phone"))
    try:
        call.dial()
        call.wait_greeting()
        room = call.room
        hung_up = time.time()
        call.hangup()
        closed = call.phone.wait_event("CALL_CLOSED", 5)[1]
        ended = wait_until(lambda: serve.find("call ended", room=room) and
                           len(call_records(serve, room)) >= 2 and call_records(serve, room), 5,
                           "parley's call ended records")
        wait_until(lambda: serve.metric("parley_calls_active") == 0, max(0.05, hung_up + 2.0 - time.time()),
                   "parley_calls_active back to 0 within 2 s of the hang-up")
    finally:
        call.close()
    assert "reset by user" in closed.get("param", ""), closed   # the phone hung up, not the far end
    for l in ended:
        assert log_time(l) - hung_up < 2.0, f"{l} came {log_time(l) - hung_up:.2f}s after the hang-up"
    record = next(l["call"] for l in ended if "call" in l)
    assert record["reason"] in ("caller_left", "room_disconnected"), record
    print(f"session ended {max(log_time(l) for l in ended) - hung_up:.2f}s after the phone hung up")


def test_agent_hangup_sends_bye(serve, line, speech, tmp_path):
    call = PhoneCall(line, caller="+15550004", workdir=str(tmp_path / "phone"))
    try:
        call.dial()
        room = call.room
        call.wait_greeting()
        mark = call.phone.mark()
        start = call.phone.heard_samples()
        call.phone.say(speech["goodbye"])
        # The agent says goodbye, then removes the caller: the bridge sends BYE to the phone.
        t, closed = call.phone.wait_event("CALL_CLOSED", 30, after=mark)
        pcm, rate = call.phone.recording()
        record = serve.call_record(room, 5)["call"]
    finally:
        call.close()
    assert closed.get("param") == "Connection reset by peer", f"the phone did not get a BYE: {closed}"
    assert record["reason"] == "agent_goodbye", record
    farewell = pcm[start:]
    assert rms(farewell) > 300 and len(farewell) / rate > 1.0, "the goodbye was not heard before the BYE"


def test_dtmf_drives_the_keypad_intent(serve, line, tmp_path):
    """Key 1 (RFC 4733 telephone-event; the microphone stays silent) asks for the opening hours."""
    call = PhoneCall(line, caller="+15550005", workdir=str(tmp_path / "phone"))
    try:
        call.dial()
        call.wait_greeting()
        start = call.phone.heard_samples()
        pressed = time.monotonic()
        call.phone.send_dtmf("1")
        first = call.phone.wait_for_sound(15, start_sample=start)
        end = call.phone.wait_for_silence(30, first, seconds=1.2)
        pcm, rate = call.phone.recording()
        heard = recognise(pcm[first:end + rate // 5], rate, str(tmp_path / "dtmf-answer.wav"))
        obs = call.observer
        said = obs.wait(lambda: any(scripted_answer("hours") in w for w in obs.agent_words()) and obs.agent_words(),
                        10, "the keypad answer in the agent's transcript")
        latency = call.phone.heard_at(first) - pressed
        call.hangup()
    finally:
        call.close()
    print(f"key 1: answer audible {latency:.2f}s after the key press; heard {heard!r}")
    assert_answers(heard, "hours", "after key 1")
    assert not call.observer.caller_words(), "the caller said nothing; only the key can have asked"
