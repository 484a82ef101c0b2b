"""pytest hooks for tests that use the LiveKit Python SDK, imported by their conftest.py: its native
runtime sometimes panics while the interpreter shuts down ("panic in a function that cannot
unwind", after every test has reported), which turns a passed run into an abort. Once pytest is
completely done, leave without that teardown so ctest sees the tests' own result."""
import os
import sys

_status = {"code": 0}


def pytest_sessionfinish(session, exitstatus):
    _status["code"] = int(exitstatus)


def pytest_unconfigure(config):
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_status["code"])
