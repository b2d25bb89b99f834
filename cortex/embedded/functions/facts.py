"""The ``facts`` Convex module: versioned subject/predicate/object facts scoped to a memory space.

A fact is never overwritten by ``update``: a new version is inserted (``supersedes`` the old ``factId``) and the old
one is marked ``supersededBy`` with ``validUntil``; lists hide superseded facts unless asked. Arguments are read in
wire form (``args.to_wire()``) so that JavaScript's ``args.x !== undefined`` is ``"x" in a``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from cortex._generated.args.facts import (
    FactsConsolidateArgs,
    FactsCountArgs,
    FactsDeleteByIdsArgs,
    FactsDeleteFactArgs,
    FactsDeleteManyArgs,
    FactsExportFactsArgs,
    FactsFindByStructureArgs,
    FactsGetArgs,
    FactsGetHistoryArgs,
    FactsListArgs,
    FactsPurgeAllArgs,
    FactsQueryByRelationshipArgs,
    FactsQueryBySubjectArgs,
    FactsSearchArgs,
    FactsStoreArgs,
    FactsSupersedeArgs,
    FactsUpdateArgs,
    FactsUpdateInPlaceArgs,
)
from cortex.embedded import (
    UNDEFINED,
    ConvexError,
    FunctionError,
    MutationCtx,
    QueryCtx,
    handler,
    js,
)
from cortex.embedded.functions._common import delete_all, new_id, page, purge_table
from cortex.embedded.functions.fact_history import supersession_cycle

TABLE = "facts"
Doc = dict[str, Any]
SORT_FIELDS = ("createdAt", "updatedAt", "confidence", "version")
# Fields copied from the arguments by ``store``, in upstream's order.
_STORED = (
    "participantId",
    "userId",
    "tenantId",
    "fact",
    "factType",
    "subject",
    "predicate",
    "object",
    "confidence",
    "sourceType",
    "sourceRef",
    "metadata",
    "tags",
)
_ENRICHMENT = ("category", "searchAliases", "semanticContext", "entities", "relations")
_IN_PLACE = ("fact", "confidence", "tags", "validUntil", "metadata", *_ENRICHMENT)


def _by_fact_id(ctx: QueryCtx, fact_id: str) -> Doc | None:
    return ctx.db.query(TABLE).with_index("by_factId", lambda q: q.eq("factId", fact_id)).first()


def _owned(ctx: QueryCtx, space: str, fact_id: str) -> Doc:
    fact = _by_fact_id(ctx, fact_id)
    if fact is None:
        raise ConvexError("FACT_NOT_FOUND")
    if fact["memorySpaceId"] != space:
        raise ConvexError("PERMISSION_DENIED")
    return fact


def _in_space(ctx: QueryCtx, space: str, tenant_id: Any = UNDEFINED) -> list[Doc]:
    """The space's facts in creation order; with a tenant, only the tenant's (inside the index lookup)."""
    if js.truthy(tenant_id):
        return (
            ctx.db.query(TABLE)
            .with_index(
                "by_tenant_space", lambda q: q.eq("tenantId", tenant_id).eq("memorySpaceId", space)
            )
            .collect()
        )
    return (
        ctx.db.query(TABLE)
        .with_index("by_memorySpace", lambda q: q.eq("memorySpaceId", space))
        .collect()
    )


def _strict_equal(a: Any, b: Any) -> bool:
    """JavaScript ``===`` on stored values: primitives by value (no bool/number mixing), objects never equal."""
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _entries(value: Any) -> list[tuple[str, Any]]:
    """``Object.entries(value)``."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, (list, str)):
        return [(str(i), v) for i, v in enumerate(value)]
    return []


