"""Transport overhead and concurrency, against a minimal Convex-wire server on 127.0.0.1 (its own process).

1. Round trip of one call through the transport (encode, POST, parse, decode, map) vs a bare httpx POST of the
   same body to the same server (plus ``json.loads`` of the answer), async and sync. Goal: ratio <= 1.15.
2. 64 concurrent calls on one async client vs the same 64 sequentially, with 0 ms and 10 ms of server latency.

Run: ``python -m benchmarks.bench_transport [--calls N]``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from cortex._async.http_transport import AsyncConvexTransport
from cortex._sync.http_transport import SyncConvexTransport
from cortex._transport import wire
from cortex._transport.encoding import request_body

PATH = "bench:echo"
ARGS = {
    "memorySpaceId": "space-1",
    "content": "The user prefers dark mode and short answers. " * 4,
    "importance": 70,
    "tags": ["preferences", "ui"],
    "metadata": {"source": "chat", "turn": 12},
}
ANSWER = {
    "status": "success",
    "value": {
        "_id": "k17abc",
        "_creationTime": 1795478804924.0,
        "memoryId": "mem-1",
        "content": ARGS["content"],
        "importance": 70.0,
        "tags": ["preferences", "ui"],
    },
    "logLines": [],
}


def serve(port: int) -> None:
    """The server process: answers every POST with ``ANSWER`` after ``?delay`` (ms, from the path suffix)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    body = json.dumps(ANSWER).encode()

    async def call(request: Request) -> Response:
        await request.body()
        delay = float(request.path_params.get("delay", 0))
        if delay:
            await asyncio.sleep(delay / 1000)
        return Response(body, media_type="application/json")

    app = Starlette(
        routes=[
            Route("/api/{kind}", call, methods=["POST"]),
            Route("/d/{delay}/api/{kind}", call, methods=["POST"]),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("benchmark server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("benchmark server did not start")


async def _time_async(fn: Callable[[], Awaitable[object]], calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return samples


def _time_sync(fn: Callable[[], object], calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _us(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1e6:7.0f} us  mean {statistics.fmean(samples) * 1e6:7.0f} us"


async def round_trip_async(url: str, calls: int) -> tuple[list[float], list[float]]:
    body = request_body(PATH, ARGS)
    headers = wire.request_headers(None, None)
    bare_client = httpx.AsyncClient()
    transport = AsyncConvexTransport(url, max_retries=0)

    async def bare() -> object:
        response = await bare_client.post(f"{url}/api/query", content=body, headers=headers)
        return json.loads(response.content)

    async def through() -> object:
        return await transport.call("query", PATH, ARGS)

    await _time_async(bare, 200)
    await _time_async(through, 200)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(calls):  # interleaved call by call, so load drift hits both sides alike
        theirs += await _time_async(bare, 1)
        ours += await _time_async(through, 1)
    await bare_client.aclose()
    await transport.aclose()
    return ours, theirs


def round_trip_sync(url: str, calls: int) -> tuple[list[float], list[float]]:
    body = request_body(PATH, ARGS)
    headers = wire.request_headers(None, None)
    bare_client = httpx.Client()
    transport = SyncConvexTransport(url, max_retries=0)

    def bare() -> object:
        response = bare_client.post(f"{url}/api/query", content=body, headers=headers)
        return json.loads(response.content)

    def through() -> object:
        return transport.call("query", PATH, ARGS)

    _time_sync(bare, 200)
    _time_sync(through, 200)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(calls):
        theirs += _time_sync(bare, 1)
        ours += _time_sync(through, 1)
    bare_client.close()
    transport.close()
    return ours, theirs


async def concurrency(
    url: str, delay_ms: int, pool: int | None = None, batch: int = 64, repeats: int = 5
) -> tuple[float, float]:
    base = f"{url}/d/{delay_ms}" if delay_ms else url
    client = (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool))
        if pool
        else None
    )
    transport = AsyncConvexTransport(base, max_retries=0, http_client=client)
    await asyncio.gather(*(transport.call("query", PATH, ARGS) for _ in range(batch)))
    sequential: list[float] = []
    concurrent: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batch):
            await transport.call("query", PATH, ARGS)
        sequential.append(batch / (time.perf_counter() - start))
        start = time.perf_counter()
        await asyncio.gather(*(transport.call("query", PATH, ARGS) for _ in range(batch)))
        concurrent.append(batch / (time.perf_counter() - start))
    await transport.aclose()
    if client is not None:
        await client.aclose()
    return statistics.median(sequential), statistics.median(concurrent)


def main(argv: list[str] | None = None) -> None:
    """Start the server process, print the figures, stop the server."""
    parser = argparse.ArgumentParser(prog="bench_transport")
    parser.add_argument("--calls", type=int, default=3000, help="calls per side for the round trip")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.serve:
        serve(options.serve)
        return
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_transport", "--serve", str(port)]
    )
    try:
        _wait(port, process)
        url = f"http://127.0.0.1:{port}"
        print(
            f"transport round trip, {options.calls} calls per side, loopback, server in its own process"
        )
        for flavour, (ours, theirs) in (
            ("async", asyncio.run(round_trip_async(url, options.calls))),
            ("sync", round_trip_sync(url, options.calls)),
        ):
            ratio = statistics.median(ours) / statistics.median(theirs)
            mean_ratio = statistics.fmean(ours) / statistics.fmean(theirs)
            print(f"  {flavour:5} bare httpx    {_us(theirs)}")
            print(f"  {flavour:5} transport     {_us(ours)}")
            paired = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
            print(
                f"  {flavour:5} ratio p50 {ratio:.3f}  mean {mean_ratio:.3f}"
                f"  median of paired ratios {paired:.3f}  (goal <= 1.15)"
            )
        print("64 calls on one async client: sequential vs concurrent (asyncio.gather)")
        for delay, pool in ((0, None), (10, None), (10, 64)):
            seq, conc = asyncio.run(concurrency(url, delay, pool))
            pool_text = f"{pool} connections" if pool else "default pool (16)"
            print(
                f"  server latency {delay:2d} ms, {pool_text:18}: sequential {seq:6.0f} calls/s,"
                f" concurrent {conc:6.0f} calls/s, speed-up {conc / seq:.1f}x"
            )
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
