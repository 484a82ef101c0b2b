#!/usr/bin/env python3
"""A stand-in for Yandex SpeechKit v3 streaming recognition and synthesis, on 127.0.0.1 with TLS
(a self-signed certificate made at start), for tests. It speaks the documented wire format: the
services speechkit.stt.v3.Recognizer (RecognizeStreaming) and speechkit.tts.v3.Synthesizer
(UtteranceSynthesis), messages from Yandex's own generated code (the yandexcloud package,
stt_pb2 / tts_pb2), so parley's .proto subset is checked against the real definitions on every
exchange.

Synthesis: real Russian speech from espeak-ng, resampled by sox to the requested LINEAR16 rate,
sent in 100 ms audio_chunk messages; more than 250 characters without unsafe_mode is refused
with INVALID_ARGUMENT, as Yandex documents.

Behaviour (ydocs stt/streaming.md, stt/eou.md, concepts/limits):
- metadata "authorization: Api-Key <key>" must carry $YANDEX_STAND_IN_KEY, else UNAUTHENTICATED;
- the first message must be session_options; later ones chunk / silence_chunk / eou;
- the text answered is derived from the audio: the chunks' energy finds speech (RMS > 500), and
  after 400 ms of quiet (quiet chunks or silence_chunk) the utterance ends: a final
  "речь <ms> мс" (its speech duration, to 20 ms) then eou_update; partials while it lasts; so a
  test tells real speech from silence and sees the audio's rate was right. With
  $YANDEX_STAND_IN_PHRASE set, a final is "<phrase>, речь <ms> мс": the words a live call's
  caller stands for (what a real recogniser would hear), still only for real speech;
- status_code WORKING every second as a keep-alive;
- 5 s without a message: the session is cut (status_code CLOSED, then the call ends);
- more than $YANDEX_STAND_IN_MAX_AUDIO_MS (default 300000) of audio+silence in a session, or
  10 MB: the session ends with INVALID_ARGUMENT (the 5-minute / 10 MB limit);
- $YANDEX_STAND_IN_FAIL=<gRPC code name> fails every call with that code; =HANG never answers;
  =DROP drops each recognition stream with UNAVAILABLE once it carried 300 ms of audio (a
  connection reset mid-utterance);
- $YANDEX_STAND_IN_DIR/control.json, read at each call, changes that while the server runs:
  {"fail": <as above>, "service": "stt"|"tts"|"" (both), "key": <the key accepted now>}.

Every event is appended as a JSON line to $YANDEX_STAND_IN_DIR/events.jsonl; the certificate
is $YANDEX_STAND_IN_DIR/cert.pem. The first line printed is the port."""
import array
import json
import math
import os
import queue
import subprocess
import sys
import threading
import time
from concurrent import futures

import grpc
from yandex.cloud.ai.stt.v3 import stt_pb2
from yandex.cloud.ai.tts.v3 import tts_pb2

DIR = os.environ["YANDEX_STAND_IN_DIR"]
KEY = os.environ.get("YANDEX_STAND_IN_KEY", "")
MAX_AUDIO_MS = int(os.environ.get("YANDEX_STAND_IN_MAX_AUDIO_MS", "300000"))
FAIL = os.environ.get("YANDEX_STAND_IN_FAIL", "")
PHRASE = os.environ.get("YANDEX_STAND_IN_PHRASE", "")
IDLE_CUT_S = 5.0
EVENTS = os.path.join(DIR, "events.jsonl")
_lock = threading.Lock()


def record(**event):
    event["t"] = time.time()
    with _lock, open(EVENTS, "a", encoding="utf-8") as f:
        f.write(json.dumps(event, ensure_ascii=False) + "\n")


def rms(pcm):
    samples = array.array("h", pcm)
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def alternative_update(text):
    return stt_pb2.AlternativeUpdate(alternatives=[stt_pb2.Alternative(text=text)])


_sessions = [0]


