"""pytest hooks that end the run without the LiveKit SDK's shutdown panic (see sdk_exit_hooks),
and the `parley serve` the live agent tests call: it admits rooms named pytest-agent-*."""
import pytest

from sdk_exit_hooks import pytest_sessionfinish, pytest_unconfigure  # noqa: F401 - pytest hooks
from serve_support import Serve, wait_until


@pytest.fixture
def serve():
    s = Serve("--set", "webhook.listen=127.0.0.1:8080", "--set", 'calls.room_patterns=["pytest-agent-*"]')
    wait_until(lambda: s.get("/readyz")[0] == 200, 10, "/readyz 200 (LiveKit reachable)")
    yield s
    s.stop()
