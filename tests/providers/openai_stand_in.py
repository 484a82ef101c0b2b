#!/usr/bin/env python3
"""A local stand-in for the OpenAI API, following its documented wire formats, for parley's
provider tests. Listens on 127.0.0.1 (port 0 = any free one; the port is printed on the first
line of stdout) and serves:

  POST /v1/chat/completions   stream=true: text/event-stream of chat.completion.chunk objects
                              (delta.content, delta.tool_calls by index), then "data: [DONE]"
  POST /v1/audio/transcriptions  multipart/form-data (file=WAV, model): {"text": ...}
  POST /v1/audio/speech       JSON {model, input, voice, response_format: "pcm"}: raw 24 kHz
                              s16le mono, chunked
  GET  /_last                 the last request (path, headers, JSON or form fields) as JSON

The scenario is chosen by the model name: "ok" (default), "tools", "malformed", "truncated",
"error500", "error401", "ratelimit", "slow", "html", "error_event", "not_sse".
"""
import json
import math
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST = {}


def chunk(delta, finish=None, model="ok"):
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def parse_multipart(body, content_type):
    boundary = None
    for part in content_type.split(";"):
        part = part.strip()
        if part.startswith("boundary="):
            boundary = part[len("boundary="):].strip('"')
    if not boundary:
        return None
    fields = {}
    delim = b"--" + boundary.encode()
    for piece in body.split(delim)[1:]:
        if piece.startswith(b"--"):
            break
        piece = piece[2:] if piece.startswith(b"\r\n") else piece
        head, _, data = piece.partition(b"\r\n\r\n")
        data = data[:-2] if data.endswith(b"\r\n") else data
        name = None
        filename = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition"):
                for attr in line.split(";"):
                    attr = attr.strip()
                    if attr.startswith("name="):
                        name = attr[5:].strip('"')
                    if attr.startswith("filename="):
                        filename = attr[9:].strip('"')
        if name:
            fields[name] = {"data": data, "filename": filename}
    return fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_GET(self):
        if self.path == "/_last":
            return self.send_json(200, LAST)
        self.send_json(404, {"error": {"message": "not found"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        LAST.clear()
        LAST["path"] = self.path
        LAST["headers"] = {k.lower(): v for k, v in self.headers.items()}
        if self.path == "/v1/chat/completions":
            req = json.loads(body)
            LAST["json"] = req
            return self.chat(req)
        if self.path == "/v1/audio/speech":
            req = json.loads(body)
            LAST["json"] = req
            return self.speech(req)
        if self.path == "/v1/audio/transcriptions":
            fields = parse_multipart(body, self.headers.get("Content-Type", ""))
            if fields is None or "file" not in fields:
                return self.send_json(400, {"error": {"message": "expected multipart/form-data with a file"}})
            wav = fields["file"]["data"]
            LAST["form"] = {k: (v["data"].decode() if k != "file" else None) for k, v in fields.items()}
            LAST["filename"] = fields["file"]["filename"]
            LAST["wav_bytes"] = len(wav)
            return self.transcribe(fields.get("model", {}).get("data", b"").decode(), wav)
        self.send_json(404, {"error": {"message": "no such endpoint"}})

    # ---- chat ----------------------------------------------------------------------------
    def chat(self, req):
        model = req.get("model", "ok")
        if model == "error500":
            return self.send_json(500, {"error": {"message": "The server had an error", "type": "server_error"}})
        if model == "error401":
            return self.send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        if model == "ratelimit":
            return self.send_json(429, {"error": {"message": "Rate limit reached", "type": "requests"}})
        if model == "not_sse":
            return self.send_json(200, {"choices": [{"message": {"content": "hi"}}]})
        if model == "html":
            body = b"<html>bad gateway</html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if not req.get("stream"):
            return self.send_json(400, {"error": {"message": "stream must be true for this stand-in"}})
        self.start_chunked("text/event-stream; charset=utf-8")

        def event(obj):
            self.write_chunk(b"data: " + json.dumps(obj).encode() + b"\n\n")

        last_user = ""
        for m in req.get("messages", []):
            if m.get("role") == "user":
                last_user = m.get("content") or ""
        event(chunk({"role": "assistant", "content": ""}, model=model))
        if model == "tools":
            event(chunk({"content": "Goodbye, "}, model=model))
            event(chunk({"content": "thanks for calling."}, model=model))
            event(chunk({"tool_calls": [{"index": 0, "id": "call_abc", "type": "function",
                                         "function": {"name": "end_call", "arguments": ""}}]}, model=model))
            event(chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"rea"}}]}, model=model))
            event(chunk({"tool_calls": [{"index": 0, "function": {"arguments": "son\": \"bye\"}"}}]}, model=model))
            event(chunk({}, finish="tool_calls", model=model))
            self.write_chunk(b"data: [DONE]\n\n")
            return self.end_chunked()
        if model == "error_event":
            event(chunk({"content": "Par"}, model=model))
            self.write_chunk(b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n')
            return self.end_chunked()
        words = ["You ", "said: ", last_user, ". ", "We are open ", "from nine ", "to six."]
        if model == "malformed":
            event(chunk({"content": "Hello"}, model=model))
            self.write_chunk(b"data: {not json\n\n")
            return self.end_chunked()
        for i, w in enumerate(words):
            if model == "truncated" and i == 3:
                # Drop the connection mid-stream, without the terminating chunk.
                self.wfile.flush()
                self.close_connection = True
                return
            # Split events across TCP chunks at odd places, as real servers do.
            data = b"data: " + json.dumps(chunk({"content": w}, model=model)).encode() + b"\n\n"
            if i % 2 == 0:
                self.write_chunk(data[:7])
                self.write_chunk(data[7:])
            else:
                self.write_chunk(data)
            if model == "slow":
                time.sleep(0.3)
        event(chunk({}, finish="stop", model=model))
        self.write_chunk(b": keep-alive comment\r\n\r\n")
        self.write_chunk(b"data: [DONE]\n\n")
        self.end_chunked()

    # ---- speech --------------------------------------------------------------------------
    def speech(self, req):
        model = req.get("model", "tts-1")
        if model == "error500":
            return self.send_json(500, {"error": {"message": "tts down"}})
        if req.get("response_format") != "pcm":
            return self.send_json(400, {"error": {"message": "this stand-in serves response_format pcm"}})
        text = req.get("input", "")
        # 24 kHz s16le mono: a 440 Hz tone, 60 ms per character, in 4800-byte (100 ms) chunks.
        n = int(24000 * 0.06 * max(1, len(text)))
        pcm = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 24000))) for i in range(n))
        self.start_chunked("audio/pcm")
        step = 4800
        for off in range(0, len(pcm), step):
            if model == "truncated" and off >= step * 2:
                self.close_connection = True
                return
            piece = pcm[off:off + step]
            if model == "odd":
                # An odd split: a sample straddles two chunks.
                self.write_chunk(piece[:101])
                self.write_chunk(piece[101:])
            else:
                self.write_chunk(piece)
        self.end_chunked()

    # ---- transcription -------------------------------------------------------------------
    def transcribe(self, model, wav):
        if model == "error500":
            return self.send_json(500, {"error": {"message": "stt down"}})
        if model == "malformed":
            body = b"{\"text\": "
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if len(wav) < 44 or wav[0:4] != b"RIFF" or wav[8:12] != b"WAVE":
            return self.send_json(400, {"error": {"message": "the file is not a WAV"}})
        channels, rate = struct.unpack("<HI", wav[22:28])
        bits = struct.unpack("<H", wav[34:36])[0]
        samples = (len(wav) - 44) // 2
        self.send_json(200, {"text": "heard %d samples at %d Hz, %d channel, %d bit" % (samples, rate, channels, bits)})


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that cancels mid-stream closes its socket: expected, not worth a traceback.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
