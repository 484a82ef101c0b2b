"""A phone call to parley in worker mode: a real SIP phone (baresip) dials LiveKit's SIP bridge;
the dispatch rule's room_config.agents names the worker's agent, so livekit-server creates the
call's room with a job and dispatches it to the `parley serve` registered under that name
(agent.dispatch: worker). The phone hears the greeting and the answer to a question."""
import uuid

import pytest

from conftest import bridge_running
from serve_support import Serve, recognise, synthesise, wait_until
from sip_support import QUESTIONS, Line, PhoneCall, assert_answers, delete_rooms

PREFIX = "pytest-sipw"
NUMBER = "+15550177"
NAME = "pytest-sip-worker-" + uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def worker():
    assert bridge_running(), "the SIP bridge (livekit-sip) is not running on the stack: run scripts/install.sh"
    s = Serve("--set", "webhook.listen=127.0.0.1:8080", "--set", "agent.dispatch=worker",
              "--set", f"agent.agent_name={NAME}")
    wait_until(lambda: s.find("agent worker registered"), 20, "the worker to register")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def line(worker):
    with Line(NUMBER, PREFIX, agent=NAME) as l:
        yield l
    delete_rooms(PREFIX + "_")


def test_a_phone_call_is_dispatched_to_the_worker(worker, line, tmp_path):
    question = synthesise(QUESTIONS["hours"][0], str(tmp_path / "q.wav"))
    call = PhoneCall(line, caller="+15550002", workdir=str(tmp_path / "phone"))
    try:
        setup = call.dial()
        call.wait_greeting()
        r = call.ask(question)
        heard = recognise(r["audio"], r["rate"], str(tmp_path / "a.wav"))
        room = call.room
        call.hangup()
    finally:
        call.close()
    print(f"worker mode: INVITE -> 200 OK {setup:.2f}s; greeting audible {call.greeting_heard - call.invited:.2f}s "
          f"after the INVITE; answer audible {r['latency']:.2f}s after the question")
    assert_answers(heard, "hours", "asked the opening hours")
    # The call came as a job (not from a webhook), and exactly one session ran for it.
    assert worker.find("agent worker: job assigned", room=room), room
    assert worker.count("call admitted", room=room) == 1
