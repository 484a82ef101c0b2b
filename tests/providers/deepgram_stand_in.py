#!/usr/bin/env python3
"""A local stand-in for Deepgram's streaming speech-to-text WebSocket (GET /v1/listen), following
its documented wire format, for parley's provider tests (the real service cannot be reached from
the test machine). aiohttp (installed with livekit-api in the test venv) is the WebSocket server:
an implementation independent of parley's Boost.Beast client.

Listens on 127.0.0.1 (a free port, printed on the first line of stdout) and serves:

  GET /v1/listen   the WebSocket. "Authorization: Token dg-test-key" or HTTP 401 with the
                   dg-error header and {"err_code","err_msg","request_id"}; encoding=linear16
                   with sample_rate (else HTTP 400). Binary frames are audio; text frames are
                   {"type":"KeepAlive"|"Finalize"|"CloseStream"}.
  GET /_last       what the last stream received, as JSON (query, authorization, audio bytes,
                   KeepAlive/Finalize/CloseStream counts).

Answers ("model" query parameter picks the scenario):
  ok          every 0.5 s of audio: an interim Results (is_final false) then a final one
              ("chunk N"); on Finalize a Results with is_final and from_finalize true whose
              transcript measures the utterance's audio: "samples <n> hz <f>" (f from zero
              crossings), so a test sees the audio arrived whole and at the right rate.
  nofinalize  as ok, but never answers Finalize (Deepgram may not when it holds no audio).
  slowfinalize  as ok, but answers Finalize 1 s late (a test can act while an answer is due).
  silent      never sends anything.
  closemid    closes with 1011 "NET-0000" after 0.25 s of audio.
  malformed   answers Finalize with a Results whose alternatives is not an array.
  truncated   answers Finalize with half a Results message.
  error       answers Finalize with {"type":"Error", ...}.
CloseStream is answered with a Metadata message, then a normal close.
"""
import asyncio
import json
import struct
import sys
import uuid

from aiohttp import WSMsgType, web

KEY = "dg-test-key"
LAST = {}


def results(transcript, is_final, from_finalize=False, start=0.0, duration=0.5):
    m = {
        "type": "Results",
        "channel_index": [0, 1],
        "duration": duration,
        "start": start,
        "is_final": is_final,
        "speech_final": is_final,
        "channel": {"alternatives": [{"transcript": transcript, "confidence": 0.97 if is_final else 0.0, "words": []}]},
        "metadata": {"request_id": LAST.get("request_id", ""), "model_info": {"name": "stand-in", "version": "1", "arch": "x"},
                     "model_uuid": "00000000-0000-0000-0000-000000000000"},
    }
    if from_finalize:
        m["from_finalize"] = True
    return m


def measure(pcm):
    n = len(pcm) // 2
    if n == 0:
        return 0, 0
    samples = struct.unpack("<%dh" % n, pcm[: n * 2])
    crossings = sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))
    hz = round(crossings / 2 / (n / 16000.0))
    return n, hz


async def listen(request):
    rid = str(uuid.uuid4())
    auth = request.headers.get("Authorization", "")
    q = request.query
    LAST.clear()
    LAST.update({"request_id": rid, "query": dict(q), "authorization": auth, "audio_bytes": 0, "binary_frames": 0,
                 "empty_frames": 0, "keepalive": 0, "finalize": 0, "closestream": 0})
    if auth != "Token " + KEY:
        return web.json_response({"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": rid},
                                 status=401, headers={"dg-error": "Invalid credentials.", "dg-request-id": rid})
    if q.get("encoding") and not q.get("sample_rate"):
        return web.json_response({"err_code": "Bad Request", "err_msg": "sample_rate is required with encoding",
                                  "request_id": rid}, status=400, headers={"dg-request-id": rid})
    scenario = q.get("model", "ok")
    ws = web.WebSocketResponse(autoping=True)
    await ws.prepare(request)
    utterance = bytearray()
    chunks = 0
    async for msg in ws:
        if msg.type == WSMsgType.BINARY:
            LAST["binary_frames"] += 1
            if not msg.data:
                LAST["empty_frames"] += 1
                continue
            LAST["audio_bytes"] += len(msg.data)
            utterance += msg.data
            if scenario == "silent":
                continue
            if scenario == "closemid" and len(utterance) >= 8000:
                await ws.close(code=1011, message=b"NET-0000")
                break
            while len(utterance) // 16000 > chunks:  # 0.5 s of 16 kHz linear16 = 16000 bytes
                chunks += 1
                await ws.send_str(json.dumps(results("partial", False, start=(chunks - 1) * 0.5)))
                await ws.send_str(json.dumps(results("chunk%d" % chunks, True, start=(chunks - 1) * 0.5)))
        elif msg.type == WSMsgType.TEXT:
            try:
                kind = json.loads(msg.data).get("type")
            except (ValueError, AttributeError):
                kind = None
            if kind == "KeepAlive":
                LAST["keepalive"] += 1
            elif kind == "CloseStream":
                LAST["closestream"] += 1
                await ws.send_str(json.dumps({"type": "Metadata", "transaction_key": "deprecated", "request_id": rid,
                                              "sha256": "0" * 64, "created": "2026-01-01T00:00:00.000Z",
                                              "duration": LAST["audio_bytes"] / 32000.0, "channels": 1}))
                await ws.close()
                break
            elif kind == "Finalize":
                LAST["finalize"] += 1
                n, hz = measure(bytes(utterance))
                utterance = bytearray()
                chunks = 0
                final = json.dumps(results("samples %d hz %d" % (n, hz), True, from_finalize=True))
                if scenario == "ok":
                    await ws.send_str(final)
                elif scenario == "slowfinalize":
                    asyncio.get_running_loop().call_later(
                        1.0, lambda f=final: None if ws.closed else asyncio.ensure_future(ws.send_str(f)))
                elif scenario == "malformed":
                    await ws.send_str(json.dumps({"type": "Results", "is_final": True, "from_finalize": True,
                                                  "channel": {"alternatives": "nope"}}))
                elif scenario == "truncated":
                    await ws.send_str(final[: len(final) // 2])
                elif scenario == "error":
                    await ws.send_str(json.dumps({"type": "Error", "description": "Failed to process audio",
                                                  "message": "stand-in error", "variant": "x"}))
        elif msg.type == WSMsgType.ERROR:
            break
    return ws


async def last(_request):
    return web.json_response(LAST)


async def main():
    app = web.Application()
    app.router.add_get("/v1/listen", listen)
    app.router.add_get("/_last", last)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
