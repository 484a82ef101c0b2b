"""Every room test ends with none of its children (probe, Python peers) still running, whether it
passed or failed half-way."""
import pytest

from room_support import kill_children


@pytest.fixture(autouse=True)
def _no_leftover_children():
    yield
    kill_children()
