"""The exporter's Convex part, CLI and manifest, run for real through `node cli.mjs`.

The fixture `codegen/exporter/fixtures/mini-cortex` is exported into a temp dir; its
`convex/*.json` are compared byte for byte with syrupy snapshots, the manifest is checked
against the files it describes, and the broken fixtures must fail with one stderr line
while leaving the output dir untouched.
"""

from __future__ import annotations

import hashlib
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
EXPORTER = ROOT / "codegen" / "exporter"
CLI = EXPORTER / "src" / "cli.mjs"
FIXTURES = EXPORTER / "fixtures"
MINI = FIXTURES / "mini-cortex"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

VALIDATOR_KINDS = {
    "string",
    "number",
    "bigint",
    "boolean",
    "null",
    "any",
    "bytes",
    "literal",
    "id",
    "array",
    "record",
    "union",
    "object",
}


class RawJSONSnapshot(SingleFileSnapshotExtension):
    """Stores the exported text as is, so a snapshot also pins key order and layout."""

    _write_mode = WriteMode.TEXT
    file_extension = "json"

    def serialize(self, data: Any, **kwargs: Any) -> str:
        return data if isinstance(data, str) else json.dumps(data, indent=2) + "\n"


def run_cli(sdk: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, str(CLI), "--sdk", str(sdk), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def export_ok(sdk: Path, out: Path, *extra: str) -> Path:
    proc = run_cli(sdk, out, *extra)
    assert proc.returncode == 0, proc.stderr
    return out


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def walk_types(node: Any) -> Iterator[str]:
    """Every validator `type` inside a Convex validator JSON tree."""
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            yield node["type"]
        for value in node.values():
            yield from walk_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_types(value)


@pytest.fixture(scope="module")
def mini_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_ok(MINI, tmp_path_factory.mktemp("mini") / "schema")


@pytest.fixture
def raw_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(RawJSONSnapshot)


def test_functions_json_snapshot(mini_export: Path, raw_snapshot: SnapshotAssertion) -> None:
    assert (mini_export / "convex" / "functions.json").read_text("utf-8") == raw_snapshot


def test_tables_json_snapshot(mini_export: Path, raw_snapshot: SnapshotAssertion) -> None:
    assert (mini_export / "convex" / "tables.json").read_text("utf-8") == raw_snapshot


def test_manifest_snapshot(mini_export: Path, raw_snapshot: SnapshotAssertion) -> None:
    """The Convex-owned part of the manifest is pinned; the TypeScript part is checked below."""
    manifest = json.loads((mini_export / "manifest.json").read_text("utf-8"))
    convex_part = {
        "source": manifest["source"],
        "exporter": manifest["exporter"],
        "files": {k: v for k, v in manifest["files"].items() if k.startswith("convex/")},
        "counts": {
            k: manifest["counts"][k]
            for k in ("functions", "tables", "indexes", "searchIndexes", "vectorIndexes")
        },
    }
    assert convex_part == raw_snapshot


def test_manifest_describes_the_written_files(mini_export: Path) -> None:
    manifest = json.loads((mini_export / "manifest.json").read_text("utf-8"))
    assert list(manifest) == ["source", "exporter", "files", "counts", "helpers"]
    written = read_tree(mini_export)
    del written["manifest.json"]
    assert sorted(manifest["files"]) == sorted(written)
    for rel, data in written.items():
        assert manifest["files"][rel] == hashlib.sha256(data).hexdigest(), rel

    functions = json.loads(written["convex/functions.json"])
    tables = json.loads(written["convex/tables.json"])["tables"]
    counts = manifest["counts"]
    for kind in ("query", "mutation", "action"):
        expected = sum(1 for f in functions if f["functionType"].lower() == kind)
        assert counts["functions"][kind] == expected
    assert counts["tables"] == len(tables)
    assert counts["indexes"] == sum(len(t["indexes"]) for t in tables)
    assert counts["searchIndexes"] == sum(len(t["searchIndexes"]) for t in tables)
    assert counts["vectorIndexes"] == sum(len(t["vectorIndexes"]) for t in tables)

    if "types.schema.json" in written:
        types = json.loads(written["types.schema.json"])
        api = json.loads(written["api.json"])
        assert counts["types"] == len(types["$defs"])
        methods = [m for ns in api["namespaces"] for m in ns["methods"]]
        methods += [m for m in api["client"].get("members", []) if "class" in m]
        for cls in ("thin", "thin+graph", "orchestration", "local"):
            assert counts["methods"][cls] == sum(1 for m in methods if m["class"] == cls)
        assert manifest["helpers"] == sorted(manifest["helpers"])


def test_fixture_covers_every_validator_and_function_kind(mini_export: Path) -> None:
    functions = json.loads((mini_export / "convex" / "functions.json").read_text("utf-8"))
    ids = [f["identifier"] for f in functions]
    assert ids == sorted(ids)
    assert set(walk_types([f["args"] for f in functions])) >= VALIDATOR_KINDS
    assert {f["functionType"] for f in functions} == {"Query", "Mutation", "Action"}
    assert {f["visibility"]["kind"] for f in functions} == {"public", "internal"}
    assert any(f["returns"] is not None for f in functions)

    by_id = {f["identifier"]: f for f in functions}
    purge = by_id["validators.js:purgeArchived"]
    assert (purge["functionType"], purge["visibility"]) == ("Mutation", {"kind": "internal"})
    assert by_id["validators.js:listEverything"]["args"] == {"type": "any"}
    tag_args = by_id["validators.js:tagNotes"]["args"]["value"]
    assert tag_args["color"]["optional"] is True
    assert tag_args["labels"]["fieldType"]["type"] == "record"


def test_tables_json_shape(mini_export: Path) -> None:
    schema = json.loads((mini_export / "convex" / "tables.json").read_text("utf-8"))
    assert list(schema) == ["tables", "schemaValidation"]
    names = [t["tableName"] for t in schema["tables"]]
    assert names == sorted(names)
    for table in schema["tables"]:
        assert list(table) == [
            "tableName",
            "documentType",
            "indexes",
            "searchIndexes",
            "vectorIndexes",
        ]
    notes = next(t for t in schema["tables"] if t["tableName"] == "notes")
    assert notes["vectorIndexes"] == [
        {
            "indexDescriptor": "by_embedding",
            "vectorField": "embedding",
            "dimensions": 8,
            "filterFields": ["ownerId"],
        }
    ]
    assert notes["searchIndexes"][0]["searchField"] == "body"


def test_export_is_byte_identical_across_runs(mini_export: Path, tmp_path: Path) -> None:
    second = export_ok(MINI, tmp_path / "again")
    assert read_tree(second) == read_tree(mini_export)


def test_output_has_no_absolute_paths(mini_export: Path) -> None:
    for rel, data in read_tree(mini_export).items():
        text = data.decode("utf-8")
        assert str(ROOT) not in text, rel
        assert "/tmp" not in text, rel


def test_tag_and_commit_flags_fill_the_source(tmp_path: Path) -> None:
    out = export_ok(MINI, tmp_path / "schema", "--tag", "v9.9.9", "--commit", "c0ffee")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["source"] == {
        "repository": "SaintNick1214/Project-Cortex",
        "tag": "v9.9.9",
        "commit": "c0ffee",
    }


def test_source_read_from_a_git_checkout(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "checkout"
    shutil.copytree(MINI, repo)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["commit", "-q", "-m", "fixture"],
        ["tag", "v1.2.3"],
    ):
        subprocess.run([git, "-C", str(repo), *args], check=True, env=env, capture_output=True)
    head = subprocess.run(
        [git, "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    out = export_ok(repo, tmp_path / "schema")
    source = json.loads((out / "manifest.json").read_text("utf-8"))["source"]
    assert (source["tag"], source["commit"]) == ("v1.2.3", head)


def test_fixture_inside_another_repository_has_no_source(mini_export: Path) -> None:
    """mini-cortex lives inside cortex-python's work tree: that HEAD must not leak in."""
    source = json.loads((mini_export / "manifest.json").read_text("utf-8"))["source"]
    assert (source["tag"], source["commit"]) == (None, None)


def test_success_replaces_the_out_dir_and_leaves_no_temp_dirs(tmp_path: Path) -> None:
    out = tmp_path / "schema"
    out.mkdir()
    (out / "stale.json").write_text("{}\n")
    export_ok(MINI, out)
    assert not (out / "stale.json").exists()
    assert (out / "convex" / "functions.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schema"]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("broken-notcheckout", "not a Cortex checkout: "),
        ("broken-parse", "cortex-export: error: convex-dev/broken.ts: "),
        ("broken-throws", "cortex-export: error: convex-dev/throws.ts: throws when loaded: "),
    ],
)
def test_broken_checkout_fails_cleanly(fixture: str, expected: str, tmp_path: Path) -> None:
    out = tmp_path / "schema"
    out.mkdir()
    (out / "sentinel.txt").write_text("keep me\n")
    before = read_tree(out)

    proc = run_cli(FIXTURES / fixture, out)

    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("cortex-export: error: ")
    assert expected in lines[0]
    assert proc.stdout == ""
    assert read_tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schema"]


def test_missing_checkout_path_fails_cleanly(tmp_path: Path) -> None:
    proc = run_cli(tmp_path / "nowhere", tmp_path / "schema")
    assert proc.returncode == 1
    assert proc.stderr.strip().endswith("(missing convex-dev/schema.ts)")
    assert not (tmp_path / "schema").exists()


def test_usage_error_without_arguments() -> None:
    assert NODE is not None
    proc = subprocess.run([NODE, str(CLI)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_committed_manifest_matches_committed_schema_files() -> None:
    """`schema/manifest.json` must describe the files next to it (all written by one export)."""
    schema = ROOT / "schema"
    manifest = json.loads((schema / "manifest.json").read_text("utf-8"))
    on_disk = {k: v for k, v in read_tree(schema).items() if k != "manifest.json"}
    assert sorted(manifest["files"]) == sorted(on_disk)
    for rel, data in on_disk.items():
        assert manifest["files"][rel] == hashlib.sha256(data).hexdigest(), rel
    assert manifest["source"]["tag"] is not None


@pytest.mark.upstream
def test_upstream_v0_28_0_matches_committed_schema(tmp_path: Path) -> None:
    upstream = os.environ.get("CORTEX_UPSTREAM")
    if not upstream:
        pytest.skip("CORTEX_UPSTREAM is not set")
    out = export_ok(Path(upstream), tmp_path / "schema")
    counts = json.loads((out / "manifest.json").read_text("utf-8"))["counts"]
    assert counts["functions"] == {"query": 90, "mutation": 93, "action": 0}
    assert (counts["tables"], counts["indexes"]) == (13, 90)
    assert (counts["searchIndexes"], counts["vectorIndexes"]) == (2, 1)
    for rel in ("convex/functions.json", "convex/tables.json"):
        assert (out / rel).read_bytes() == (ROOT / "schema" / rel).read_bytes(), rel
