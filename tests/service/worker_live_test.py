"""`parley serve` as a LiveKit agent worker (agent.dispatch: worker), on the real local stack.

Each parley here is a separate `parley serve` process that registers on livekit-server's
/agent WebSocket under a test-unique agent name; calls reach it only through LiveKit's explicit
dispatch (AgentDispatchService.CreateDispatch, what a SIP rule's room_config.agents does), never
through a webhook. The caller is the official Python SDK (scripts/lk_caller.py).

1. A worker registers; a dispatched job is answered, the agent joins with the job's token (the
   server's lk.agent_name attribute is on it) and the caller hears the greeting (pocketsphinx).
   Figure: CreateDispatch -> the greeting's first audible sound at the caller.
2. Two workers share six calls; each is full at four, so both take some.
3. A worker at calls.max_concurrent reports full and the server stops asking it: the next jobs go
   to the other worker, and with no other worker a job is not offered to it at all.
4. SIGTERM during six calls: the worker reports full at once, the calls started after it all go
   to the other worker, its own callers are still answered, and once they hang up it exits 0.
5. `parley diagnose` finds (or misses) a worker by its name.
6. livekit-server restarts: the worker reconnects with backoff, registers again and takes the
   next call (needs PARLEY_STACK, the stack script, and the stack's PARLEY_RUN_DIR).
"""
import asyncio
import os
import signal
import statistics
import time
import uuid

import pytest
from livekit import api

from lk_caller import AGENT_RATE, Caller
from serve_support import (LIVEKIT_URL, Serve, delete_room, log_time, recognise, scripted_answer, synthesise,
                           wait_until)

AGENT = "parley-agent"
HTTP_URL = LIVEKIT_URL.replace("ws://", "http://")
_ports = iter(range(18091, 18191))


def worker(agent_name, max_concurrent, port=None, extra=()):
    """A parley serve in worker mode; port 8080 gets the stack's webhooks, others get none.
    `extra`: more --set arguments (later ones win)."""
    w = Serve("--set", f"webhook.listen=127.0.0.1:{port or next(_ports)}", "--set", "agent.dispatch=worker",
              "--set", f"agent.agent_name={agent_name}", "--set", f"calls.max_concurrent={max_concurrent}",
              "--set", "providers.pocketsphinx.max_decoders=1", *extra)
    wait_until(lambda: w.find("agent worker registered"), 20, "the worker to register")
    wait_until(lambda: w.get("/readyz")[0] == 200, 10, "/readyz 200 once registered")
    return w


def accepted(w, room=None):
    return [l for l in w.lines() if l.get("msg") == "agent worker: job accepted" and (room is None or l.get("room") == room)]


def asked(w):
    """Every AvailabilityRequest the server sent this worker (accepted or declined)."""
    return [l for l in w.lines() if l.get("msg") in ("agent worker: job accepted", "agent worker: job declined")]


async def dispatch(agent_name, room):
    lk = api.LiveKitAPI(HTTP_URL, "devkey", "secret")
    try:
        return await lk.agent_dispatch.create_dispatch(api.CreateAgentDispatchRequest(agent_name=agent_name, room=room))
    finally:
        await lk.aclose()


def new_rooms(cleanup, kind, n):
    rooms = [f"pytest-worker-{kind}-{uuid.uuid4().hex[:8]}" for _ in range(n)]
    cleanup["rooms"].extend(rooms)
    return rooms


async def dispatch_all(agent_name, rooms, timeout=30):
    """Dispatches the agent into each room, then waits for an agent in every one."""
    for r in rooms:
        await dispatch(agent_name, r)
    for r in rooms:
        await agent_in(r, timeout)


async def participants(room):
    lk = api.LiveKitAPI(HTTP_URL, "devkey", "secret")
    try:
        return (await lk.room.list_participants(api.ListParticipantsRequest(room=room))).participants
    finally:
        await lk.aclose()


async def agent_in(room, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in await participants(room) if p.identity == AGENT]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no agent joined {room} within {timeout}s")


