"""No call lost (issue 12, points 1-3), on the real local stack with the official Python SDK as
callers: `parley serve`'s reconciler lists the server's rooms at start and every
calls.reconcile_interval and adopts every caller without an agent, and a call that finds parley
at capacity waits in a queue instead of being refused. Each time is measured at the caller, from
its own recording: the first audible agent audio after the event.

  - restart: parley is killed (SIGKILL) during two calls and started again; both callers hear the
    agent again within 5 s of the start. Before the reconciler nothing came back.
  - down at join: a caller joins while parley is down and livekit-server gives up on the webhook;
    the agent is heard within 5 s of parley starting.
  - lost webhook: parley listens on a webhook path the server does not send to; the reconciler
    answers the call on its own.
  - queue: with max_concurrent 2 a third caller waits, and is greeted when the first hangs up.
Needs the stack's PARLEY_RUN_DIR (livekit-server's log says when it gave up on a webhook)."""
import asyncio
import os
import time
import uuid

from lk_caller import Caller
from serve_support import Serve, delete_room, wait_until

AGENT = "parley-agent"
PATTERNS = 'calls.room_patterns=["pytest-agent-*"]'
LIVEKIT_LOG = os.path.join(os.environ.get("PARLEY_RUN_DIR", ""), "livekit.log")


def start_serve(*args):
    return Serve("--set", "webhook.listen=127.0.0.1:8080", "--set", PATTERNS, "--set", "calls.reconcile_interval=2s",
                 *args)


def new_room(tag):
    return f"pytest-agent-{tag}-{uuid.uuid4().hex[:8]}"


async def heard_agent_since(caller, chunk, since, timeout, what):
    """Waits for the first audible agent audio at or after recording chunk `chunk`; returns its
    arrival in seconds after the monotonic time `since`."""
    t = await caller.wait_for(lambda: caller.first_voice_after(chunk), timeout, what)
    return t - since


async def hang_up_all(callers):
    await asyncio.gather(*(c.hang_up() for c in callers), return_exceptions=True)


def kill(serve):
    serve.proc.kill()
    serve.proc.wait()
    serve.log_file.close()


def test_both_calls_get_the_agent_back_after_parley_is_killed():
    rooms = [new_room("restart"), new_room("restart")]

    async def run():
        first = await asyncio.to_thread(start_serve)
        callers = [Caller(r, identity=f"pytest-caller-{i}", agent_identity=AGENT) for i, r in enumerate(rooms)]
        second = None
        try:
            for c in callers:
                await c.join()
            for c in callers:
                await c.wait_for(lambda c=c: c.agent_finals(), 30, "the greeting before the kill")
            kill(first)
            marks = [len(c.agent_audio) for c in callers]
            # Nothing answers while parley is down (the old agent's participant lingers, silent).
            t0 = time.monotonic()
            second = await asyncio.to_thread(start_serve)
            after = await asyncio.gather(*(heard_agent_since(c, m, t0, 30, "the agent after the restart")
                                           for c, m in zip(callers, marks)))
            return second, after
        except BaseException:
            if second:
                second.stop()
            raise
        finally:
            await hang_up_all(callers)

    try:
        serve, after = asyncio.run(run())
        try:
            print("restart: agent heard again " + ", ".join(f"{a:.2f} s" for a in after) + " after parley started")
            assert all(a < 5 for a in after), after
            for room in rooms:
                admitted = serve.find("call admitted", room=room)
                assert admitted and admitted["source"] == "reconciler", admitted
            assert serve.metric("parley_calls_adopted_total") >= 2
        finally:
            serve.stop()
    finally:
        for room in rooms:
            asyncio.run(delete_room(room))


def webhook_given_up(room, event):
    try:
        with open(LIVEKIT_LOG, errors="replace") as f:
            return any("failed to send webhook" in l and event in l and room in l for l in f)
    except FileNotFoundError:
        raise AssertionError(f"no livekit-server log at {LIVEKIT_LOG}: set PARLEY_RUN_DIR to the stack's")


