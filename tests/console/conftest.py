"""pytest hooks that end the run without the LiveKit SDK's shutdown panic (see sdk_exit_hooks)."""
from sdk_exit_hooks import pytest_sessionfinish, pytest_unconfigure  # noqa: F401 - pytest hooks
