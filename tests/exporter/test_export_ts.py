"""The exporter's TypeScript part (`types.schema.json`, `api.json`), run through `node cli.mjs`.

The fixture `codegen/exporter/fixtures/mini-cortex` is a small notes SDK written to hit every
representation rule and every method class of docs/schema-format.md. Its export is pinned by
syrupy snapshots (byte for byte) and checked construct by construct; a second run must give
the same bytes. When CORTEX_UPSTREAM points at a Project-Cortex checkout, the real SDK is
exported too and its mapping coverage checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "codegen" / "exporter" / "src" / "cli.mjs"
MINI = ROOT / "codegen" / "exporter" / "fixtures" / "mini-cortex"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


class RawJSONSnapshot(SingleFileSnapshotExtension):
    """Stores the exported text as is, so a snapshot also pins key order and layout."""

    _write_mode = WriteMode.TEXT
    file_extension = "json"

    def serialize(self, data: Any, **kwargs: Any) -> str:
        return data if isinstance(data, str) else json.dumps(data, indent=2) + "\n"


def export(sdk: Path, out: Path) -> Path:
    assert NODE is not None
    proc = subprocess.run(
        [NODE, str(CLI), "--sdk", str(sdk), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(MINI, tmp_path_factory.mktemp("mini") / "schema")


@pytest.fixture(scope="module")
def defs(out: Path) -> dict[str, Any]:
    types = json.loads((out / "types.schema.json").read_text())
    assert types["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    result: dict[str, Any] = types["$defs"]
    return result


@pytest.fixture(scope="module")
def api(out: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((out / "api.json").read_text())
    return result


def method(api: dict[str, Any], ns: str, name: str) -> dict[str, Any]:
    for namespace in api["namespaces"]:
        if namespace["name"] == ns:
            for m in namespace["methods"]:
                if m["name"] == name:
                    result: dict[str, Any] = m
                    return result
    raise AssertionError(f"{ns}.{name} not in api.json")


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def schema_keys(value: Any) -> Iterator[str]:
    """Keywords used by the schemas in `value` (property names are not keywords)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            if k == "properties":
                for sub in v.values():
                    yield from schema_keys(sub)
            else:
                yield from schema_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from schema_keys(v)


# ---- snapshots and determinism ----------------------------------------------------------


def test_types_snapshot(out: Path, snapshot: SnapshotAssertion) -> None:
    text = (out / "types.schema.json").read_text()
    assert text == snapshot(extension_class=RawJSONSnapshot)


def test_api_snapshot(out: Path, snapshot: SnapshotAssertion) -> None:
    text = (out / "api.json").read_text()
    assert text == snapshot(extension_class=RawJSONSnapshot)


