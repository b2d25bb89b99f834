"""Convex's HTTP function API over the embedded engine (``cortex serve``).

``POST /api/query|mutation|action`` with ``{"path", "args", "format"}`` (``convex_encoded_json`` or ``json``):

* ``200 {"status": "success", "value", "logLines": []}``;
* ``200 {"status": "error", "errorMessage", "errorData"?, "logLines": []}`` for function errors (unknown
  function, wrong kind, argument validation, errors thrown by the handler);
* ``400 {"code", "message"}`` for a body that is not a well-formed request, ``401`` without the admin key,
  ``413`` for a body over ``max_body_bytes``, ``500 {"code", "message"}`` when the store itself fails.

Nothing is ever answered with a stack trace.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import math
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cortex._transport import encoding
from cortex.embedded.engine import Engine
from cortex.errors import CortexError

log = logging.getLogger("cortex.embedded.server")

MAX_BODY_BYTES = 20 * 1024 * 1024
FORMATS = ("convex_encoded_json", "json")


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _plain(value: Any) -> Any:
    """A value for ``format: "json"``: bytes as base64 text, non-finite floats as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _json_response(body: dict[str, Any]) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Response(text, media_type="application/json")


async def _read_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    engine: Engine, *, admin_key: str | None, max_body_bytes: int = MAX_BODY_BYTES
) -> Starlette:
    """The Starlette app; ``admin_key=None`` disables authentication (loopback only, enforced by the CLI)."""
    expected = f"Convex {admin_key}".encode() if admin_key is not None else None

    def authorized(request: Request) -> bool:
        if expected is None:
            return True
        given = request.headers.get("authorization", "").encode("utf-8", "replace")
        return hmac.compare_digest(given, expected)

    async def call(request: Request, kind: str) -> Response:
        if not authorized(request):
            return _error(
                401, "Unauthenticated", "missing or invalid admin key (Authorization: Convex <key>)"
            )
        try:
            raw = await _read_body(request, max_body_bytes)
        except ClientDisconnect:
            return _error(400, "BadRequest", "client disconnected")
        if raw is None:
            return _error(413, "PayloadTooLarge", f"request body exceeds {max_body_bytes} bytes")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            return _error(400, "BadJsonBody", f"request body is not valid JSON: {exc}")
        if not isinstance(body, dict):
            return _error(400, "BadJsonBody", "request body must be a JSON object")
        path = body.get("path")
        if not isinstance(path, str) or not path:
            return _error(400, "BadJsonBody", "missing field `path` (string)")
        fmt = body.get("format", "json")
        if fmt not in FORMATS:
            return _error(
                400,
                "BadConvexFormat",
                f"unsupported format {fmt!r}; use one of {', '.join(FORMATS)}",
            )
        args = body.get("args", {})
        if isinstance(args, list) and len(args) == 1:
            args = args[0]
        if not isinstance(args, dict):
            return _error(400, "BadJsonBody", "field `args` must be an object")
        if fmt == "convex_encoded_json":
            try:
                args = encoding.decode_value(args)
            except CortexError as exc:
                return _error(400, "BadConvexValue", str(exc))
        try:
            outcome = await run_in_threadpool(engine.execute, kind, path, args)
        except Exception:
            log.exception("embedded backend failure in %s", path)
            return _error(
                500, "InternalServerError", "the embedded backend failed; see the server log"
            )
        try:
            if fmt == "convex_encoded_json":
                if "value" in outcome:
                    outcome["value"] = encoding.encode_value(outcome["value"])
                if "errorData" in outcome:
                    outcome["errorData"] = encoding.encode_value(outcome["errorData"])
            else:
                outcome = _plain(outcome)
            return _json_response(outcome)
        except (CortexError, ValueError, TypeError):
            log.exception("could not encode the result of %s", path)
            return _error(
                500, "InternalServerError", "the function returned a value that cannot be encoded"
            )

    async def query(request: Request) -> Response:
        return await call(request, "query")

    async def mutation(request: Request) -> Response:
        return await call(request, "mutation")

    async def action(request: Request) -> Response:
        return await call(request, "action")

    async def version(request: Request) -> Response:
        return JSONResponse({"backend": "cortex-embedded"})

    return Starlette(
        routes=[
            Route("/api/query", query, methods=["POST"]),
            Route("/api/mutation", mutation, methods=["POST"]),
            Route("/api/action", action, methods=["POST"]),
            Route("/version", version, methods=["GET"]),
        ],
        exception_handlers={Exception: _internal},
    )


async def _internal(request: Request, exc: Exception) -> Response:
    log.error("unhandled server error: %s", type(exc).__name__)
    return _error(500, "InternalServerError", "internal server error")
