"""The offline all-MiniLM-L6-v2 embedder (numpy forward pass) against reference similarities, and end to end."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from cortex import Cortex
from cortex.embeddings import LocalEmbedder, cosine, find_local_model

pytestmark = pytest.mark.skipif(
    not LocalEmbedder.available(), reason="local model (extra 'local') not installed"
)


@pytest.fixture(scope="module")
def model() -> LocalEmbedder:
    return LocalEmbedder()


def test_model_is_found_without_importing_its_package() -> None:
    assert find_local_model() is not None
    assert "all_minilm_l6_v2" not in sys.modules
    assert importlib.util.find_spec("all_minilm_l6_v2") is not None


# Cosine similarities that sentence-transformers' own all-MiniLM-L6-v2 gives for these pairs (its documentation's
# semantic-similarity examples), to 4 decimals.
REFERENCE = [
    ("A man is eating food.", "A man is eating a piece of bread.", 0.7553),
    ("A man is riding a horse.", "A man is riding a white horse on an enclosed ground.", 0.7369),
    (
        "A monkey is playing drums.",
        "Someone in a gorilla costume is playing a set of drums.",
        0.6433,
    ),
]


@pytest.mark.parametrize(("a", "b", "expected"), REFERENCE)
def test_reference_similarities(model: LocalEmbedder, a: str, b: str, expected: float) -> None:
    va, vb = model.embed([a, b])
    assert cosine(va, vb) == pytest.approx(expected, abs=2e-3)


def test_vectors_are_unit_length_384_and_batch_independent(model: LocalEmbedder) -> None:
    texts = ["short", "a somewhat longer sentence about the weather in Lisbon today"]
    batch = model.embed(texts)
    assert [len(v) for v in batch] == [384, 384]
    assert all(abs(sum(x * x for x in v) - 1.0) < 1e-4 for v in batch)
    alone = model.embed([texts[0]])[0]  # padding in a batch must not change a text's vector
    assert cosine(alone, batch[0]) == pytest.approx(1.0, abs=1e-5)


def test_paraphrases_are_much_closer_than_unrelated_text(model: LocalEmbedder) -> None:
    v = model.embed(["Where do you live?", "What city is your home in?", "The invoice is overdue."])
    assert cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.3


async def test_recall_by_meaning_with_the_local_model(model: LocalEmbedder) -> None:
    async with Cortex(local_path=":memory:") as c:
        c.memory.configure(embedder=model)
        for i, (user, agent) in enumerate(
            [
                (
                    "My daughter starts kindergarten next week",
                    "That is a big milestone for the whole family!",
                ),
                (
                    "I'm looking for a vegetarian lasagna recipe",
                    "Spinach and ricotta make a great filling.",
                ),
                (
                    "Our server keeps running out of disk space",
                    "Rotating the logs should free some room.",
                ),
            ]
        ):
            await c.memory.remember(
                {
                    "memory_space_id": "s",
                    "conversation_id": f"c{i}",
                    "user_message": user,
                    "agent_response": agent,
                    "user_id": "u",
                    "user_name": "U",
                    "agent_id": "a",
                }
            )
        result = await c.memory.recall(
            {"memory_space_id": "s", "query": "cooking dinner without meat"}, mode="vector"
        )
        assert "lasagna" in result.items[0].content