def test_second_run_gives_same_bytes(out: Path, tmp_path: Path) -> None:
    again = export(MINI, tmp_path / "again")
    for name in ("types.schema.json", "api.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


# ---- types.schema.json ------------------------------------------------------------------


def test_defs_sorted_refs_resolve_no_prose(defs: dict[str, Any], api: dict[str, Any]) -> None:
    assert list(defs) == sorted(defs)
    refs = {v for k, v in walk([defs, api]) if k == "$ref"}
    assert refs, "expected references"
    for ref in refs:
        assert ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in defs, ref
    assert not set(schema_keys(list(defs.values()))) & {"description", "title", "examples"}


def test_objects_required_and_open(defs: dict[str, Any]) -> None:
    note = defs["Note"]
    assert note["type"] == "object"
    assert note["additionalProperties"] is True
    assert list(note["properties"])[:3] == ["_id", "noteId", "notebookId"]  # declaration order
    assert "meta" not in note["required"] and "body" in note["required"]
    assert "x-cortex-exported" not in note


def test_index_signature_and_records(defs: dict[str, Any]) -> None:
    meta = defs["NoteMeta"]
    assert meta["properties"] == {"source": {"type": "string"}}
    assert meta["additionalProperties"] == {"x-cortex-kind": "unknown"}
    assert defs["Notebook"]["properties"]["settings"] == {
        "type": "object",
        "additionalProperties": {"x-cortex-kind": "unknown"},
    }


def test_integer_rule_by_name(defs: dict[str, Any]) -> None:
    props = defs["Note"]["properties"]
    assert props["updatedAt"] == {"type": "integer", "x-cortex-integer": "name"}
    assert props["version"] == {"type": "integer", "x-cortex-integer": "name"}
    assert props["score"] == {"type": "number"}
    assert defs["ImportResult"]["properties"]["imported"] == {"type": "number"}
    assert defs["ImportResult"]["properties"]["skippedCount"]["type"] == "integer"


def test_literals_enums_tuples_nullable(defs: dict[str, Any]) -> None:
    assert defs["NotebookColor"] == {"enum": ["red", "green", "blue"]}
    assert defs["Priority"] == {"enum": [1, 2, 3]}
    props = defs["Note"]["properties"]
    assert props["format"] == {"const": "markdown"}
    assert props["sourceType"] == {"enum": ["manual", "import"]}
    assert props["priority"] == {"$ref": "#/$defs/Priority"}
    assert props["cursor"] == {
        "type": "array",
        "prefixItems": [{"type": "number"}, {"type": "number"}],
        "minItems": 2,
        "maxItems": 2,
    }
    assert props["embedding"] == {
        "anyOf": [{"type": "array", "items": {"type": "number"}}, {"type": "null"}]
    }
    assert props["extra"] == {"x-cortex-kind": "unknown"}
    assert props["raw"] == {"x-cortex-kind": "unknown"}
    assert defs["CreateNoteInput"]["properties"]["priority"] == {"$ref": "#/$defs/Priority"}


def test_unions_tagged_and_untagged(defs: dict[str, Any]) -> None:
    assert defs["NoteBlock"] == {
        "oneOf": [
            {"$ref": "#/$defs/TextBlock"},
            {"$ref": "#/$defs/ChecklistBlock"},
            {"$ref": "#/$defs/ImageBlock"},
        ],
        "discriminator": {"propertyName": "kind"},
    }
    query = defs["NoteQuery"]
    assert query["x-cortex-union"] == "untagged"
    assert [sorted(m["properties"]) for m in query["anyOf"]] == [["fuzzy", "text"], ["labels"]]


def test_dates_bytes_callables_services_streams(defs: dict[str, Any], api: dict[str, Any]) -> None:
    date = {"type": "integer", "x-cortex-kind": "date"}
    assert defs["SearchOptions"]["properties"]["since"] == date
    assert defs["CreateNoteInput"]["properties"]["remindAt"] == date  # Date | number
    bytes_ = {"type": "string", "contentEncoding": "base64", "x-cortex-kind": "bytes"}
    assert defs["ImageBlock"]["properties"]["data"] == bytes_
    assert defs["AttachmentInput"]["properties"]["content"] == bytes_  # Uint8Array | ArrayBuffer
    opts = defs["ImportOptions"]["properties"]
    assert opts["transform"] == {
        "x-cortex-kind": "callable",
        "x-cortex-params": [{"type": "string"}],
        "x-cortex-returns": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "x-cortex-async": True,
    }
    assert opts["onProgress"]["x-cortex-async"] is False
    assert opts["onProgress"]["x-cortex-returns"] == {"type": "null"}
    config = defs["NotesClientConfig"]["properties"]
    assert config["graph"] == {"x-cortex-kind": "service", "x-cortex-ts": "GraphSink"}
    lines = method(api, "notes", "importStream")["params"][1]
    assert lines["type"] == {"x-cortex-kind": "stream", "items": {"type": "string"}}


def test_generics_synthetic_and_unexported(defs: dict[str, Any], api: dict[str, Any]) -> None:
    assert defs["PageNote"]["properties"]["items"]["items"] == {"$ref": "#/$defs/Note"}
    assert method(api, "notes", "search")["returns"] == {"$ref": "#/$defs/PageNote"}
    listing = defs["NotebooksAPIListFilter"]
    assert listing["x-cortex-synthetic"] is True
    assert method(api, "notebooks", "list")["params"][0]["type"] == {
        "$ref": "#/$defs/NotebooksAPIListFilter"
    }
    assert defs["NotesAPIPreviewResult"]["x-cortex-synthetic"] is True
    assert defs["NoteStats"]["x-cortex-exported"] is False
    assert [k for k, v in defs.items() if v.get("x-cortex-exported") is False] == ["NoteStats"]


# ---- api.json -----------------------------------------------------------------------------


def test_namespaces_and_client(api: dict[str, Any]) -> None:
    assert [(n["name"], n["class"]) for n in api["namespaces"]] == [
        ("notebooks", "NotebooksAPI"),
        ("notes", "NotesAPI"),
    ]
    client = api["client"]
    assert client["class"] == "NotesClient"
    members = {m["name"]: m for m in client["members"]}
    assert members["constructor"]["params"][0]["type"] == {"$ref": "#/$defs/NotesClientConfig"}
    assert members["getClient"]["returns"] == {
        "x-cortex-kind": "service",
        "x-cortex-ts": "ConvexClient",
    }
    assert members["auth"]["kind"] == "getter"
    names = [m["name"] for m in api["namespaces"][1]["methods"]]
    assert "requireNotebook" not in names and "generateNoteId" not in names  # private


def test_flattened_renamed_date_and_generated_args(api: dict[str, Any]) -> None:
    add = method(api, "notes", "add")
    assert add["class"] == "thin+graph"
    call = add["call"]
    assert (call["function"], call["kind"]) == ("notes:add", "mutation")
    args = call["args"]
    assert args["text"] == {"param": "input", "path": ["body"]}
    assert args["sourceType"] == {"param": "input", "path": ["source", "type"]}
    assert args["sourceRef"] == {"param": "input", "path": ["source", "ref"]}
    assert args["remindAt"] == {"date": {"param": "input", "path": ["remindAt"]}}
    assert args["noteId"] == {
        "coalesce": [
            {"param": "input", "path": ["noteId"]},
            {"helper": "generateNoteId", "args": []},
        ],
        "op": "||",
    }
    assert args["tenantId"] == {"auth": "tenantId"}
    assert args["format"] == {"const": "markdown"}
    assert args["labels"]["each"] == {"object": {"name": {"item": []}, "weight": {"const": 1}}}
    assert args["meta"]["then"]["spread"] == {"param": "input", "path": ["meta"]}
    assert "else" not in args["meta"]  # `: undefined` leaves the value absent
    assert "result" not in call


def test_defaults_conditions_and_results(api: dict[str, Any]) -> None:
    create = method(api, "notebooks", "create")["call"]["args"]
    assert create["color"] == {
        "coalesce": [{"param": "input", "path": ["color"]}, {"const": "blue"}],
        "op": "??",
    }
    assert create["notebookId"] == {"helper": "generateNotebookId", "args": []}
    search = method(api, "notes", "search")
    assert search["params"][1] == {
        "name": "options",
        "type": {"$ref": "#/$defs/SearchOptions"},
        "optional": True,
        "default": {},
    }
    assert search["call"]["args"]["pinned"] == {
        "cond": {"param": "options", "path": ["pinnedOnly"]},
        "then": {"const": True},
    }
    assert search["call"]["args"]["since"] == {"date": {"param": "options", "path": ["since"]}}
    assert method(api, "notebooks", "get")["call"]["result"] == {
        "coalesce": [{"result": []}, {"const": None}],
        "op": "??",
    }
    assert method(api, "notebooks", "list")["call"]["result"] == {"result": ["page"]}
    archive = method(api, "notebooks", "archive")
    assert archive["returns"] == {"type": "null"}
    assert archive["call"]["result"] == {"const": None}
    attach = method(api, "notes", "attach")["call"]
    assert attach["args"]["file"]["object"]["content"]["helper"] == "toBase64"


def test_classes(api: dict[str, Any]) -> None:
    assert method(api, "notes", "move")["calls"] == ["notebooks:get", "notes:move"]
    stream = method(api, "notes", "importStream")
    assert (stream["class"], stream["calls"]) == ("orchestration", ["notebooks:get", "notes:add"])
    assert "call" not in stream
    stats = method(api, "notes", "stats")
    assert (stats["class"], stats["async"]) == ("local", False)
    preview = method(api, "notes", "preview")
    assert preview["params"][1]["default"] == 80
    unmapped = method(api, "notes", "countLabels")
    assert unmapped["class"] == "thin"
    assert "labelCount" in unmapped["unmapped"]
    assert "result" not in unmapped["call"]
    assert method(api, "notebooks", "get")["class"] == "thin"
    raising = method(api, "notebooks", "require")
    assert raising["unmapped"] == "result: raises an error depending on the call's value"
    assert raising["call"]["args"] == {"notebookId": {"param": "notebookId", "path": []}}


def test_calls_exist_and_helpers_in_manifest(out: Path, api: dict[str, Any]) -> None:
    functions = json.loads((out / "convex" / "functions.json").read_text())
    known = {f["identifier"].replace(".js:", ":") for f in functions}
    used = set()
    for ns in api["namespaces"]:
        for m in ns["methods"]:
            used |= set(m.get("calls", []))
            if "call" in m:
                used.add(m["call"]["function"])
    assert used and used <= known, used - known
    helpers = sorted({v for k, v in walk(api) if k == "helper"})
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["helpers"] == helpers
    assert helpers == ["generateNoteId", "generateNotebookId", "toBase64"]


# ---- the real SDK ---------------------------------------------------------------------------


@pytest.mark.upstream
@pytest.mark.skipif(not os.environ.get("CORTEX_UPSTREAM"), reason="CORTEX_UPSTREAM not set")
def test_upstream_mapping_coverage(tmp_path: Path) -> None:
    upstream = export(Path(os.environ["CORTEX_UPSTREAM"]), tmp_path / "up")
    api = json.loads((upstream / "api.json").read_text())
    names = {n["name"] for n in api["namespaces"]}
    assert {"memory", "conversations", "facts", "sessions", "governance"} <= names
    single = [m for n in api["namespaces"] for m in n["methods"] if "call" in m]
    mapped = [m for m in single if "unmapped" not in m]
    assert len(mapped) >= 110
