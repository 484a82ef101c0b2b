"""Two livekit-server nodes sharing one Redis (the local stack's node A on 7880, and a node B this
test starts on 7890), on loopback: a parley worker registered only with node B serves a call
whose room lives on node A. The job request crosses nodes over Redis (psrpc), and the agent joins
through node B, which relays its signalling to the room's node (docs/scaling.md)."""
import asyncio
import os
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest

from lk_caller import Caller
from serve_support import Serve, delete_room, wait_until

AGENT = "parley-agent"
BIN = os.path.join(os.environ.get("PARLEY_CACHE", os.path.expanduser("~/.cache/parley")), "bin", "livekit-server")
NODE_B = 7890


def redis(*args):
    return subprocess.run(["redis-cli", "-p", "6379", *args], capture_output=True, text=True, check=True).stdout.split()


def node_b_config(path):
    with open(path, "w") as f:
        f.write(f"""port: {NODE_B}
bind_addresses: [127.0.0.1]
keys:
  devkey: secret
rtc:
  tcp_port: {NODE_B + 1}
  udp_port: {NODE_B + 2}
  use_external_ip: false
  enable_loopback_candidate: true
  node_ip: 127.0.0.1
  stun_servers: ["127.0.0.1:3478"]
  interfaces:
    includes: [lo]
redis:
  address: 127.0.0.1:6379
room:
  auto_create: true
  empty_timeout: 60
  departure_timeout: 5
agents:
  target_load: 1.0
logging:
  level: info
""")


def answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


@pytest.fixture
def node_b():
    before = set(redis("HKEYS", "nodes"))
    assert before, "the local stack's livekit-server (node A) must be up with Redis"
    folder = tempfile.mkdtemp(prefix="parley-node-b-")
    node_b_config(os.path.join(folder, "livekit.yaml"))
    log = open(os.path.join(folder, "livekit.log"), "w")
    proc = subprocess.Popen([BIN, "--config", os.path.join(folder, "livekit.yaml")], stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: answers(NODE_B), 30, "node B to answer")
        b = wait_until(lambda: set(redis("HKEYS", "nodes")) - before, 15, "node B in Redis's node list")
        yield {"a": before, "b": b, "log": os.path.join(folder, "livekit.log")}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_a_worker_on_node_b_serves_a_room_on_node_a(node_b):
    name = "pytest-nodes-" + uuid.uuid4().hex[:8]
    w = Serve("--set", "webhook.listen=127.0.0.1:18391", "--set", "agent.dispatch=worker",
              "--set", f"agent.agent_name={name}", "--set", "calls.max_concurrent=4",
              "--set", "providers.pocketsphinx.max_decoders=1",
              env={"LIVEKIT_URL": f"ws://127.0.0.1:{NODE_B}"})
    rooms = []
    try:
        wait_until(lambda: w.find("agent worker registered"), 20, "the worker to register with node B")

        async def call(room):
            # The caller joins through node A and creates the room there with a job for `name`.
            caller = Caller(room, identity="pytest-caller", agent_identity=AGENT, dispatch_agent=name)
            await caller.join()
            try:
                node = (redis("HGET", "room_node_map", room) or [""])[0]
                t0 = time.monotonic()
                await caller.wait_for(lambda: caller.agent_finals(), 30, "the greeting")
                return node, time.monotonic() - t0
            finally:
                await caller.hang_up()

        served = {}
        for _ in range(12):  # rooms land on a node at random: until one is on node A
            room = "pytest-nodes-" + uuid.uuid4().hex[:8]
            rooms.append(room)
            node, took = asyncio.run(call(room))
            served[room] = (node, took)
            assert w.find("agent worker: job assigned", room=room), room
            if node in node_b["a"]:
                break
        on_a = [r for r, (node, _) in served.items() if node in node_b["a"]]
        print(f"rooms and their nodes: {[(r[-8:], 'A' if n in node_b['a'] else 'B', f'{t:.2f}s') for r, (n, t) in served.items()]}")
        assert on_a, "no room was placed on node A in 12 tries"
        assert w.find("call admitted", room=on_a[0])
    finally:
        w.stop()
        for r in rooms:
            asyncio.run(delete_room(r))
