// `manifest.json`: where the export came from (repository, tag, commit), which exporter
// wrote it, the sha256 of every other schema file, and the counts a reader checks first.
import { execFile } from "node:child_process";
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { byCodeUnit, sha256 } from "./util.mjs";

export const REPOSITORY = "SaintNick1214/Project-Cortex";
const METHOD_CLASSES = ["thin", "thin+graph", "orchestration", "local"];
const THIN = new Set(["thin", "thin+graph"]);
const run = promisify(execFile);

/** The exporter's own version, from its package.json. */
export async function exporterVersion() {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "package.json");
  return JSON.parse(await readFile(pkg, "utf8")).version ?? null;
}

/**
 * Tag and commit of the checkout. Read with git only when `sdkRoot` is itself the top of a
 * git work tree (a fixture inside another repository must not pick up that repository's
 * HEAD); explicit `--tag` / `--commit` values win over what git says.
 */
export async function sourceInfo(sdkRoot, { tag = null, commit = null } = {}) {
  let gitTag = null;
  let gitCommit = null;
  if (await isWorkTreeTop(sdkRoot)) {
    gitCommit = await git(sdkRoot, ["rev-parse", "HEAD"]);
    gitTag = await git(sdkRoot, ["describe", "--tags", "--exact-match", "HEAD"]);
  }
  return { repository: REPOSITORY, tag: tag ?? gitTag, commit: commit ?? gitCommit };
}

async function isWorkTreeTop(dir) {
  const top = await git(dir, ["rev-parse", "--show-toplevel"]);
  if (!top) return false;
  try {
    return (await realpath(top)) === (await realpath(dir));
  } catch {
    return false;
  }
}

async function git(cwd, args) {
  try {
    const { stdout } = await run("git", ["-C", cwd, ...args], { encoding: "utf8" });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/** Method counts by class from an `api.json` object (namespaces and client members). */
export function methodCounts(api) {
  const methods = { thin: 0, "thin+graph": 0, orchestration: 0, local: 0 };
  let thinMapped = 0;
  let thinUnmapped = 0;
  const all = [
    ...(api.client?.members ?? []),
    ...(api.namespaces ?? []).flatMap((ns) => ns.methods ?? []),
  ];
  for (const m of all) {
    if (!METHOD_CLASSES.includes(m.class)) continue;
    methods[m.class] += 1;
    if (THIN.has(m.class)) {
      if (m.unmapped === undefined) thinMapped += 1;
      else thinUnmapped += 1;
    }
  }
  return { methods, thinMapped, thinUnmapped };
}

/**
 * Build the manifest object. `files` maps each schema file's path (relative to the schema
 * dir) to its exact text; `convex` is `convexCounts(...)`; `typesApi` is the result of the
 * TypeScript export (`{types, api, helpers}`) or null when it was not run.
 */
export function buildManifest({ source, version, files, convex, typesApi }) {
  const hashes = {};
  for (const rel of Object.keys(files).sort(byCodeUnit)) hashes[rel] = sha256(files[rel]);
  const ts = typesApi ? methodCounts(typesApi.api) : null;
  return {
    source: { repository: source.repository, tag: source.tag, commit: source.commit },
    exporter: { version },
    files: hashes,
    counts: {
      functions: convex.functions,
      tables: convex.tables,
      indexes: convex.indexes,
      searchIndexes: convex.searchIndexes,
      vectorIndexes: convex.vectorIndexes,
      types: typesApi ? Object.keys(typesApi.types.$defs ?? {}).length : null,
      methods: ts ? ts.methods : null,
      thinMapped: ts ? ts.thinMapped : null,
      thinUnmapped: ts ? ts.thinUnmapped : null,
    },
    helpers: typesApi ? [...(typesApi.helpers ?? [])].sort(byCodeUnit) : null,
  };
}
