"""Fixtures of the phone-call tests: one `parley serve` (webhook mode, embedded defaults) and one
SIP line (trunk + individual dispatch rule) per test module, on the local stack with its SIP
bridge. The LiveKit Python SDK's native runtime can panic while the interpreter shuts down, so
once pytest is done the process leaves without that teardown (as tests/agent/conftest.py does)."""
import asyncio
import os
import sys
import urllib.request

import pytest

from serve_support import Serve, wait_until
from sip_support import Line, list_rooms, delete_room

PREFIX = "pytest-sip"
NUMBER = "+15550100"

_status = {"code": 0}


def pytest_sessionfinish(session, exitstatus):
    _status["code"] = int(exitstatus)


def pytest_unconfigure(config):
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_status["code"])


def bridge_healthy():
    try:
        with urllib.request.urlopen("http://127.0.0.1:8091/", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def serve():
    # Not a skip: a stack without its SIP bridge is a broken install (scripts/install.sh builds it).
    assert bridge_healthy(), "the SIP bridge (livekit-sip) is not running on the stack: run scripts/install.sh"
    s = Serve("--set", "webhook.listen=127.0.0.1:8080")
    wait_until(lambda: s.get("/readyz")[0] == 200, 15, "/readyz 200 (LiveKit reachable)")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def line(serve):
    with Line(NUMBER, PREFIX) as l:
        yield l
    # Rooms of calls whose test did not delete them (a failed test): leave the stack clean.
    for room in asyncio.run(list_rooms()):
        if room.startswith(PREFIX + "_"):
            delete_room(room)
