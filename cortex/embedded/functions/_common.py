"""Small helpers shared by the handler modules: upstream-shaped ids and argument/document plumbing.

One implementation of each; handler modules import them from here rather than keeping private copies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from cortex._helpers import random_base36 as random_base36  # shared with the client's ids
from cortex.embedded import UNDEFINED, MutationCtx, QueryCtx, js

Doc = dict[str, Any]


def new_id(prefix: str, now: float) -> str:
    """An id shaped like upstream's: ``<prefix>-<Date.now()>-<9 base-36 characters>``."""
    return f"{prefix}-{js.number_to_string(now)}-{random_base36(9)}"


def opt(value: Any) -> Any:
    """An optional argument as the JavaScript handler sees it: ``None`` (not sent) is ``undefined``."""
    return UNDEFINED if value is None else value


def plain(model: BaseModel) -> Doc:
    """The object a caller sent for a nested argument (wire names, only the members given)."""
    return model.model_dump(by_alias=True, exclude_unset=True)


def defined(fields: Doc) -> Doc:
    """``fields`` without its ``UNDEFINED`` members (those a JavaScript object literal would not store)."""
    return {k: v for k, v in fields.items() if v is not UNDEFINED}


def delete_all(ctx: MutationCtx, docs: list[Doc]) -> None:
    """Delete each of ``docs`` (documents read in this transaction)."""
    for doc in docs:
        ctx.db.delete(doc["_id"])


def purge_table(ctx: MutationCtx, table: str, what: str = "purgeAll") -> list[Doc]:
    """Delete every document of ``table`` (refused, naming ``what``, unless the backend allows purges); the
    deleted documents."""
    ctx.require_purge_allowed(what)
    docs = ctx.db.query(table).collect()
    delete_all(ctx, docs)
    return docs


def within(
    docs: list[Doc],
    name: str,
    after: float | None,
    before: float | None,
    *,
    inclusive: bool = False,
) -> list[Doc]:
    """The documents whose ``name`` lies after ``after`` and before ``before`` (strictly, or ``inclusive`` of
    the bounds); a ``None`` bound does not apply."""
    if after is not None:
        docs = (
            [d for d in docs if d[name] >= after]
            if inclusive
            else [d for d in docs if d[name] > after]
        )
    if before is not None:
        docs = (
            [d for d in docs if d[name] <= before]
            if inclusive
            else [d for d in docs if d[name] < before]
        )
    return docs


def index_range(**equal: Any) -> Callable[[Any], Any]:
    """The index range given by equalities on the index's leading fields, in the order given."""

    def bounds(q: Any) -> Any:
        for name, value in equal.items():
            q = q.eq(name, value)
        return q

    return bounds


def find_scoped(
    ctx: QueryCtx,
    table: str,
    key: dict[str, Any],
    tenant_id: str | None,
    *,
    index: str,
    tenant_index: str,
) -> Doc | None:
    """The document with ``key`` (equalities on an index's fields) as a tenant sees it. With a tenant: its own,
    from ``tenant_index`` (``tenantId`` then ``key``'s fields). Without: the first match of ``index``, which counts
    only when it belongs to no tenant (a tenant's document that comes first hides a later global one, as
    upstream)."""
    if tenant_id:
        scoped = index_range(tenantId=tenant_id, **key)
        return ctx.db.query(table).with_index(tenant_index, scoped).first()
    candidate = ctx.db.query(table).with_index(index, index_range(**key)).first()
    return candidate if candidate is not None and not js.truthy(candidate.get("tenantId")) else None


def page(items: list[Any], offset: Any, limit: Any) -> list[Any]:
    """``items.slice(offset, offset + limit)``: one page of an already filtered and sorted list."""
    return js.slice_(items, offset, js.add(offset, limit))
