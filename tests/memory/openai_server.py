"""A local OpenAI-compatible test server (127.0.0.1) that answers from recorded responses.

``POST /v1/chat/completions`` returns the first recording whose ``when`` occurs in the last user message
(``$TARGET`` in a recorded answer is replaced by the first ``factId`` of the prompt's EXISTING facts, as a model
would name it); ``POST /v1/embeddings`` returns deterministic 8-dimensional vectors. Every request is kept in
``requests`` for assertions. Unknown prompts get HTTP 500.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

RECORDINGS = Path(__file__).with_name("fixtures") / "openai_recordings.json"


class RecordedOpenAI:
    def __init__(self) -> None:
        self.recordings: list[dict[str, Any]] = json.loads(RECORDINGS.read_text("utf-8"))["chat"]
        self.requests: list[dict[str, Any]] = []
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self.chat, methods=["POST"]),
                Route("/v1/embeddings", self.embeddings, methods=["POST"]),
            ]
        )

    async def chat(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(
            {"path": "chat", "auth": request.headers.get("authorization"), "body": body}
        )
        prompt = body["messages"][-1]["content"]
        for entry in self.recordings:
            if entry["when"] in prompt:
                text = json.dumps(entry["response"])
                if "$TARGET" in text:
                    found = re.search(r'"factId": "([^"]+)"', prompt)
                    text = text.replace("$TARGET", found.group(1) if found else "")
                return JSONResponse(json.loads(text))
        return JSONResponse({"error": {"message": "no recording for this prompt"}}, status_code=500)

    async def embeddings(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(
            {"path": "embeddings", "auth": request.headers.get("authorization"), "body": body}
        )
        data = []
        for index, text in enumerate(body["input"]):
            vector = [float((sum(map(ord, text)) * (i + 1)) % 97) / 97.0 for i in range(8)]
            data.append({"object": "embedding", "index": index, "embedding": vector})
        return JSONResponse(
            {"object": "list", "data": list(reversed(data)), "model": body["model"]}
        )


@contextmanager
def recorded_openai(port: int) -> Iterator[tuple[str, RecordedOpenAI]]:
    """Serve the recordings on 127.0.0.1:``port``; yields ``(base_url, server)``."""
    fake = RecordedOpenAI()
    server = uvicorn.Server(
        uvicorn.Config(fake.app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("recorded OpenAI server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/v1", fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
