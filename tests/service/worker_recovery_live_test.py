"""Calls that survive a dead worker (docs/scaling.md "When a worker dies"), on the real local
stack: separate `parley serve` worker processes, the official Python SDK as callers.

1. A worker holding several calls mid-conversation is killed with SIGKILL. Every caller hears a
   new agent within 3 s, measured from the caller's own recording (the first audible frame
   after the kill), which says it lost the caller for a moment; the new agent knows the turns
   so far (from the room's metadata), and the conversation goes on. Two survivors notice the
   loss at once, yet exactly one new agent joins each room, and no room ever holds two agents.
2. A worker is killed right after its caller hung up: the call is over, so nobody re-dispatches it.
"""
import asyncio
import json
import os
import signal
import time
import uuid

import pytest
from livekit import api
from livekit.protocol import models

from lk_caller import Caller
from serve_support import LIVEKIT_URL, Serve, delete_room, synthesise, wait_until

AGENT = "parley-agent"
HTTP_URL = LIVEKIT_URL.replace("ws://", "http://")
# The budget is 3 s from the kill to the new agent's voice at the caller, on an optimised
# build (CMake sets it). Sanitizer builds run every process 2-5x slower, so there the same test
# checks recovery with a wider budget that CMake names (PARLEY_RECOVERY_BUDGET_S).
BUDGET_S = float(os.environ.get("PARLEY_RECOVERY_BUDGET_S", "3"))
CALLS = int(os.environ.get("PARLEY_RECOVERY_CALLS", "5"))
_ports = iter(range(18291, 18391))



def is_apology(text):
    """The new agent's apology, "Sorry, I lost you for a moment. I am back, please go on.": a
    segment's transcript may arrive as either sentence alone (seen once: the caller's last
    transcript of the segment held only the second), so either counts."""
    t = text.lower()
    return "lost you" in t or "i am back" in t

def worker(agent_name, max_concurrent):
    w = Serve("--set", f"webhook.listen=127.0.0.1:{next(_ports)}", "--set", "agent.dispatch=worker",
              "--set", f"agent.agent_name={agent_name}", "--set", f"calls.max_concurrent={max_concurrent}",
              "--set", f"providers.pocketsphinx.max_decoders={max_concurrent}",
              # The callers take turns one after the other: nobody is hung up on for silence.
              "--set", "calls.silence_timeout=10m", "--set", "providers.stt_timeout=15s")
    wait_until(lambda: w.find("agent worker registered"), 20, "the worker to register")
    return w


async def rooms_metadata(names):
    lk = api.LiveKitAPI(HTTP_URL, "devkey", "secret")
    try:
        rooms = (await lk.room.list_rooms(api.ListRoomsRequest(names=names))).rooms
        return {r.name: json.loads(r.metadata) if r.metadata else {} for r in rooms}
    finally:
        await lk.aclose()


async def agents_in(lk, room):
    ps = (await lk.room.list_participants(api.ListParticipantsRequest(room=room))).participants
    return [p for p in ps if p.kind == models.ParticipantInfo.Kind.AGENT or p.identity == AGENT]


async def watch_agents(rooms, most, stop):
    """Polls every room's participants until `stop` is set; most[room] = the most agents seen at once."""
    lk = api.LiveKitAPI(HTTP_URL, "devkey", "secret")
    try:
        while not stop.is_set():
            for r in rooms:
                try:
                    most[r] = max(most.get(r, 0), len(await agents_in(lk, r)))
                except Exception:
                    pass
            await asyncio.sleep(0.05)
    finally:
        await lk.aclose()


async def dispatches(room):
    lk = api.LiveKitAPI(HTTP_URL, "devkey", "secret")
    try:
        return await lk.agent_dispatch.list_dispatch(room_name=room)
    finally:
        await lk.aclose()


@pytest.fixture
def name():
    return "pytest-recover-" + uuid.uuid4().hex[:8]


@pytest.fixture
def cleanup():
    made = {"rooms": [], "serves": []}
    yield made
    for s in made["serves"]:
        if s.proc.poll() is None:
            s.stop()
        else:
            s.log_file.close()
    for r in made["rooms"]:
        asyncio.run(delete_room(r))


