"""A fake Gemini REST endpoint on 127.0.0.1 for tests that drive the real google-genai client.

It speaks ``POST /{v1|v1beta}/models/{model}:generateContent``, checks the ``x-goog-api-key``
header, records every request, and answers according to a script of behaviours:

``ok``              a valid brief as the candidate text, with usageMetadata
``429`` / ``500``   Google's error JSON with that status
``slow``            sleeps ``slow_seconds`` and then answers ``ok``
``invalid_json``    200 with a candidate text that is not JSON
``bad_body``        200 with an HTML body (not JSON at all)
``schema_mismatch`` 200 with JSON that misses required fields
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = re.compile(r"^/(v1|v1beta)/models/([^/:]+):generateContent$")

GOOD_BRIEF = {
    "headline": "Form and rest favour the hosts",
    "key_factors": [
        "The home side won 7 of its last 10 games.",
        "The visitors play the second night of a back-to-back.",
        "elo_v1 rates the home team 60 points higher.",
    ],
    "prediction_take": "elo_v1 gives the home team a 68% chance, above the 60% baseline.",
    "confidence": "medium",
}
USAGE = {"promptTokenCount": 321, "candidatesTokenCount": 87, "totalTokenCount": 408}


class FakeGemini:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.script: list[str] = []
        self.default = "ok"
        self.slow_seconds = 3.0
        self.brief: dict[str, Any] = dict(GOOD_BRIEF)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGemini:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def _error(self, code: int, status: str, message: str) -> None:
                self._send(code, {"error": {"code": code, "message": message, "status": status}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                match = PATH.match(self.path)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = None
                with fake._lock:
                    fake.requests.append({
                        "path": self.path, "api_version": match.group(1) if match else None,
                        "model": match.group(2) if match else None,
                        "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                    })
                if not match:
                    return self._error(404, "NOT_FOUND", f"no route {self.path}")
                if self.headers.get("x-goog-api-key") != fake.api_key:
                    return self._error(403, "PERMISSION_DENIED", "API key not valid.")
                behaviour = fake._next()
                if behaviour == "slow":
                    time.sleep(fake.slow_seconds)
                    behaviour = "ok"
                if behaviour == "429":
                    return self._error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted.")
                if behaviour == "500":
                    return self._error(500, "INTERNAL", "An internal error has occurred.")
                if behaviour == "bad_body":
                    return self._send(200, b"<html>upstream proxy error</html>", "text/html")
                text = {
                    "ok": json.dumps(fake.brief),
                    "invalid_json": "Sure! Here is the brief: {headline: oops",
                    "schema_mismatch": json.dumps({"headline": "Only a headline",
                                                   "key_factors": ["just one"]}),
                }[behaviour]
                return self._send(200, {
                    "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                    "finishReason": "STOP", "index": 0}],
                    "usageMetadata": USAGE,
                    "modelVersion": match.group(2),
                })

        return Handler
