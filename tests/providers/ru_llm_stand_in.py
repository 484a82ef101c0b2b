#!/usr/bin/env python3
"""A local stand-in for the two Russian LLM services parley speaks to through its
OpenAI-compatible client, following their documented wire formats, for provider tests. Listens
on 127.0.0.1 (port 0 = any free one; the port is the first line printed).

YandexGPT, OpenAI-compatible mode (ydocs foundation-models/concepts/openai-compatibility):
  POST /v1/chat/completions  "Authorization: Bearer <API key>" (the page's form) or Yandex
                             Cloud's "Api-Key <API key>"; "model": "gpt://<folder>/yandexgpt/latest"
                             (or yandexgpt-lite, /rc, /deprecated) in the key's folder; "stream":
                             true answers OpenAI's text/event-stream of chat.completion.chunk
                             deltas, then "data: [DONE]".
GigaChat (developers.sber.ru gigachat/api/reference/rest: post-token, post-chat):
  POST /api/v2/oauth         form "scope=GIGACHAT_API_PERS|GIGACHAT_API_B2B|GIGACHAT_API_CORP",
                             "Authorization: Basic <authorization key>", "RqUID: <uuid4>" (both
                             required); answers {"access_token", "expires_at"} (Unix ms), the
                             token valid $RU_LLM_TOKEN_TTL_S seconds (default 1800: 30 min).
  POST /api/v1/chat/completions  "Authorization: Bearer <access token>" (unknown or expired:
                             401); roles system, user, assistant, function only, one system
                             message and only first (else 422, as Sber documents); OpenAI's
                             "tools" are not GigaChat's (it has "functions"): refused with 422.
                             "stream": true answers server-sent chunk deltas, then [DONE].

Keys: $RU_LLM_YANDEX_KEY, $RU_LLM_YANDEX_FOLDER, $RU_LLM_GIGACHAT_AUTH_KEY.
GET /_events: every request seen (path, headers, JSON or form body, outcome), as JSON.
"""
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

YANDEX_KEY = os.environ.get("RU_LLM_YANDEX_KEY", "")
YANDEX_FOLDER = os.environ.get("RU_LLM_YANDEX_FOLDER", "")
GIGACHAT_AUTH_KEY = os.environ.get("RU_LLM_GIGACHAT_AUTH_KEY", "")
TOKEN_TTL_S = float(os.environ.get("RU_LLM_TOKEN_TTL_S", "1800"))
SCOPES = {"GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"}
GIGACHAT_MODELS = {"GigaChat", "GigaChat-Pro", "GigaChat-Max", "GigaChat-2", "GigaChat-2-Pro", "GigaChat-2-Max"}
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MODEL_URI = re.compile(r"^gpt://([^/]+)/(yandexgpt|yandexgpt-lite)(/(latest|rc|deprecated))?$")
ANSWER = ["Мы работаем ", "с девяти утра ", "до шести вечера."]

EVENTS = []
TOKENS = {}  # access token -> expiry (Unix seconds)
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream(self, model, pieces):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(data):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        for i, piece in enumerate(pieces):
            delta = {"content": piece}
            if i == 0:
                delta["role"] = "assistant"
            chunk = {"id": "chatcmpl-ru", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            send(b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n")
        done = {"id": "chatcmpl-ru", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        send(b"data: " + json.dumps(done).encode() + b"\n\n")
        send(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def record(self, **event):
        event.update(path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, t=time.time())
        with LOCK:
            EVENTS.append(event)

    def do_GET(self):
        if self.path == "/_events":
            with LOCK:
                return self.reply(200, EVENTS)
        self.reply(404, {"error": {"message": "not found"}})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        if self.path == "/api/v2/oauth":
            return self.oauth(raw, auth)
        try:
            body = json.loads(raw)
        except ValueError:
            self.record(outcome="bad_json")
            return self.reply(400, {"error": {"message": "the body is not JSON"}})
        if self.path == "/v1/chat/completions":
            return self.yandexgpt(body, auth)
        if self.path == "/api/v1/chat/completions":
            return self.gigachat(body, auth)
        self.record(outcome="not_found", body=body)
        self.reply(404, {"error": {"message": "no such path"}})

    def yandexgpt(self, body, auth):
        if auth not in ("Bearer " + YANDEX_KEY, "Api-Key " + YANDEX_KEY) or not YANDEX_KEY:
            self.record(outcome="unauthenticated", body=body)
            return self.reply(401, {"error": {"message": "Unknown api key", "type": "invalid_request_error"}})
        m = MODEL_URI.match(body.get("model", ""))
        if not m or m.group(1) != YANDEX_FOLDER:
            self.record(outcome="bad_model", body=body)
            return self.reply(400, {"error": {"message": "model must be gpt://<folder>/yandexgpt/latest in the key's folder"}})
        if not body.get("stream"):
            self.record(outcome="not_streamed", body=body)
            return self.reply(400, {"error": {"message": "this stand-in only streams"}})
        self.record(outcome="ok", body=body)
        self.stream(body["model"], ANSWER)

    def oauth(self, raw, auth):
        form = dict(urllib.parse.parse_qsl(raw.decode()))
        rquid = self.headers.get("RqUID", "")
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("application/x-www-form-urlencoded") or not UUID4.match(rquid):
            self.record(outcome="bad_request", form=form)
            return self.reply(400, {"code": 4, "message": "RqUID must be a uuid4 and the body a form"})
        if auth != "Basic " + GIGACHAT_AUTH_KEY or not GIGACHAT_AUTH_KEY:
            self.record(outcome="unauthenticated", form=form)
            return self.reply(401, {"code": 6, "message": "credentials doesn't match db data"})
        if form.get("scope") not in SCOPES:
            self.record(outcome="bad_scope", form=form)
            return self.reply(400, {"code": 7, "message": "scope from db not fully includes consumed scope"})
        token = secrets.token_urlsafe(24)
        expires = time.time() + TOKEN_TTL_S
        with LOCK:
            TOKENS[token] = expires
        self.record(outcome="token", form=form)
        self.reply(200, {"access_token": token, "expires_at": int(expires * 1000)})

    def gigachat(self, body, auth):
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        with LOCK:
            expires = TOKENS.get(token, 0)
        if expires < time.time():
            self.record(outcome="unauthenticated", body=body)
            return self.reply(401, {"status": 401, "message": "Token has expired"})
        msgs = body.get("messages", [])
        roles = [m.get("role") for m in msgs]
        if any(r not in ("system", "user", "assistant", "function") for r in roles) or "system" in roles[1:]:
            self.record(outcome="bad_messages", body=body)
            return self.reply(422, {"status": 422, "message": "Invalid params: system message must be the first message"})
        if "tools" in body or body.get("model") not in GIGACHAT_MODELS:
            self.record(outcome="bad_params", body=body)
            return self.reply(422, {"status": 422, "message": "Invalid params"})
        self.record(outcome="ok", body=body)
        self.stream(body["model"], ANSWER)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
