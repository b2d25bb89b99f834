#!/usr/bin/env node
// cortex-export: read a Cortex TypeScript SDK checkout, write the API contract (schema/).
//
//   node codegen/exporter/src/cli.mjs --sdk <checkout> --out <dir> [--tag vX.Y.Z] [--commit SHA]
//
// Everything is computed in memory, written to a temp dir beside --out and swapped in only
// when complete: on any error --out is left as it was, one line goes to stderr, exit 1.
import { stat } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import { convexCounts, exportConvex, FUNCTIONS_DIR } from "./convex.mjs";
import { buildManifest, exporterVersion, sourceInfo } from "./manifest.mjs";
import { exportTypesAndApi } from "./typescript.mjs";
import { ExportError, oneLine, stableJson, writeDirAtomically } from "./util.mjs";

const USAGE = "usage: cortex-export --sdk <Project-Cortex checkout> --out <dir> [--tag vX.Y.Z] [--commit SHA]";
const REQUIRED = [`${FUNCTIONS_DIR}/schema.ts`, "src/index.ts"];

/** Fail unless `sdkRoot` looks like a Project-Cortex checkout. */
export async function checkCheckout(sdkRoot) {
  for (const rel of REQUIRED) {
    try {
      if ((await stat(path.join(sdkRoot, rel))).isFile()) continue;
    } catch {
      // reported below
    }
    throw new ExportError(null, `not a Cortex checkout: ${sdkRoot} (missing ${rel})`);
  }
}

/**
 * Run the whole export for `sdkRoot` and return the schema files as `{relPath: text}`, the
 * manifest object, per-part timings in seconds, and `typesError` (an ExportError) when the
 * TypeScript part failed and `tolerateTypesFailure` is set (the release sweep uses that).
 */
export async function runExport(sdkRoot, { tag = null, commit = null, tolerateTypesFailure = false } = {}) {
  await checkCheckout(sdkRoot);
  const timings = {};
  let t0 = performance.now();
  const convex = await exportConvex(sdkRoot);
  timings.convex = (performance.now() - t0) / 1000;

  t0 = performance.now();
  let typesApi = null;
  let typesError = null;
  try {
    typesApi = await exportTypesAndApi(sdkRoot);
  } catch (err) {
    typesError = err instanceof ExportError ? err : new ExportError(err?.file ?? null, `types/api export failed: ${err?.message ?? err}`);
    if (!tolerateTypesFailure) throw typesError;
  }
  timings.typescript = (performance.now() - t0) / 1000;

  const files = {
    "convex/functions.json": stableJson(convex.functions),
    "convex/tables.json": stableJson(convex.tables),
  };
  if (typesApi) {
    files["types.schema.json"] = stableJson(typesApi.types);
    files["api.json"] = stableJson(typesApi.api);
  }
  const manifest = buildManifest({
    source: await sourceInfo(sdkRoot, { tag, commit }),
    version: await exporterVersion(),
    files,
    convex: convexCounts(convex),
    typesApi,
  });
  return { files: { ...files, "manifest.json": stableJson(manifest) }, manifest, timings, typesError };
}

export async function main(argv) {
  let opts;
  try {
    ({ values: opts } = parseArgs({
      args: argv,
      options: {
        sdk: { type: "string" },
        out: { type: "string" },
        tag: { type: "string" },
        commit: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    process.stderr.write(`cortex-export: error: ${oneLine(err.message)}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!opts.sdk || !opts.out) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const { files } = await runExport(opts.sdk, { tag: opts.tag ?? null, commit: opts.commit ?? null });
    await writeDirAtomically(opts.out, files);
    return 0;
  } catch (err) {
    const line = err instanceof ExportError ? err.line() : `cortex-export: error: ${oneLine(err?.message ?? err)}`;
    process.stderr.write(`${line}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  // Exit explicitly: a loaded module may leave timers or handles open.
  process.exit(await main(process.argv.slice(2)));
}
