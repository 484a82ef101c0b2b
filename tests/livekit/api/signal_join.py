"""Holds a LiveKit signal connection open with a given token, as an independent client (aiohttp,
which the official livekit-api SDK uses), so a participant exists for server-API tests.
Appends to EVENT_FILE: "open", "frame <n bytes>" for each server message (JoinResponse first),
and "closed" when the server ends the connection (e.g. after RemoveParticipant).

usage: signal_join.py WS_URL TOKEN EVENT_FILE [SECONDS]
"""
import asyncio
import sys

import aiohttp


async def main(url: str, token: str, path: str, seconds: float) -> None:
    events = open(path, "a", buffering=1)
    params = {"access_token": token, "protocol": "17", "sdk": "python", "auto_subscribe": "1"}
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url.rstrip("/") + "/rtc", params=params, heartbeat=5) as ws:
            events.write("open\n")
            try:
                async with asyncio.timeout(seconds):
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.BINARY:
                            events.write(f"frame {len(msg.data)}\n")
                        elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                            break
            except TimeoutError:
                events.write("timeout\n")
                return
    events.write("closed\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 60))
