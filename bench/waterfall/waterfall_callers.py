"""The two callers of the latency waterfall (waterfall_bench.py), each making calls and saying
what it saw on its own clock, in one shape: per call a dict

  {"room", "connect_unix", "greeting_heard_unix" (None: never audible), "greeting" (its text),
   "turns": [{"question" (index), "done_unix", "heard_unix" (None: never audible), "answer"}]}

done_unix: the question's last voiced frame handed on (to the SDK / to the encoder); heard_unix:
the answer's first audible chunk at the caller. Unix seconds, so both clocks agree with parley's.

  python  the official LiveKit Python SDK (scripts/lk_caller.py), one asyncio task per call
  cpp     bench_caller (bench_caller.cpp): parley's own livekit::Room, all the calls in one process
"""
import asyncio
import json
import os
import subprocess
import time

from lk_caller import Caller

IDENTITY = "bench-caller"


async def python_call(room, questions, speech, delay=0.0):
    await asyncio.sleep(delay)
    to_unix = time.time() - time.monotonic()
    caller = Caller(room, identity=IDENTITY)
    connect = time.monotonic()
    await caller.join()
    call = {"room": room, "connect_unix": connect + to_unix, "greeting_heard_unix": None, "greeting": "", "turns": []}
    try:
        finals = await caller.wait_for(lambda: caller.agent_finals(), 30, "the greeting")
        call["greeting"] = finals[0].text
        voice = caller.first_voice_after(0, 500)
        if voice is not None:
            call["greeting_heard_unix"] = voice + to_unix
        for q in range(questions):
            r = await caller.ask(speech[q % len(speech)], tail=0.5)
            done = r["done_at"] + to_unix
            call["turns"].append({"question": q, "done_unix": done, "answer": r["answer"].text,
                                  "heard_unix": None if r["voice_after"] is None else done + r["voice_after"]})
    finally:
        await caller.hang_up()
    return call


def python_calls(rooms, questions, speech, stagger=0.0):
    """The Python SDK caller: the rooms' calls at the same time (one room: a single call), the
    i-th starting i × stagger seconds after the first."""
    async def all_calls():
        return await asyncio.gather(*(python_call(room, questions, speech, i * stagger) for i, room in enumerate(rooms)))
    return asyncio.run(all_calls())


def cpp_calls(caller_bin, rooms, questions, question_wavs, stagger=0.0):
    """bench_caller: the rooms' calls at the same time from one process, the i-th starting
    i × stagger seconds after the first."""
    args = [caller_bin, "--rooms", ",".join(rooms), "--questions", str(questions), "--identity", IDENTITY,
            "--stagger", str(stagger)]
    for wav in question_wavs:
        args += ["--question", wav]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120 + 60 * questions + stagger * len(rooms))
    if os.environ.get("PARLEY_CALLER_LOG"):
        # Its whole log (PARLEY_CALLER_LOG_LEVEL=debug for the rooms' signalling), to look into a failed call.
        with open(os.environ["PARLEY_CALLER_LOG"], "w") as f:
            f.write(r.stderr)
    if r.returncode != 0:
        tail = "\n".join(r.stderr.splitlines()[-30:])
        raise AssertionError(f"bench_caller failed (exit {r.returncode}):\n{tail}")
    calls = {room: {"room": room, "turns": []} for room in rooms}
    for line in r.stdout.splitlines():
        record = json.loads(line)
        call = calls[record["room"]]
        if "question" in record:
            call["turns"].append(record)
        else:
            call.update(record)
    return [calls[room] for room in rooms]
