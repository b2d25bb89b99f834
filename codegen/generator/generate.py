"""Top level of the generator: schema input -> {relative path: source text} for ``cortex/_generated``."""

from __future__ import annotations

from typing import Any

from codegen.generator import convex_args, types_models
from codegen.generator.api_types import ModelIndex
from codegen.generator.emit import environment, render
from codegen.generator.namespaces import build_namespaces
from codegen.generator.naming import snake
from codegen.generator.schema_input import SchemaInput
from cortex import _helpers

_PACKAGE_DOC = '"""{doc}"""\n'


def _init(header: str, doc: str) -> str:
    return header + "\n" + _PACKAGE_DOC.format(doc=doc)


def generate_files(schema: SchemaInput) -> dict[str, str]:
    """Every generated file, keyed by its path relative to the output directory."""
    env = environment()
    files: dict[str, str] = {}

    fn_digest, fn_of = schema.digest("convex/functions.json")
    fn_ctx = {"source": "schema/convex/functions.json", "digest": fn_digest, "digest_of": fn_of}
    tb_digest, tb_of = schema.digest("convex/tables.json")
    header_tpl = env.get_template("_header.j2").module
    fn_header = str(header_tpl.header(fn_ctx["source"], fn_digest, fn_of))  # type: ignore[attr-defined]

    files["__init__.py"] = _init(
        fn_header, "Code generated from ``schema/``; do not edit."
    ) + _source_constants(schema)
    files["tables.py"] = render(
        env,
        "tables.py.j2",
        source="schema/convex/tables.json",
        digest=tb_digest,
        digest_of=tb_of,
        tables=repr(schema.tables["tables"]),
        schema_validation=repr(bool(schema.tables.get("schemaValidation", False))),
    )

    functions = convex_args.function_defs(schema.functions)
    modules = convex_args.build_modules(functions)
    files["functions.py"] = render(
        env, "functions.py.j2", functions=functions, modules=modules, **fn_ctx
    )
    files["args/__init__.py"] = _init(
        fn_header, "Pydantic argument models, one module per Convex module."
    )
    files["calls/__init__.py"] = _init(
        fn_header, "Async typed call helpers, one per Convex function."
    )
    files["calls_sync/__init__.py"] = _init(
        fn_header, "Sync typed call helpers, one per Convex function."
    )
    for mod in modules:
        files[f"args/{mod.py_module}.py"] = render(env, "args_module.py.j2", mod=mod, **fn_ctx)
        for is_async, pkg in ((True, "calls"), (False, "calls_sync")):
            files[f"{pkg}/{mod.py_module}.py"] = render(
                env, "calls_module.py.j2", mod=mod, is_async=is_async, **fn_ctx
            )
    index = ModelIndex(defs=(schema.types or {}).get("$defs", {}))
    if schema.types is not None:
        digest, of = schema.digest("types.schema.json")
        source, index.classes, index.aliases = types_models.postprocess(
            types_models.generate_models(schema.types)
        )
        head = header_tpl.header("schema/types.schema.json", digest, of)  # type: ignore[attr-defined]
        doc = '"""Models of every type in ``types.schema.json`` (the SDK\'s public types)."""\n\n'
        files["models.py"] = f"{head}\n{doc}{source}"
    if schema.api is not None:
        _namespace_files(files, schema, index, functions, env)
    return files


def _source_constants(schema: SchemaInput) -> str:
    """``SCHEMA_TAG``/``SCHEMA_COMMIT``: the upstream release the schema was exported from (errors name it)."""
    source = (schema.manifest or {}).get("source") or {}
    tag, commit = source.get("tag"), source.get("commit")
    return f"\nSCHEMA_TAG: str | None = {tag!r}\nSCHEMA_COMMIT: str | None = {commit!r}\n"


def _helper_exists(name: str) -> bool:
    return name in _helpers.HELPERS and callable(getattr(_helpers, snake(name), None))


def _namespace_files(
    files: dict[str, str],
    schema: SchemaInput,
    index: ModelIndex,
    functions: list[convex_args.FunctionDef],
    env: Any,
) -> None:
    assert schema.api is not None
    digest, of = schema.digest("api.json")
    ctx = {"source": "schema/api.json", "digest": digest, "digest_of": of}
    namespaces = build_namespaces(schema.api, index, functions, _helper_exists)
    for is_async, package in ((True, "namespaces"), (False, "namespaces_sync")):
        files[f"{package}/__init__.py"] = render(
            env,
            "namespaces_init.py.j2",
            namespaces=namespaces,
            package=package,
            is_async=is_async,
            **ctx,
        )
        for ns in namespaces:
            files[f"{package}/{ns.module}.py"] = render(
                env, "namespace.py.j2", ns=ns, is_async=is_async, **ctx
            )