@pytest.fixture
def name():
    return "pytest-worker-" + uuid.uuid4().hex[:8]


@pytest.fixture
def cleanup():
    made = {"rooms": [], "serves": []}
    yield made
    for s in made["serves"]:
        s.stop()
    for r in made["rooms"]:
        asyncio.run(delete_room(r))


def test_a_registered_worker_answers_a_dispatched_call(name, cleanup, tmp_path):
    w = worker(name, 4, port=8080)  # webhooks too: both in one process, still one session per room
    cleanup["serves"].append(w)
    worker_id = w.find("agent worker registered")["worker_id"]
    assert worker_id.startswith("AW_")
    figures = []

    async def one_call(i):
        room = f"pytest-worker-call-{uuid.uuid4().hex[:8]}"
        cleanup["rooms"].append(room)
        caller = Caller(room, identity="pytest-caller", agent_identity=AGENT)
        await caller.join()  # the room exists before its dispatch, as with a SIP caller
        try:
            t0 = time.monotonic()
            d = await dispatch(name, room)
            assert d.agent_name == name and d.id.startswith("AD_")
            greeting = await caller.wait_for(lambda: caller.agent_finals(), 30, "the greeting")
            voice = await caller.wait_for(lambda: caller.first_voice_after(0), 10, "the greeting's sound")
            figures.append(voice - t0)
            assert greeting[0].text.strip()
            # Joined with the job's token: the server put its lk.agent_name on the agent.
            agent = await agent_in(room, 5)
            assert agent.attributes.get("lk.agent_name") == name, dict(agent.attributes)
            # ... and this worker took the job (livekit-server 1.13.5's ListDispatch shows no
            # job state, so the worker's own log is the witness).
            assert w.find("agent worker: job assigned", room=room, dispatch_id=d.id)
            await asyncio.sleep(2.5)  # the rest of the greeting, for the recogniser
            heard = recognise(caller.agent_audio_since(0), AGENT_RATE, os.path.join(str(tmp_path), f"greeting{i}.wav"))
            assert any(word in heard for word in ("hello", "speaking", "help", "parley")), heard
        finally:
            await caller.hang_up()
        # The call ends when the caller hangs up, and the job with it (JS_SUCCESS, slot free).
        wait_until(lambda: w.find("call ended", room=room), 10, "the call to end")
        # The caller's webhooks reached the same process and started no second session.
        assert w.find("webhook verified", event="participant_joined", room=room)
        assert w.count("call admitted", room=room) == 1
        return room

    for i in range(3):
        asyncio.run(one_call(i))
    assert len(accepted(w)) == 3
    wait_until(lambda: w.metric("parley_calls_active") == 0, 10, "no call left")
    print(f"dispatch -> first audible greeting at the caller: {', '.join(f'{f:.2f}s' for f in figures)} "
          f"(median {statistics.median(figures):.2f}s)")
    assert all(f < 10 for f in figures), figures


def test_two_workers_share_the_calls(name, cleanup):
    a, b = worker(name, 4), worker(name, 4)
    cleanup["serves"] += [a, b]
    rooms = new_rooms(cleanup, "share", 6)
    asyncio.run(dispatch_all(name, rooms))
    na, nb = len(accepted(a)), len(accepted(b))
    print(f"six calls over two workers (four each at most): {na} + {nb}")
    assert na + nb == 6 and na >= 2 and nb >= 2, (na, nb)
    assert {l["room"] for l in accepted(a) + accepted(b)} == set(rooms)


def test_a_full_worker_gets_no_new_jobs(name, cleanup):
    small = worker(name, 1)
    cleanup["serves"].append(small)
    first, lone = new_rooms(cleanup, "full", 2)
    asyncio.run(dispatch_all(name, [first]))
    wait_until(lambda: small.find("agent worker: full"), 5, "the worker to report full")
    # Alone and full: the server does not even offer it the next job.
    asyncio.run(dispatch(name, lone))
    big = worker(name, 4)
    cleanup["serves"].append(big)
    rooms = new_rooms(cleanup, "full", 3)
    asyncio.run(dispatch_all(name, rooms))
    assert {l["room"] for l in accepted(big)} == set(rooms)
    assert len(asked(small)) == 1, asked(small)  # only the first job was ever offered to it
    assert not [p for p in asyncio.run(participants(lone)) if p.identity == AGENT]