def _member(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        return container.get(key, UNDEFINED)
    if isinstance(container, (list, str)) and key.isdigit() and int(key) < len(container):
        return container[int(key)]
    return UNDEFINED


def _metadata_matches(fact: Doc, wanted: Any) -> bool:
    metadata = fact.get("metadata", UNDEFINED)
    if not js.truthy(metadata):
        return False
    return all(_strict_equal(_member(metadata, k), v) for k, v in _entries(wanted))


def _valid_at(fact: Doc, at: float) -> bool:
    start, end = fact.get("validFrom", UNDEFINED), fact.get("validUntil", UNDEFINED)
    return (not js.truthy(start) or start <= at) and (not js.truthy(end) or end > at)


def _has(fact: Doc, name: str, value: Any) -> bool:
    return fact.get(name, UNDEFINED) == value and name in fact


def _field_is(name: str, value: Any) -> Callable[[Doc], bool]:
    return lambda f: _has(f, name, value)


def _bound(name: str, limit: float, sign: int) -> Callable[[Doc], bool]:
    if sign > 0:
        return lambda f: bool(f[name] >= limit)
    return lambda f: bool(f[name] <= limit)


def _filters(a: Doc, *, tenant: bool = True) -> list[Callable[[Doc], bool]]:
    """The universal fact filters of list/count/search/queryBy* for the arguments present in ``a``."""
    checks: list[Callable[[Doc], bool]] = []
    if not a.get("includeSuperseded"):
        checks.append(lambda f: "supersededBy" not in f)
    if tenant and js.truthy(a.get("tenantId", UNDEFINED)):
        checks.append(lambda f: _has(f, "tenantId", a["tenantId"]))
    if js.truthy(a.get("factType", UNDEFINED)):
        checks.append(lambda f: f["factType"] == a["factType"])
    for name in ("subject", "predicate", "object", "userId", "participantId", "sourceType"):
        if name in a:
            checks.append(_field_is(name, a[name]))
    if "minConfidence" in a:
        checks.append(lambda f: f["confidence"] >= a["minConfidence"])
    if "confidence" in a:
        checks.append(lambda f: f["confidence"] == a["confidence"])
    tags = a.get("tags") or []
    if tags:
        if a.get("tagMatch") == "all":
            checks.append(lambda f: all(t in f["tags"] for t in tags))
        else:
            checks.append(lambda f: any(t in f["tags"] for t in tags))
    bounds = (
        ("createdAfter", "createdAt", 1),
        ("createdBefore", "createdAt", -1),
        ("updatedAfter", "updatedAt", 1),
        ("updatedBefore", "updatedAt", -1),
    )
    for arg, name, sign in bounds:
        if arg in a:
            checks.append(_bound(name, a[arg], sign))
    if "version" in a:
        checks.append(lambda f: f["version"] == a["version"])
    if "validAt" in a:
        checks.append(lambda f: _valid_at(f, a["validAt"]))
    if "metadata" in a:
        checks.append(lambda f: _metadata_matches(f, a["metadata"]))
    return checks


def _narrow(facts: list[Doc], a: Doc, *, tenant: bool = True) -> list[Doc]:
    checks = _filters(a, tenant=tenant)
    return [f for f in facts if all(check(f) for check in checks)]


def _sort_and_page(facts: list[Doc], a: Doc) -> list[Doc]:
    sort_by = a.get("sortBy")
    if sort_by and facts and sort_by in SORT_FIELDS:
        facts = sorted(facts, key=lambda f: f[sort_by], reverse=a.get("sortOrder") != "asc")
    offset = js.or_(a.get("offset", UNDEFINED), 0)
    if "limit" in a:
        return page(facts, offset, a["limit"])
    return js.slice_(facts, offset)


# ---- mutations -------------------------------------------------------------------------------------------------


@handler(FactsStoreArgs)
def store(ctx: MutationCtx, args: FactsStoreArgs) -> Doc | None:
    """Insert a new fact at version 1 (``validFrom`` defaults to now)."""
    a = args.to_wire()
    now = ctx.now()
    doc: Doc = {"factId": new_id("fact", now), "memorySpaceId": a["memorySpaceId"]}
    for name in _STORED:
        doc[name] = a.get(name, UNDEFINED)
    doc["validFrom"] = js.or_(a.get("validFrom", UNDEFINED), now)
    doc["validUntil"] = a.get("validUntil", UNDEFINED)
    for name in _ENRICHMENT:
        doc[name] = a.get(name, UNDEFINED)
    doc.update(version=1.0, createdAt=now, updatedAt=now)
    return ctx.db.get(ctx.db.insert(TABLE, doc))


@handler(FactsUpdateArgs)
def update(ctx: MutationCtx, args: FactsUpdateArgs) -> Doc | None:
    """Insert the next version of a fact and mark the old one superseded; returns the new version."""
    a = args.to_wire()
    old = _owned(ctx, a["memorySpaceId"], a["factId"])
    now = ctx.now()
    new_fact_id = new_id("fact", now)

    def pick(name: str) -> Any:
        return a[name] if name in a else old.get(name, UNDEFINED)

    doc: Doc = {"factId": new_fact_id}
    for name in ("memorySpaceId", "participantId", "userId", "tenantId"):
        doc[name] = old.get(name, UNDEFINED)
    doc["fact"] = js.or_(a.get("fact", UNDEFINED), old["fact"])
    for name in ("factType", "subject", "predicate", "object"):
        doc[name] = old.get(name, UNDEFINED)
    doc["confidence"] = pick("confidence")
    doc["sourceType"] = old["sourceType"]
    doc["sourceRef"] = old.get("sourceRef", UNDEFINED)
    doc["metadata"] = js.or_(a.get("metadata", UNDEFINED), old.get("metadata", UNDEFINED))
    doc["tags"] = js.or_(a.get("tags", UNDEFINED), old["tags"])
    doc["validFrom"] = old.get("validFrom", UNDEFINED)
    doc["validUntil"] = pick("validUntil")
    for name in _ENRICHMENT:
        doc[name] = pick(name)
    doc["version"] = js.add(old["version"], 1)
    doc["supersedes"] = old["factId"]
    doc["createdAt"] = old["createdAt"]
    doc["updatedAt"] = now
    new_doc_id = ctx.db.insert(TABLE, doc)
    ctx.db.patch(old["_id"], {"supersededBy": new_fact_id, "validUntil": now})
    return ctx.db.get(new_doc_id)


@handler(FactsDeleteFactArgs)
def delete_fact(ctx: MutationCtx, args: FactsDeleteFactArgs) -> Doc:
    """Soft delete: the fact stops being valid now."""
    fact = _owned(ctx, args.memory_space_id, args.fact_id)
    now = ctx.now()
    ctx.db.patch(fact["_id"], {"validUntil": now, "updatedAt": now})
    return {"deleted": True, "factId": args.fact_id}


@handler(FactsSupersedeArgs)
def supersede(ctx: MutationCtx, args: FactsSupersedeArgs) -> Doc:
    """Link two existing facts of one space: the old one is superseded by the new one."""
    old = _by_fact_id(ctx, args.old_fact_id)
    if old is None:
        raise ConvexError("OLD_FACT_NOT_FOUND")
    if old["memorySpaceId"] != args.memory_space_id:
        raise ConvexError("PERMISSION_DENIED")
    new = _by_fact_id(ctx, args.new_fact_id)
    if new is None:
        raise ConvexError("NEW_FACT_NOT_FOUND")
    if new["memorySpaceId"] != args.memory_space_id:
        raise ConvexError("FACTS_MUST_BE_IN_SAME_SPACE")
    now = ctx.now()
    ctx.db.patch(
        old["_id"], {"supersededBy": args.new_fact_id, "validUntil": now, "updatedAt": now}
    )
    ctx.db.patch(new["_id"], {"supersedes": args.old_fact_id, "updatedAt": now})
    result: Doc = {
        "superseded": True,
        "oldFactId": args.old_fact_id,
        "newFactId": args.new_fact_id,
    }
    if args.reason is not None:
        result["reason"] = args.reason
    return result


@handler(FactsUpdateInPlaceArgs)
def update_in_place(ctx: MutationCtx, args: FactsUpdateInPlaceArgs) -> Doc | None:
    """Patch the given fields without a new version."""
    a = args.to_wire()
    fact = _owned(ctx, a["memorySpaceId"], a["factId"])
    patch: Doc = {"updatedAt": ctx.now()}
    for name in _IN_PLACE:
        if name in a:
            patch[name] = a[name]
    ctx.db.patch(fact["_id"], patch)
    return ctx.db.get(fact["_id"])


@handler(FactsDeleteManyArgs)
def delete_many(ctx: MutationCtx, args: FactsDeleteManyArgs) -> Doc:
    """Hard-delete the space's facts of a user and/or type (superseded versions included)."""
    facts = _in_space(ctx, args.memory_space_id)
    if args.user_id:
        facts = [f for f in facts if f.get("userId") == args.user_id]
    if args.fact_type:
        facts = [f for f in facts if f["factType"] == args.fact_type]
    delete_all(ctx, facts)
    return {"deleted": len(facts), "memorySpaceId": args.memory_space_id}


@handler(FactsConsolidateArgs)
def consolidate(ctx: MutationCtx, args: FactsConsolidateArgs) -> Doc:
    """Supersede the listed facts by ``keepFactId`` and give it their rounded average confidence."""
    if args.keep_fact_id not in args.fact_ids:
        raise FunctionError("KEEP_FACT_NOT_IN_LIST")
    now = ctx.now()
    for fact_id in args.fact_ids:
        if fact_id == args.keep_fact_id:
            continue
        fact = _by_fact_id(ctx, fact_id)
        if fact is not None and fact["memorySpaceId"] == args.memory_space_id:
            ctx.db.patch(fact["_id"], {"supersededBy": args.keep_fact_id, "validUntil": now})
    kept = _by_fact_id(ctx, args.keep_fact_id)
    if kept is not None and kept["memorySpaceId"] == args.memory_space_id:
        found = [f for f in (_by_fact_id(ctx, i) for i in args.fact_ids) if f is not None]
        average = sum(f["confidence"] for f in found) / len(found)
        ctx.db.patch(
            kept["_id"], {"confidence": float(math.floor(average + 0.5)), "updatedAt": now}
        )
    return {
        "consolidated": True,
        "keptFactId": args.keep_fact_id,
        "mergedCount": len(args.fact_ids) - 1,
    }


@handler(FactsDeleteByIdsArgs)
def delete_by_ids(ctx: MutationCtx, args: FactsDeleteByIdsArgs) -> Doc:
    """Soft-delete facts by ``factId`` (any space); unknown ids are skipped."""
    now = ctx.now()
    deleted: list[str] = []
    for fact_id in args.fact_ids:
        fact = _by_fact_id(ctx, fact_id)
        if fact is not None:
            ctx.db.patch(fact["_id"], {"validUntil": now, "updatedAt": now})
            deleted.append(fact_id)
    return {"deleted": len(deleted), "factIds": deleted}


@handler(FactsPurgeAllArgs)
def purge_all(ctx: MutationCtx, args: FactsPurgeAllArgs) -> Doc:
    """Delete every fact of the store; only when the backend allows purges."""
    return {"deleted": len(purge_table(ctx, TABLE))}


# ---- queries ---------------------------------------------------------------------------------------------------


@handler(FactsGetArgs)
def get(ctx: QueryCtx, args: FactsGetArgs) -> Doc | None:
    """The fact, or null when missing, in another space or (given a tenant) of another tenant."""
    fact = _by_fact_id(ctx, args.fact_id)
    if fact is None or fact["memorySpaceId"] != args.memory_space_id:
        return None
    if args.tenant_id and fact.get("tenantId") != args.tenant_id:
        return None
    return fact


@handler(FactsListArgs)
def list_(ctx: QueryCtx, args: FactsListArgs) -> list[Doc]:
    """The space's current facts matching the filters, optionally sorted, then offset/limit."""
    a = args.to_wire()
    facts = _narrow(_in_space(ctx, a["memorySpaceId"], a.get("tenantId", UNDEFINED)), a)
    return _sort_and_page(facts, a)


@handler(FactsCountArgs)
def count(ctx: QueryCtx, args: FactsCountArgs) -> int:
    """How many of the space's facts match the filters."""
    a = args.to_wire()
    return len(_narrow(_in_space(ctx, a["memorySpaceId"], a.get("tenantId", UNDEFINED)), a))


@handler(FactsSearchArgs)
def search(ctx: QueryCtx, args: FactsSearchArgs) -> list[Doc]:
    """Keyword search on the fact text within the space (and tenant), best match first, then the filters."""
    a = args.to_wire()
    space, tenant = a["memorySpaceId"], a.get("tenantId", UNDEFINED)

    def where(q: Any) -> Any:
        q = q.search("fact", a["query"]).eq("memorySpaceId", space)
        return q.eq("tenantId", tenant) if js.truthy(tenant) else q

    results = ctx.db.query(TABLE).with_search_index("by_content", where).collect()
    return _sort_and_page(_narrow(results, a), a)


@handler(FactsGetHistoryArgs)
def get_history(ctx: QueryCtx, args: FactsGetHistoryArgs) -> list[Doc]:
    """The whole version chain of a fact, oldest first ([] when missing or in another space)."""
    fact = _by_fact_id(ctx, args.fact_id)
    if fact is None or fact["memorySpaceId"] != args.memory_space_id:
        return []
    oldest = fact
    seen = {fact["_id"]}
    while js.truthy(oldest.get("supersedes", UNDEFINED)):
        previous = _by_fact_id(ctx, oldest["supersedes"])
        if previous is None:
            break
        if previous["_id"] in seen:
            raise supersession_cycle(args.fact_id)
        seen.add(previous["_id"])
        oldest = previous
    history = [oldest]
    chained = {oldest["_id"]}
    current = oldest
    while js.truthy(current.get("supersededBy", UNDEFINED)):
        following = _by_fact_id(ctx, current["supersededBy"])
        if following is None:
            break
        if following["_id"] in chained:
            raise supersession_cycle(args.fact_id)
        chained.add(following["_id"])
        history.append(following)
        current = following
    return history


def _by_subject(ctx: QueryCtx, space: str, subject: str) -> list[Doc]:
    return (
        ctx.db.query(TABLE)
        .with_index(
            "by_memorySpace_subject", lambda q: q.eq("memorySpaceId", space).eq("subject", subject)
        )
        .collect()
    )


@handler(FactsQueryBySubjectArgs)
def query_by_subject(ctx: QueryCtx, args: FactsQueryBySubjectArgs) -> list[Doc]:
    """The space's facts about one subject, filtered, sorted, paged."""
    a = args.to_wire()
    facts = _by_subject(ctx, a["memorySpaceId"], a["subject"])
    return _sort_and_page(_narrow(facts, {k: v for k, v in a.items() if k != "subject"}), a)


@handler(FactsQueryByRelationshipArgs)
def query_by_relationship(ctx: QueryCtx, args: FactsQueryByRelationshipArgs) -> list[Doc]:
    """The space's facts ``subject --predicate--> *``, filtered, sorted, paged."""
    a = args.to_wire()
    facts = [
        f
        for f in _by_subject(ctx, a["memorySpaceId"], a["subject"])
        if _has(f, "predicate", a["predicate"])
    ]
    rest = {k: v for k, v in a.items() if k not in ("subject", "predicate")}
    return _sort_and_page(_narrow(facts, rest), a)


def _csv_row(f: Doc) -> str:
    cells = [
        f["factId"],
        '"' + f["fact"].replace('"', '""') + '"',
        f["factType"],
        js.or_(f.get("subject"), ""),
        js.or_(f.get("predicate"), ""),
        js.or_(f.get("object"), ""),
        js.to_string(f["confidence"]),
        f["sourceType"],
        ";".join(f["tags"]),
        js.iso_string(f["createdAt"]),
    ]
    return ",".join(cells)


@handler(FactsExportFactsArgs)
def export_facts(ctx: QueryCtx, args: FactsExportFactsArgs) -> Doc:
    """The space's current facts (of a type) as JSON, JSON-LD or CSV text."""
    facts = [f for f in _in_space(ctx, args.memory_space_id) if "supersededBy" not in f]
    if args.fact_type:
        facts = [f for f in facts if f["factType"] == args.fact_type]
    exported_at = ctx.now()
    if args.format == "json":
        data = js.stringify([js.sorted_value(f) for f in facts], 2)
    elif args.format == "jsonld":
        graph = []
        for f in facts:
            node: Doc = {
                "@type": "Fact",
                "@id": f["factId"],
                "subject": f.get("subject", UNDEFINED),
                "predicate": f.get("predicate", UNDEFINED),
                "object": f.get("object", UNDEFINED),
                "factStatement": f["fact"],
                "confidence": f["confidence"],
                "factType": f["factType"],
                "dateCreated": js.iso_string(f["createdAt"]),
                "validFrom": js.iso_string(f["validFrom"])
                if js.truthy(f.get("validFrom", UNDEFINED))
                else UNDEFINED,
                "validThrough": js.iso_string(f["validUntil"])
                if js.truthy(f.get("validUntil", UNDEFINED))
                else UNDEFINED,
            }
            graph.append(node)
        data = js.stringify({"@context": "https://schema.org/", "@graph": graph}, 2)
    else:
        header = (
            "factId,fact,factType,subject,predicate,object,confidence,sourceType,tags,createdAt"
        )
        data = "\n".join([header, *(_csv_row(f) for f in facts)])
    return {"format": args.format, "data": data, "count": len(facts), "exportedAt": exported_at}


@handler(FactsFindByStructureArgs)
def find_by_structure(ctx: QueryCtx, args: FactsFindByStructureArgs) -> list[Doc]:
    """Current facts of the space with the given subject/predicate/object/user/type (``limit`` default 10)."""
    a = args.to_wire()
    facts = [f for f in _in_space(ctx, a["memorySpaceId"]) if "supersededBy" not in f]
    for name in ("subject", "predicate", "object", "userId", "factType"):
        if name in a:
            facts = [f for f in facts if _has(f, name, a[name])]
    limit = a.get("limit", 10)
    return facts[: int(limit)]
