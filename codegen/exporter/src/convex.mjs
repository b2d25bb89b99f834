// The Convex half of the export: load every module of `<sdk>/convex-dev/` with the pinned
// `convex` package and read back what Convex itself knows about it: each registered
// function's kind, visibility and argument/return validators (`functions.json`), and the
// schema's tables and indexes (`tables.json`).
//
// How: esbuild bundles the modules (TypeScript in, ESM out, `convex` bundled in from this
// package's node_modules), `./_generated/*` is replaced by small virtual modules, the result
// is written to a temp dir and imported. Nothing is run against a deployment.
import { build } from "esbuild";
import { mkdtemp, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { ExportError, byCodeUnit, oneLine } from "./util.mjs";

export const FUNCTIONS_DIR = "convex-dev";
const EXPORTER_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MODULE_EXT = /\.(ts|tsx|js|mjs|jsx)$/;
const GENERATED_NS = "cortex-generated";

// The code `npx convex codegen` would put in `_generated/`, reduced to what loading needs:
// the builders bound to the generic (untyped) implementations, and `api`/`internal` as
// Convex's any-typed function reference proxy.
const GENERATED_MODULES = {
  server: `export {
  queryGeneric as query,
  mutationGeneric as mutation,
  actionGeneric as action,
  internalQueryGeneric as internalQuery,
  internalMutationGeneric as internalMutation,
  internalActionGeneric as internalAction,
  httpActionGeneric as httpAction,
} from "convex/server";
`,
  api: `import { anyApi, componentsGeneric } from "convex/server";
export const api = anyApi;
export const internal = anyApi;
export const components = componentsGeneric();
`,
  dataModel: "export {};\n",
};

/** Export the Convex part of the checkout at `sdkRoot`: `{functions, tables}`. */
export async function exportConvex(sdkRoot) {
  const root = path.resolve(sdkRoot);
  const convexDir = path.join(root, FUNCTIONS_DIR);
  const modules = await listModules(convexDir);
  const schemaRel = modules.find((m) => m.replace(MODULE_EXT, "") === "schema");
  if (!schemaRel) {
    throw new ExportError(null, `not a Cortex checkout: ${sdkRoot} (missing ${FUNCTIONS_DIR}/schema.ts)`);
  }
  const outDir = await mkdtemp(path.join(os.tmpdir(), "cortex-export-"));
  try {
    await bundle(root, convexDir, modules, outDir);
    const functions = [];
    let tables = null;
    for (const rel of modules) {
      const loaded = await importModule(outDir, rel);
      if (rel === schemaRel) {
        tables = readSchema(loaded, rel);
      } else {
        functions.push(...readFunctions(loaded, rel));
      }
    }
    functions.sort((a, b) => byCodeUnit(a.identifier, b.identifier));
    return { functions, tables };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Module paths relative to `convex-dev/`, POSIX separators, sorted; `_generated/` excluded. */
async function listModules(convexDir, prefix = "") {
  let entries;
  try {
    entries = await readdir(path.join(convexDir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const found = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    if (entry.isDirectory()) {
      if (entry.name !== "_generated") found.push(...(await listModules(convexDir, rel)));
    } else if (isFunctionModule(entry.name)) {
      found.push(rel);
    }
  }
  return found.sort(byCodeUnit);
}

// Convex skips declaration files, tests and config files when it collects functions.
function isFunctionModule(name) {
  if (!MODULE_EXT.test(name) || name.endsWith(".d.ts")) return false;
  return !/\.(test|spec|config)\.[a-z]+$/.test(name);
}

async function bundle(root, convexDir, modules, outDir) {
  let result;
  try {
    result = await build({
      absWorkingDir: root,
      entryPoints: modules.map((rel) => path.join(convexDir, rel)),
      outbase: convexDir,
      outdir: outDir,
      entryNames: "[dir]/[name]",
      chunkNames: "_chunks/[name]-[hash]",
      bundle: true,
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      logLevel: "silent",
      sourcemap: false,
      banner: { js: 'import { createRequire as __cortexRequire } from "node:module"; const require = __cortexRequire(import.meta.url);' },
      plugins: [generatedModulesPlugin(convexDir), pinnedConvexPlugin()],
    });
  } catch (err) {
    throw bundleError(err);
  }
  for (const file of result.outputFiles) {
    await mkdir(path.dirname(file.path), { recursive: true });
    await writeFile(file.path, file.contents);
  }
}

/** Turn esbuild's failure into one ExportError naming the first offending file. */
function bundleError(err) {
  const errors = Array.isArray(err?.errors) ? [...err.errors] : [];
  if (errors.length === 0) return new ExportError(null, err?.message ?? String(err));
  const key = (e) => `${e.location?.file ?? ""}\u0000${String(e.location?.line ?? 0).padStart(9, "0")}`;
  errors.sort((a, b) => byCodeUnit(key(a), key(b)));
  const first = errors.find((e) => e.location) ?? errors[0];
  const loc = first.location;
  if (!loc) return new ExportError(null, first.text);
  const file = loc.file.split(path.sep).join("/");
  return new ExportError(file, `${first.text} (line ${loc.line}, column ${loc.column + 1})`);
}

// `./_generated/server|api|dataModel` → virtual modules (the checkout has no `_generated/`).
function generatedModulesPlugin(convexDir) {
  return {
    name: "cortex-generated",
    setup(b) {
      b.onResolve({ filter: /(^|\/)_generated\/[A-Za-z]+(\.(js|ts))?$/ }, (args) => {
        const target = path.resolve(args.resolveDir, args.path);
        if (path.dirname(target) !== path.join(convexDir, "_generated")) return undefined;
        const name = path.basename(target).replace(/\.(js|ts)$/, "");
        if (!(name in GENERATED_MODULES)) {
          return { errors: [{ text: `unsupported import of ${args.path} (no virtual _generated/${name})` }] };
        }
        return { path: name, namespace: GENERATED_NS };
      });
      b.onLoad({ filter: /.*/, namespace: GENERATED_NS }, (args) => ({
        contents: GENERATED_MODULES[args.path],
        loader: "js",
        resolveDir: EXPORTER_ROOT,
      }));
    },
  };
}

// `convex/*` always comes from this package's pinned copy, never from the checkout's.
function pinnedConvexPlugin() {
  return {
    name: "cortex-pinned-convex",
    setup(b) {
      b.onResolve({ filter: /^convex(\/|$)/ }, async (args) => {
        if (args.pluginData?.pinned) return undefined;
        const resolved = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: EXPORTER_ROOT,
          pluginData: { pinned: true },
        });
        return resolved.errors.length ? { errors: resolved.errors } : { path: resolved.path };
      });
    },
  };
}

async function importModule(outDir, rel) {
  const file = path.join(outDir, rel.replace(MODULE_EXT, ".js"));
  try {
    return await import(pathToFileURL(file).href);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ExportError(`${FUNCTIONS_DIR}/${rel}`, `throws when loaded: ${oneLine(message)}`);
  }
}

const FUNCTION_TYPES = [
  ["isQuery", "Query"],
  ["isMutation", "Mutation"],
  ["isAction", "Action"],
];

function readFunctions(loaded, rel) {
  const base = rel.replace(MODULE_EXT, "");
  const out = [];
  for (const name of Object.keys(loaded).sort(byCodeUnit)) {
    const fn = loaded[name];
    if (typeof fn !== "function") continue;
    const kind = FUNCTION_TYPES.find(([flag]) => fn[flag] === true);
    if (!kind) continue;
    const identifier = `${base}.js:${name}`;
    try {
      out.push({
        identifier,
        functionType: kind[1],
        visibility: { kind: fn.isInternal === true ? "internal" : "public" },
        args: JSON.parse(fn.exportArgs()),
        returns: JSON.parse(fn.exportReturns()),
      });
    } catch (err) {
      throw new ExportError(`${FUNCTIONS_DIR}/${rel}`, `${name}: cannot export validators: ${err.message}`);
    }
  }
  return out;
}

/** The schema module's default export → tables JSON in the documented shape. */
function readSchema(loaded, rel) {
  const schema = loaded.default;
  if (!schema || typeof schema.export !== "function") {
    throw new ExportError(`${FUNCTIONS_DIR}/${rel}`, "has no default export made by defineSchema()");
  }
  let raw;
  try {
    raw = JSON.parse(schema.export());
  } catch (err) {
    throw new ExportError(`${FUNCTIONS_DIR}/${rel}`, `cannot export the schema: ${oneLine(err.message)}`);
  }
  const tables = raw.tables.map((t) => ({
    tableName: t.tableName,
    documentType: t.documentType,
    indexes: (t.indexes ?? []).map((i) => ({ indexDescriptor: i.indexDescriptor, fields: i.fields })),
    searchIndexes: (t.searchIndexes ?? []).map((i) => ({
      indexDescriptor: i.indexDescriptor,
      searchField: i.searchField,
      filterFields: i.filterFields,
    })),
    vectorIndexes: (t.vectorIndexes ?? []).map((i) => ({
      indexDescriptor: i.indexDescriptor,
      vectorField: i.vectorField,
      dimensions: i.dimensions,
      filterFields: i.filterFields,
    })),
  }));
  tables.sort((a, b) => byCodeUnit(a.tableName, b.tableName));
  return { tables, schemaValidation: raw.schemaValidation };
}

/** Counts for the manifest and the sweep. */
export function convexCounts({ functions, tables }) {
  const byType = { query: 0, mutation: 0, action: 0 };
  for (const f of functions) byType[f.functionType.toLowerCase()] += 1;
  const sum = (key) => tables.tables.reduce((n, t) => n + t[key].length, 0);
  return {
    functions: byType,
    tables: tables.tables.length,
    indexes: sum("indexes"),
    searchIndexes: sum("searchIndexes"),
    vectorIndexes: sum("vectorIndexes"),
  };
}
