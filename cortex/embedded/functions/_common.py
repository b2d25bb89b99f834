"""Small helpers shared by the handler modules: upstream-shaped ids and argument/document plumbing.

One implementation of each; handler modules import them from here rather than keeping private copies.
"""

from __future__ import annotations

import secrets
import string

from cortex.embedded import js

_BASE36 = string.digits + string.ascii_lowercase


def random_base36(n: int = 9) -> str:
    """``n`` random base-36 characters, standing in for ``Math.random().toString(36).substring(2, 2 + n)``."""
    return "".join(secrets.choice(_BASE36) for _ in range(n))


def new_id(prefix: str, now: float) -> str:
    """An id shaped like upstream's: ``<prefix>-<Date.now()>-<9 base-36 characters>``."""
    return f"{prefix}-{js.number_to_string(now)}-{random_base36()}"