def test_sigterm_drains_the_worker(name, cleanup, tmp_path):
    """Drain (issue 14): SIGTERM on a worker during six calls. The three it holds go on to their
    end: after the SIGTERM each caller asks a question and is answered, then hangs up. The three
    calls that start after the SIGTERM all go to the other worker, although the drained one still
    has room (three of six). Once its last caller has hung up, it exits 0."""
    # The callers take turns one after the other on two cores: nobody is hung up on for silence.
    talk = ("--set", "calls.silence_timeout=10m", "--set", "providers.stt_timeout=15s",
            "--set", "providers.pocketsphinx.max_decoders=3")
    old = worker(name, 6, extra=talk)
    cleanup["serves"].append(old)
    mine = new_rooms(cleanup, "drain", 3)
    hours = synthesise("what are your opening hours", str(tmp_path / "hours.wav"))

    async def run():
        callers = [Caller(r, identity="pytest-caller", agent_identity=AGENT) for r in mine]
        late_callers = []
        try:
            for c in callers:
                await c.join()
            for r in mine:
                await dispatch(name, r)
            for c in callers:
                await c.wait_for(lambda c=c: c.agent_finals(), 30, "the greeting")
            assert {l["room"] for l in accepted(old)} == set(mine)
            new = worker(name, 6)
            cleanup["serves"].append(new)
            old.signal(signal.SIGTERM)
            await asyncio.to_thread(wait_until, lambda: old.find("agent worker draining: reporting full, no new jobs"),
                                    5, "the drain")
            offered = len(asked(old))
            # Three new calls, each room created by its caller first, as a SIP caller's is.
            later = new_rooms(cleanup, "drain", 3)
            late_callers = [Caller(r, identity="pytest-caller", agent_identity=AGENT) for r in later]
            for c in late_callers:
                await c.join()
            for r in later:
                await dispatch(name, r)
            for c in late_callers:
                await c.wait_for(lambda c=c: c.agent_finals(), 30, "the greeting of a call after the SIGTERM")
            assert {l["room"] for l in accepted(new)} == set(later)
            assert len(asked(old)) == offered, "a draining worker was offered a job"
            # The drained worker's conversations go on: each of its callers is answered.
            answers = []
            for c in callers:
                r = await c.ask(hours, timeout=60, tail=0.3)
                assert r["answer"].text.strip(), r
                answers.append(r["answer"].text)
            for r in mine:
                await agent_in(r, 1)
            assert old.proc.poll() is None
            assert old.get("/readyz")[0] == 503
            assert {l["room"] for l in accepted(old)} == set(mine)
            for c in callers:
                await c.hang_up()
            hung_up = time.monotonic()
            code = await asyncio.to_thread(old.wait, 30)
            return code, time.monotonic() - hung_up, answers
        finally:
            for c in callers + late_callers:
                if not c._closed:
                    await c.hang_up()
    code, after, answers = asyncio.run(run())
    assert code == 0
    for r in mine:
        # Admission's "call ended" (the agent's own record line has no top-level reason): ended
        # by its caller, not by the drain timeout.
        ended = [l for l in old.lines() if l.get("msg") == "call ended" and l.get("room") == r and "reason" in l]
        assert ended and ended[0]["reason"] in ("caller_left", "ended"), ended
    expected = scripted_answer("hours")
    print(f"drain: 3 calls on the drained worker answered after the SIGTERM "
          f"({sum(expected in a for a in answers)} of 3 with the opening hours), 3 new calls all on the other "
          f"worker; it exited 0, {after:.2f}s after its last callers hung up")


