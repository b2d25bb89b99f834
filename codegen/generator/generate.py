"""Top level of the generator: schema input -> {relative path: source text} for ``cortex/_generated``."""

from __future__ import annotations

from codegen.generator import convex_args
from codegen.generator.emit import environment, render
from codegen.generator.schema_input import SchemaInput

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

    files["__init__.py"] = _init(fn_header, "Code generated from ``schema/``; do not edit.")
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
    files["functions.py"] = render(env, "functions.py.j2", functions=functions, modules=modules, **fn_ctx)
    files["args/__init__.py"] = _init(fn_header, "Pydantic argument models, one module per Convex module.")
    files["calls/__init__.py"] = _init(fn_header, "Async typed call helpers, one per Convex function.")
    files["calls_sync/__init__.py"] = _init(fn_header, "Sync typed call helpers, one per Convex function.")
    for mod in modules:
        files[f"args/{mod.py_module}.py"] = render(env, "args_module.py.j2", mod=mod, **fn_ctx)
        for is_async, pkg in ((True, "calls"), (False, "calls_sync")):
            files[f"{pkg}/{mod.py_module}.py"] = render(
                env, "calls_module.py.j2", mod=mod, is_async=is_async, **fn_ctx
            )
    return files
