"""The local LiveKit stack (scripts/stack.sh) as Python clients see it: its URL and dev keys, its
rooms through the official SDK's server API, and waiting for a condition with a deadline. Shared
by the demo's phone call (scripts/sip_call.py) and the tests (tests/service/serve_support.py)."""
import os
import time

from livekit import api

# The TLS stack (PARLEY_STACK_TLS=1) is reached as wss://localhost:7443; its CA is then trusted
# through SSL_CERT_FILE, which both the SDK and aiohttp read.
LIVEKIT_URL = os.environ.get("LIVEKIT_URL", "ws://127.0.0.1:7880")
API_KEY = "devkey"
API_SECRET = "secret"


def _api():
    return api.LiveKitAPI(LIVEKIT_URL.replace("wss://", "https://").replace("ws://", "http://"), API_KEY, API_SECRET)


async def list_rooms():
    """Names of the rooms on the local server."""
    lk = _api()
    try:
        return [r.name for r in (await lk.room.list_rooms(api.ListRoomsRequest())).rooms]
    finally:
        await lk.aclose()


async def delete_room(room):
    """Deletes a room, if it is still there."""
    lk = _api()
    try:
        await lk.room.delete_room(api.DeleteRoomRequest(room=room))
    except Exception:
        pass
    finally:
        await lk.aclose()


def wait_until(cond, timeout, what):
    """Polls cond() until it returns something true (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