def test_diagnose_finds_the_worker_by_its_name(name, cleanup):
    import subprocess
    from serve_support import PARLEY

    def diagnose():
        env = dict(os.environ, LIVEKIT_URL=LIVEKIT_URL, LIVEKIT_API_KEY="devkey", LIVEKIT_API_SECRET="secret")
        out = subprocess.run([PARLEY, "diagnose", "--set", "agent.dispatch=worker", "--set", f"agent.agent_name={name}"],
                             capture_output=True, text=True, env=env, timeout=120).stdout
        return next(l for l in out.splitlines() if "agent worker registered" in l)
    line = diagnose()
    assert line.startswith("FAIL") and "reached no worker" in line, line
    cleanup["serves"].append(worker(name, 2))
    line = diagnose()
    assert line.startswith("PASS") and "with the job's token" in line, line


def test_the_worker_registers_again_after_a_server_restart(name, cleanup):
    import subprocess
    w = worker(name, 2)
    cleanup["serves"].append(w)
    first = w.find("agent worker registered")["worker_id"]
    subprocess.run([os.environ["PARLEY_STACK"], "restart-server"], check=True, capture_output=True, timeout=120)
    # Until it is registered again, it is not ready (it may have seen the server go already).
    wait_until(lambda: w.find("agent worker: connection lost; reconnecting"), 15, "the worker to notice")
    again = wait_until(lambda: [l for l in w.lines() if l.get("msg") == "agent worker registered"
                                and l["worker_id"] != first], 30, "the worker to register again")[0]
    lost = w.find("agent worker: connection lost; reconnecting")
    assert lost and lost["attempt"] >= 1, lost
    [room] = new_rooms(cleanup, "restart", 1)
    asyncio.run(dispatch_all(name, [room]))
    assert w.find("agent worker: job assigned", room=room)
    print(f"re-registered as {again['worker_id']} after the server restart; the next call was answered")


def test_three_workers_share_thirty_calls(name, cleanup):
    """Load spread: 30 calls dispatched in a burst over three worker processes; every call gets
    an agent, no worker ever runs more than its calls.max_concurrent, and the small worker, once
    full, is given no more (it reports WS_FULL and the stack's agents.target_load is 1.0)."""
    caps = [15, 15, 4]
    ws = [worker(name, c) for c in caps]
    cleanup["serves"].extend(ws)
    rooms = new_rooms(cleanup, "spread", 30)
    t0 = time.monotonic()
    asyncio.run(dispatch_all(name, rooms, timeout=60))
    took = time.monotonic() - t0
    counts = [len(accepted(w)) for w in ws]
    print(f"30 calls over workers of {caps}: {counts} accepted, all agents in their rooms after {took:.1f}s")
    # Every call answered, by exactly one worker.
    taken = [l["room"] for w in ws for l in accepted(w)]
    assert sorted(taken) == sorted(rooms), (len(taken), len(set(taken)))
    for w, cap, n in zip(ws, caps, counts):
        assert n <= cap, (n, cap)
        # Never more at once than its capacity, by its own count at each acceptance.
        assert max(l["jobs"] for l in accepted(w)) <= cap
    assert counts[2] == caps[2] and ws[2].find("agent worker: full"), counts
    # Full, the small worker is asked nothing more: requests already in flight when it reported
    # full may still come (it declines them and the server asks another worker), none later.
    full = log_time(ws[2].find("agent worker: full"))
    late = [l for l in asked(ws[2]) if log_time(l) > full]
    print(f"requests to the small worker after it reported full: {len(late)} "
          f"({', '.join(f'{log_time(l) - full:.3f}s' for l in late)} after)")
    assert all(l["msg"] == "agent worker: job declined" for l in late), late
    assert all(log_time(l) - full < 1.0 for l in late), late
    # Calls end, and the workers' load is back to 0.
    for r in rooms:
        asyncio.run(delete_room(r))
    for w in ws:
        wait_until(lambda w=w: w.metric("parley_calls_active") == 0, 30, "every call to end")
