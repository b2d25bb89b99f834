"""A child process for concurrency and crash tests: writes through the embedded transport and reports each
acknowledged write on stdout. Usage: ``python writer_proc.py DB NAME COUNT [--vectors]`` (COUNT 0 = forever)."""

from __future__ import annotations

import random
import sys

from cortex._generated.args.mutable import MutableSetArgs, MutableUpdateArgs
from cortex._generated.calls_sync import mutable as calls
from cortex.embedded.transport import SyncEmbeddedTransport


def main() -> None:
    db, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    vectors = "--vectors" in sys.argv
    transport = SyncEmbeddedTransport(db)
    engine = transport.engine
    rng = random.Random(name)
    i = 0
    while count == 0 or i < count:
        key = f"{name}-{i}"
        calls.mutable_set(transport, MutableSetArgs(namespace="load", key=key, value=i))
        calls.mutable_update(
            transport, MutableUpdateArgs(namespace="shared", key="counter", operation="increment")
        )
        if vectors:
            vec = [rng.random() for _ in range(16)]

            def insert(ctx: object, key: str = key, vec: list[float] = vec) -> str:
                return ctx.db.insert(  # type: ignore[attr-defined, no-any-return]
                    "memories",
                    {
                        "memoryId": key,
                        "memorySpaceId": f"space-{rng.randint(0, 3)}",
                        "content": f"memory {key}",
                        "contentType": "raw",
                        "embedding": vec,
                        "sourceType": "system",
                        "sourceTimestamp": 1.0,
                        "importance": 1.0,
                        "tags": [],
                        "version": 1.0,
                        "previousVersions": [],
                        "createdAt": 1.0,
                        "updatedAt": 1.0,
                        "accessCount": 0.0,
                    },
                )

            engine.run_mutation(insert)
        print(key, flush=True)
        i += 1
    transport.close()


if __name__ == "__main__":
    main()
