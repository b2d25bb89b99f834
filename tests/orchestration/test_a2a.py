"""``a2a.request`` on the embedded backend (async, sync, HTTP).

No backend here has pub/sub, so the backend refuses every request with ``PUBSUB_NOT_CONFIGURED``; the branches for a
backend that does answer (a response, or ``{timeout: true}``) run against a transport that answers like one.
"""

from __future__ import annotations

from typing import Any

import pytest

from cortex import Cortex, CortexConfig, SyncCortex, ValidationError
from cortex._sync.a2a import A2ATimeoutError as SyncA2ATimeoutError
from cortex.errors import A2ATimeoutError
from cortex.types import A2ARequestParams, A2AResponse

from .rest_support import embedded, embedded_sync, served_url, unique

GOOD = {"from": "finance-agent", "to": "hr-agent", "message": "What is the Q4 budget?"}

BAD_PARAMS: list[tuple[dict[str, Any], str]] = [
    ({"from": ""}, "INVALID_AGENT_ID"),
    ({"from": "bad id!"}, "INVALID_AGENT_ID"),
    ({"to": "x" * 101}, "INVALID_AGENT_ID"),
    ({"to": "   "}, "INVALID_AGENT_ID"),
    ({"message": ""}, "EMPTY_MESSAGE"),
    ({"message": " \n "}, "EMPTY_MESSAGE"),
    ({"message": "é" * 60_000}, "MESSAGE_TOO_LARGE"),
    ({"to": "finance-agent"}, "SAME_AGENT_COMMUNICATION"),
    ({"timeout": 999}, "INVALID_TIMEOUT"),
    ({"timeout": 300_001}, "INVALID_TIMEOUT"),
    ({"timeout": 1500.5}, "INVALID_TIMEOUT"),
    ({"retries": -1}, "INVALID_RETRIES"),
    ({"retries": 11}, "INVALID_RETRIES"),
    ({"importance": 101}, "INVALID_IMPORTANCE"),
    ({"importance": 50.5}, "INVALID_IMPORTANCE"),
]


class AnsweringTransport:
    """A backend with pub/sub, as far as ``a2a.request`` can tell: every call returns ``answer``."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(self, kind: Any, path: str, args: Any, *, options: Any = None) -> Any:
        self.calls.append((path, dict(args)))
        return self.answer

    async def aclose(self) -> None:
        return None


async def test_request_without_pubsub_raises_a2a_timeout_error_and_stores_nothing() -> None:
    async with embedded() as client:
        with pytest.raises(A2ATimeoutError) as info:
            await client.a2a.request({**GOOD, "timeout": 5000, "userId": "u1", "importance": 80})
        err = info.value
        assert err.code == "PUBSUB_NOT_CONFIGURED"
        assert err.message_id.startswith("a2a-req-")
        assert err.timeout == 5000
        assert err.details == {"messageId": err.message_id, "timeout": 5000}
        assert "pub/sub" in str(err)
        assert client.transport.paths == ["a2a:request"]
        conversation = await client.a2a.get_conversation("finance-agent", "hr-agent")
        assert conversation.message_count == 0


async def test_request_default_timeout_is_30_seconds() -> None:
    async with embedded() as client:
        with pytest.raises(A2ATimeoutError) as info:
            await client.a2a.request(A2ARequestParams.model_validate(GOOD))
        assert info.value.timeout == 30_000


@pytest.mark.parametrize(("change", "code"), BAD_PARAMS)
async def test_request_rejects_bad_params_before_sending(change: dict[str, Any], code: str) -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.a2a.request({**GOOD, **change})
        assert info.value.code == code
        assert client.transport.paths == []


async def test_request_rejects_missing_fields() -> None:
    async with embedded() as client:
        with pytest.raises(ValidationError) as info:
            await client.a2a.request({"from": "a", "to": "b"})
        assert info.value.code == "EMPTY_MESSAGE"
        with pytest.raises(ValidationError) as info:
            await client.a2a.request(None)  # type: ignore[arg-type]
        assert info.value.code == "MISSING_PARAMS"
        assert client.transport.paths == []


async def test_request_returns_the_response_of_a_pubsub_backend() -> None:
    answer = {
        "response": "About 2M",
        "messageId": "a2a-req-1",
        "responseMessageId": "a2a-res-1",
        "respondedAt": 1_700_000_000_000,
        "responseTime": 120,
    }
    transport = AnsweringTransport(answer)
    async with Cortex(CortexConfig(), transport=transport) as client:  # type: ignore[arg-type]
        response = await client.a2a.request({**GOOD, "timeout": 2000, "contextId": "ctx-1-a"})
    assert isinstance(response, A2AResponse)
    assert response.response == "About 2M"
    assert response.response_time == 120
    [(path, args)] = transport.calls
    assert path == "a2a:request"
    assert args == {**GOOD, "timeout": 2000, "contextId": "ctx-1-a"}


async def test_request_timeout_answer_raises_a2a_timeout_error() -> None:
    transport = AnsweringTransport({"timeout": True, "messageId": "a2a-req-9"})
    async with Cortex(CortexConfig(), transport=transport) as client:  # type: ignore[arg-type]
        with pytest.raises(A2ATimeoutError) as info:
            await client.a2a.request({**GOOD, "timeout": 1000})
    assert info.value.code == "A2A_TIMEOUT"
    assert info.value.message_id == "a2a-req-9"
    assert info.value.timeout == 1000
    assert "hr-agent" in str(info.value) and "1000ms" in str(info.value)


def test_sync_request() -> None:
    # one error class for both clients
    assert SyncA2ATimeoutError is A2ATimeoutError
    with embedded_sync() as client:
        with pytest.raises(A2ATimeoutError) as info:
            client.a2a.request(GOOD)
        assert info.value.code == "PUBSUB_NOT_CONFIGURED"
        with pytest.raises(ValidationError) as vinfo:
            client.a2a.request({**GOOD, "to": GOOD["from"]})
        assert vinfo.value.code == "SAME_AGENT_COMMUNICATION"
        assert client.transport.paths == ["a2a:request"]


async def test_over_http_async() -> None:
    sender = unique("agent")
    async with Cortex(CortexConfig(convex_url=served_url())) as client:
        with pytest.raises(A2ATimeoutError) as info:
            await client.a2a.request({"from": sender, "to": "hr-agent", "message": "hi"})
        assert info.value.code == "PUBSUB_NOT_CONFIGURED"
        assert info.value.message_id.startswith("a2a-req-")


def test_over_http_sync() -> None:
    with SyncCortex(CortexConfig(convex_url=served_url())) as client:
        with pytest.raises(A2ATimeoutError) as info:
            client.a2a.request(
                {"from": unique("agent"), "to": "hr", "message": "hi", "timeout": 2000}
            )
        assert info.value.timeout == 2000
