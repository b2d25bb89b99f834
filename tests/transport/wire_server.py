"""A small real HTTP server speaking Convex's public function API on 127.0.0.1, scriptable per test.

``POST /api/query|mutation|action`` with ``{"path", "args", "format"}``. Each request is recorded. A test queues
replies (``server.script(Reply.failure(429, retry_after="1"), Reply.success(1))``); when the queue is empty the
server answers from its function table (``server.functions["mod:fn"] = lambda args: ...``) like Convex would:
``200 {"status": "success", "value", "logLines"}``, or a function error for an unknown path.

Built-in functions: ``echo:args`` returns the raw (still encoded) ``args`` object unchanged, ``echo:value`` returns
the raw ``args["value"]``, ``echo:logs`` returns null with ``args["lines"]`` as logLines.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[Any], Any]


@dataclass
class Reply:
    """One scripted answer. ``drop`` closes the connection without answering; ``delay`` waits first."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False

    @staticmethod
    def json(status: int, payload: Any, *, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status=status, body=json.dumps(payload).encode(), headers=dict(headers or {}))

    @staticmethod
    def success(value: Any, *, log_lines: list[str] | None = None, delay: float = 0.0) -> Reply:
        payload: dict[str, Any] = {"status": "success", "value": value, "logLines": log_lines or []}
        reply = Reply.json(200, payload)
        reply.delay = delay
        return reply

    @staticmethod
    def error(
        message: str,
        *,
        data: Any = None,
        status: int = 200,
        log_lines: list[str] | None = None,
        request_id: str = "0123456789abcdef",
    ) -> Reply:
        payload: dict[str, Any] = {
            "status": "error",
            "errorMessage": f"[Request ID: {request_id}] Server Error\n{message}",
            "logLines": log_lines or [],
        }
        if data is not None:
            payload["errorData"] = data
        return Reply.json(status, payload)

    @staticmethod
    def failure(
        status: int, code: str = "Error", message: str = "", *, retry_after: str | None = None
    ) -> Reply:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return Reply.json(status, {"code": code, "message": message}, headers=headers)

    @staticmethod
    def raw(body: bytes, *, status: int = 200, content_type: str = "text/plain") -> Reply:
        return Reply(status=status, body=body, headers={"Content-Type": content_type})

    @staticmethod
    def dropped(*, delay: float = 0.0) -> Reply:
        return Reply(drop=True, delay=delay)

    @staticmethod
    def slow(seconds: float, value: Any = None) -> Reply:
        return Reply.success(value, delay=seconds)


@dataclass
class Seen:
    """A request as the server received it."""

    kind: str
    path: str | None
    headers: dict[str, str]
    body: bytes
    payload: Any


class WireServer:
    """The server; ``url`` is ``http://127.0.0.1:<port>``. Use ``start()``/``stop()`` or a ``with`` block."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.functions: dict[str, Handler] = {
            "echo:args": lambda args: args,
            "echo:value": lambda args: args.get("value"),
        }
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> WireServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> WireServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *replies: Reply) -> None:
        """Queue replies; each request takes the next one."""
        with self._lock:
            self._script.extend(replies)

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def _record(self, seen: Seen) -> Reply | None:
        with self._lock:
            self.requests.append(seen)
            return self._script.pop(0) if self._script else None

    def answer(self, seen: Seen) -> Reply:
        """The default (unscripted) answer, like Convex."""
        payload = seen.payload
        if not isinstance(payload, dict) or not isinstance(payload.get("path"), str):
            return Reply.failure(400, "BadJsonBody", "missing field `path`")
        path = payload["path"]
        if path == "echo:logs":
            return Reply.success(None, log_lines=list(payload["args"].get("lines", [])))
        handler = self.functions.get(path)
        if handler is None:
            return Reply.error(
                f"Could not find public function for '{path}'. Did you forget to run"
                " `npx convex dev` or `npx convex deploy`?"
            )
        try:
            return Reply.success(handler(payload.get("args")))
        except Exception as exc:
            return Reply.error(f"Uncaught Error: {exc}\n    at handler (../convex/{path}.ts:1:1)")


def _make_handler(server: WireServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                payload = json.loads(body) if body else None
            except ValueError:
                payload = None
            kind = self.path.rsplit("/", 1)[-1]
            path = payload.get("path") if isinstance(payload, dict) else None
            seen = Seen(kind, path, {k.lower(): v for k, v in self.headers.items()}, body, payload)
            reply = server._record(seen) or server.answer(seen)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            try:
                self.wfile.write(reply.body)
            except OSError:
                self.close_connection = True

    return _Handler