def test_a_caller_who_joined_while_parley_was_down_gets_the_agent():
    room = new_room("down")

    async def run():
        caller = Caller(room, identity="pytest-caller", agent_identity=AGENT)
        serve = None
        try:
            await caller.join()
            # livekit-server retries the webhook for a while; once it gave up, only the
            # reconciler can find this caller.
            await asyncio.to_thread(wait_until, lambda: webhook_given_up(room, "participant_joined"), 90,
                                    "livekit-server to give up on the participant_joined webhook")
            mark = len(caller.agent_audio)
            t0 = time.monotonic()
            serve = await asyncio.to_thread(start_serve)
            after = await heard_agent_since(caller, mark, t0, 30, "the agent")
            await caller.wait_for(lambda: caller.agent_finals(), 30, "the greeting's transcript")
            return serve, after
        except BaseException:
            if serve:
                serve.stop()
            raise
        finally:
            await caller.hang_up()

    try:
        serve, after = asyncio.run(run())
        try:
            print(f"down at join: agent heard {after:.2f} s after parley started")
            assert after < 5, after
            assert serve.find("call admitted", room=room)["source"] == "reconciler"
        finally:
            serve.stop()
    finally:
        asyncio.run(delete_room(room))


def test_a_call_whose_webhook_is_lost_is_answered_by_the_reconciler():
    room = new_room("lost")
    # The server sends its webhooks to /livekit/webhook; this parley listens elsewhere, so every
    # one is answered 404 and lost.
    serve = start_serve("--set", "webhook.path=/elsewhere")

    async def run():
        caller = Caller(room, identity="pytest-caller", agent_identity=AGENT)
        try:
            t0 = time.monotonic()
            await caller.join()
            after = await heard_agent_since(caller, 0, t0, 30, "the agent")
            await caller.wait_for(lambda: caller.agent_finals(), 30, "the greeting's transcript")
            return after
        finally:
            await caller.hang_up()

    try:
        after = asyncio.run(run())
        print(f"lost webhook: agent heard {after:.2f} s after the caller joined (reconcile_interval 2s)")
        assert after < 2 + 5, after
        assert serve.find("call admitted", room=room)["source"] == "reconciler"
        assert serve.metric("parley_calls_adopted_total") == 1
    finally:
        serve.stop()
        asyncio.run(delete_room(room))


def test_a_third_caller_waits_and_is_greeted_when_the_first_hangs_up():
    rooms = [new_room("queue") for _ in range(3)]
    serve = start_serve("--set", "calls.max_concurrent=2")

    async def run():
        callers = [Caller(r, identity="pytest-caller", agent_identity=AGENT) for r in rooms]
        try:
            for c in callers[:2]:
                await c.join()
                await c.wait_for(lambda c=c: c.agent_finals(), 30, "the greeting")
            await callers[2].join()
            await asyncio.to_thread(wait_until, lambda: serve.find("call queued: calls.max_concurrent (2) calls are "
                                                                   "running: the call waits for a slot",
                                                                   room=rooms[2]), 15, "the third call queued")
            assert serve.metric("parley_calls_queued") == 1
            assert not callers[2].agent_audio, "the waiting caller already hears an agent"
            t0 = time.monotonic()
            await callers[0].hang_up()
            after = await heard_agent_since(callers[2], 0, t0, 30, "the agent for the third caller")
            greeting = await callers[2].wait_for(lambda: callers[2].agent_finals(), 30, "the greeting")
            return after, greeting[0].text
        finally:
            await hang_up_all(callers[1:])

    try:
        after, greeting = asyncio.run(run())
        print(f"queue: third caller greeted {after:.2f} s after the first hung up ({greeting!r})")
        assert "parley" in greeting.lower(), greeting
        assert after < 5, after
        admitted = serve.find("call admitted", room=rooms[2])
        assert admitted["source"] == "queue" and admitted["queued_ms"] > 0, admitted
        wait_until(lambda: serve.metric("parley_calls_queued") == 0, 5, "the queue empty")
    finally:
        serve.stop()
        for room in rooms:
            asyncio.run(delete_room(room))