def test_calls_survive_a_killed_worker(name, cleanup, tmp_path):
    victim = worker(name, CALLS)
    cleanup["serves"].append(victim)
    rooms = [f"pytest-recover-{uuid.uuid4().hex[:8]}" for _ in range(CALLS)]
    cleanup["rooms"].extend(rooms)
    hours = synthesise("what are your opening hours", str(tmp_path / "q1.wav"))
    where = synthesise("where are you located", str(tmp_path / "q2.wav"))

    async def run():
        # Each caller creates its room with a job for the agent name, as a SIP dispatch rule does.
        callers = [Caller(r, identity="pytest-caller", agent_identity=AGENT, dispatch_agent=name) for r in rooms]
        try:
            for c in callers:
                await c.join()
            for c in callers:
                await c.wait_for(lambda c=c: c.agent_finals(), 60, "the greeting")
            assert {l["room"] for l in victim.lines() if l.get("msg") == "agent worker: job assigned"} == set(rooms)
            # A turn of conversation each, one caller after the other (two cores). Any answer is a
            # turn (on a busy machine the recogniser may time out, and the agent asks again).
            for c in callers:
                r = await c.ask(hours, timeout=60, tail=0.3)
                assert r["answer"].text.strip(), r
            # The rooms' metadata records the owner and the turns so far.
            meta = await asyncio.to_thread(wait_until, lambda: (lambda m: m if all(
                len(m.get(r, {}).get("parley", {}).get("turns", [])) >= 2 for r in rooms) else None)(
                asyncio.run(rooms_metadata(rooms))), 20, "the turns in every room's metadata")
            owner = meta[rooms[0]]["parley"]["owner"]
            assert owner["instance"] == victim.find("parley serve listening")["instance"], owner

            survivors = [worker(name, 4), worker(name, 4)]
            cleanup["serves"].extend(survivors)
            most, stop = {}, asyncio.Event()
            watcher = asyncio.ensure_future(watch_agents(rooms, most, stop))
            await asyncio.sleep(1.5)  # the survivors' first rounds: every call has a live owner
            assert not any(s.find("call recovery: a worker is gone") for s in survivors)

            marks = [len(c.agent_audio) for c in callers]
            finals = [len(c.agent_finals()) for c in callers]
            killed = time.monotonic()
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait()

            heard = []
            for c, mark, before in zip(callers, marks, finals):
                apology = await c.wait_for(lambda c=c, before=before: [t for t in c.agent_finals()[before:]
                                                                      if is_apology(t.text)],
                                           15, "the new agent's apology")
                voice = await c.wait_for(lambda c=c, mark=mark: c.first_voice_after(mark), 5, "the new agent's voice")
                heard.append(voice - killed)
                assert apology[0].text.strip()
            print(f"{CALLS} calls, worker killed: new agent audible at the callers after "
                  f"{', '.join(f'{h:.2f}s' for h in sorted(heard))} (worst {max(heard):.2f}s)")
            # The conversation goes on with the same caller.
            for c in callers:
                r = await c.ask(where, timeout=60, tail=0.3)
                assert r["answer"].text.strip(), r
            stop.set()
            await watcher
            assert all(h <= BUDGET_S for h in heard), (heard, BUDGET_S)
            return survivors, most
        finally:
            for c in callers:
                await c.hang_up()

    survivors, most = asyncio.run(run())
    assert set(most) == set(rooms) and max(most.values()) == 1, most
    lines = [l for s in survivors for l in s.lines()]
    for r in rooms:
        # Exactly one new agent per room, whoever noticed the loss.
        admitted = [l for l in lines if l.get("msg") == "call admitted" and l.get("room") == r]
        assert len(admitted) == 1, (r, admitted)
        resumed = [l for l in lines if l.get("msg") == "call resumed after its worker was lost" and l.get("room") == r]
        assert len(resumed) == 1 and resumed[0]["turns_recovered"] >= 2, resumed
    noticed = [s for s in survivors if s.find("call recovery: a worker is gone")]
    dispatched = sum(1 for l in lines if l.get("msg") == "call recovery: its worker is gone; the call is re-dispatched")
    yielded = sum(1 for l in lines if l.get("msg", "").startswith("call recovery: an earlier recovery dispatch"))
    print(f"survivors that noticed: {len(noticed)}; recovery dispatches: {dispatched}; jobs that yielded: {yielded}")
    # Who notices first depends on the survivors' rounds; when both do at once, the extra jobs
    # yield (counted above) and the checks per room still see one new agent.
    assert noticed
    assert dispatched >= CALLS


def test_a_call_already_over_is_not_recovered(name, cleanup):
    victim = worker(name, 2)
    cleanup["serves"].append(victim)
    survivor = worker(name, 2)
    cleanup["serves"].append(survivor)
    room = f"pytest-recover-over-{uuid.uuid4().hex[:8]}"
    cleanup["rooms"].append(room)

    async def run():
        caller = Caller(room, identity="pytest-caller", agent_identity=AGENT, dispatch_agent=name)
        await caller.join()
        await caller.wait_for(lambda: caller.agent_finals(), 60, "the greeting")
        meta = await asyncio.to_thread(wait_until, lambda: asyncio.run(rooms_metadata([room])).get(room, {}).get(
            "parley"), 10, "the call's record in the room's metadata")
        owner = meta["owner"]
        holder = victim if owner["instance"] == victim.find("parley serve listening")["instance"] else survivor
        other = survivor if holder is victim else victim
        await caller.hang_up()
        holder.proc.send_signal(signal.SIGKILL)  # the call is over; its worker dies right after
        holder.proc.wait()
        await asyncio.to_thread(wait_until, lambda: other.find("call recovery: a worker is gone"), 10,
                                "the other worker to notice")
        await asyncio.to_thread(wait_until, lambda: other.find(
            "call recovery: the call is over (no caller left); nothing to do", room=room), 5, "the verdict")
        # The room is still there (departure_timeout), with no recovery dispatch and no new agent.
        assert not [d for d in await dispatches(room) if "parley_recover" in d.metadata]
        return other
    other = asyncio.run(run())
    assert not other.find("call admitted", room=room)
