"""Threads of `parley serve` do not grow with the number of calls (issue 13): one call, then five
at once, each a real caller (the official Python SDK) greeted by the agent on the local stack.
The agent's voice is paced by the media loops' shared tick and nothing else, so a call adds no
timer thread, pacer or queue thread; the loops, the engine pool and the library threads are
made once. Counted in /proc/<pid>/task once every call has been greeted and the counts settled."""
import asyncio
import os
import time
import uuid

from lk_caller import Caller
from serve_support import delete_room

AGENT = "parley-agent"
MORE = 4  # calls added to the first: five at once


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


async def settled_threads(pid, seconds=3.0):
    """The thread count once it has stayed the same for `seconds` (a library may start a thread
    lazily on a call's first packets; a count that never settles fails the test below)."""
    deadline = time.monotonic() + 30
    last, since = threads(pid), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        now = threads(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return now
    raise AssertionError(f"parley's thread count did not settle in 30 s (last {last})")


async def greeted(room):
    caller = Caller(room, identity="pytest-caller-" + room[-8:], agent_identity=AGENT)
    await caller.join()
    await caller.wait_for(lambda: caller.agent_finals(), 60, f"the greeting in {room}")
    return caller


async def calls(serve):
    pid = serve.proc.pid
    idle = threads(pid)
    rooms = ["pytest-agent-threads-" + uuid.uuid4().hex[:8] for _ in range(1 + MORE)]
    callers = []
    try:
        callers.append(await greeted(rooms[0]))
        one = await settled_threads(pid)
        callers += await asyncio.gather(*(greeted(r) for r in rooms[1:]))
        five = await settled_threads(pid)
        assert serve.metric("parley_calls_active") == 1 + MORE
    finally:
        for c in callers:
            await c.hang_up()
        for r in rooms:
            await delete_room(r)
    return idle, one, five


def test_threads_stay_the_same_from_one_call_to_five(serve):
    idle, one, five = asyncio.run(calls(serve))
    print(f"parley serve threads: idle {idle}, 1 call {one}, {1 + MORE} calls {five}")
    assert five == one, f"{five} threads with {1 + MORE} calls, {one} with one: a call added threads"
