"""Fixtures of the phone-call tests: one `parley serve` (webhook mode, embedded defaults) and one
SIP line (trunk + individual dispatch rule) per test module, on the local stack with its SIP
bridge."""
import urllib.error
import urllib.request

import pytest

from sdk_exit_hooks import pytest_sessionfinish, pytest_unconfigure  # noqa: F401 - pytest hooks
from serve_support import Serve, wait_until
from sip_support import Line, delete_rooms

PREFIX = "pytest-sip"
NUMBER = "+15550100"


def bridge_running():
    """The bridge's health port answers: 200, or 429 "UnderLoad" when it counts the whole shared
    machine's CPU as its own (it still takes inbound calls then)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:8091/", timeout=2) as r:
            return r.status == 200
    except urllib.error.HTTPError as e:
        return e.code == 429
    except OSError:
        return False


def start_serve(*settings):
    """`parley serve` for the bridge's webhooks, with these extra arguments, once it is ready."""
    # Not a skip: a stack without its SIP bridge is a broken install (scripts/install.sh builds it).
    assert bridge_running(), "the SIP bridge (livekit-sip) is not running on the stack: run scripts/install.sh"
    s = Serve("--set", "webhook.listen=127.0.0.1:8080", *settings)
    wait_until(lambda: s.get("/readyz")[0] == 200, 15, "/readyz 200 (LiveKit reachable)")
    return s


@pytest.fixture(scope="module")
def serve():
    s = start_serve()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def line(serve):
    with Line(NUMBER, PREFIX) as l:
        yield l
    delete_rooms(PREFIX + "_")   # rooms of calls whose test did not delete them (a failed test)