def recognize_streaming(request_iterator, context):
    with _lock:
        _sessions[0] += 1
        session = _sessions[0]
    meta = check_call(context, "stt")
    incoming = queue.Queue()

    def read():
        try:
            for r in request_iterator:
                incoming.put(r)
        except grpc.RpcError:
            pass
        incoming.put(None)

    threading.Thread(target=read, daemon=True).start()
    first = incoming.get(timeout=IDLE_CUT_S)
    if first is None or not first.HasField("session_options"):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message must be session_options")
    opts = first.session_options
    raw = opts.recognition_model.audio_format.raw_audio
    rate = raw.sample_rate_hertz
    record(event="session", session=session, folder=meta.get("x-folder-id", ""),
           encoding=stt_pb2.RawAudio.AudioEncoding.Name(raw.audio_encoding), rate=rate,
           channels=raw.audio_channel_count, model=opts.recognition_model.model,
           languages=list(opts.recognition_model.language_restriction.language_code),
           classifier=opts.eou_classifier.WhichOneof("Classifier") or "",
           eou_type=opts.eou_classifier.default_classifier.type)
    audio_ms, nbytes, speech_ms, quiet_ms, last_partial = 0.0, 0, 0.0, 0.0, 0.0
    last_message = last_status = time.monotonic()
    finals = 0
    while True:
        try:
            r = incoming.get(timeout=0.2)
        except queue.Empty:
            r = "idle"
        now = time.monotonic()
        if now - last_status >= 1.0:
            last_status = now
            yield stt_pb2.StreamingResponse(status_code=stt_pb2.StatusCode(code_type=stt_pb2.WORKING))
        if r == "idle":
            if now - last_message > IDLE_CUT_S:
                record(event="idle_cut", session=session)
                yield stt_pb2.StreamingResponse(status_code=stt_pb2.StatusCode(code_type=stt_pb2.CLOSED,
                                                                               message="idle timeout"))
                return
            continue
        if r is None:
            record(event="end", session=session, audio_ms=audio_ms, bytes=nbytes, finals=finals)
            return
        last_message = now
        kind = r.WhichOneof("Event")
        if kind == "chunk":
            ms = len(r.chunk.data) / 2 / rate * 1000
            audio_ms += ms
            nbytes += len(r.chunk.data)
            if rms(r.chunk.data) > 500:
                speech_ms += ms
                quiet_ms = 0
            elif speech_ms:
                quiet_ms += ms
        elif kind == "silence_chunk":
            record(event="silence_chunk", session=session, ms=r.silence_chunk.duration_ms)
            audio_ms += r.silence_chunk.duration_ms
            if speech_ms:
                quiet_ms += r.silence_chunk.duration_ms
        elif kind == "eou":
            quiet_ms = 10**9
        else:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "session_options sent twice")
        if audio_ms >= 300 and failing("stt") == "DROP":
            record(event="drop", session=session, audio_ms=audio_ms)
            context.abort(grpc.StatusCode.UNAVAILABLE, "Connection reset by peer")
        if audio_ms > MAX_AUDIO_MS or nbytes > 10 * 1024 * 1024:
            record(event="over_limit", session=session, audio_ms=audio_ms)
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "audio duration limit exceeded")
        if speech_ms and speech_ms - last_partial >= 500:
            last_partial = speech_ms
            yield stt_pb2.StreamingResponse(partial=alternative_update("речь..."))
        if speech_ms and quiet_ms >= 400:
            text = "речь %d мс" % (round(speech_ms / 20) * 20)
            if PHRASE:
                text = PHRASE + ", " + text
            finals += 1
            record(event="final", session=session, text=text, speech_ms=speech_ms, at_audio_ms=audio_ms)
            yield stt_pb2.StreamingResponse(final=alternative_update(text))
            yield stt_pb2.StreamingResponse(eou_update=stt_pb2.EouUpdate(time_ms=int(audio_ms)))
            speech_ms, quiet_ms, last_partial = 0.0, 0.0, 0.0


def control():
    """The failure mode and key in force now: control.json's, else the environment's."""
    try:
        with open(os.path.join(DIR, "control.json"), encoding="utf-8") as f:
            c = json.load(f)
    except (FileNotFoundError, ValueError):
        c = {}
    return c.get("fail", FAIL), c.get("service", ""), c.get("key", KEY)


def failing(service):
    fail, scope, _ = control()
    return fail if scope in ("", service) else ""


def check_call(context, service):
    meta = dict(context.invocation_metadata())
    fail = failing(service)
    if fail == "HANG":
        record(event="hang", service=service)
        time.sleep(3600)
    if fail and fail != "DROP":
        record(event="fail", code=fail, service=service)
        context.abort(getattr(grpc.StatusCode, fail), "stand-in fails with " + fail)
    if meta.get("authorization") != "Api-Key " + control()[2]:
        record(event="unauthenticated", service=service)
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "The token is invalid")
    return meta


def utterance_synthesis(request, context):
    meta = check_call(context, "tts")
    hints = {h.WhichOneof("Hint"): getattr(h, h.WhichOneof("Hint")) for h in request.hints}
    raw = request.output_audio_spec.raw_audio
    rate = raw.sample_rate_hertz or 22050
    if len(request.text) > 250 and not request.unsafe_mode:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "text longer than 250 characters")
    wav = subprocess.run(["espeak-ng", "-v", "ru", "--stdout", request.text], check=True, capture_output=True).stdout
    pcm = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", str(rate), "-e", "signed", "-b", "16", "-c", "1", "-"],
                         input=wav, check=True, capture_output=True).stdout
    record(event="tts", folder=meta.get("x-folder-id", ""), text=request.text, voice=hints.get("voice", ""),
           role=hints.get("role", ""), speed=hints.get("speed", 1.0), rate=rate, unsafe_mode=request.unsafe_mode,
           encoding=tts_pb2.RawAudio.AudioEncoding.Name(raw.audio_encoding), bytes=len(pcm))
    step = rate // 10 * 2
    for i in range(0, len(pcm), step):
        piece = pcm[i:i + step]
        yield tts_pb2.UtteranceSynthesisResponse(audio_chunk=tts_pb2.AudioChunk(data=piece), start_ms=i * 500 // rate,
                                                 length_ms=len(piece) * 500 // rate)


def main():
    cert, key = os.path.join(DIR, "cert.pem"), os.path.join(DIR, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    handler = grpc.method_handlers_generic_handler("speechkit.stt.v3.Recognizer", {
        "RecognizeStreaming": grpc.stream_stream_rpc_method_handler(
            recognize_streaming, request_deserializer=stt_pb2.StreamingRequest.FromString,
            response_serializer=stt_pb2.StreamingResponse.SerializeToString),
    })
    tts_handler = grpc.method_handlers_generic_handler("speechkit.tts.v3.Synthesizer", {
        "UtteranceSynthesis": grpc.unary_stream_rpc_method_handler(
            utterance_synthesis, request_deserializer=tts_pb2.UtteranceSynthesisRequest.FromString,
            response_serializer=tts_pb2.UtteranceSynthesisResponse.SerializeToString),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=[handler, tts_handler])
    creds = grpc.ssl_server_credentials([(open(key, "rb").read(), open(cert, "rb").read())])
    port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
