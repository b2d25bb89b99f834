// Builds the TypeScript program over an SDK checkout: the checkout's own compiler options
// (as far as they load), no emit, no lib checking. The checkout ships without node_modules,
// so bare imports of `convex/*` are resolved against the exporter's own copy of convex;
// anything else that does not resolve simply stays an error type.
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const EXPORTER_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const FALLBACK_FROM = path.join(EXPORTER_ROOT, "package.json");

/** Compiler options from `<sdk>/tsconfig.json`, tolerant of missing or broken configs. */
function loadOptions(sdkRoot) {
  const configPath = path.join(sdkRoot, "tsconfig.json");
  let options = {};
  if (ts.sys.fileExists(configPath)) {
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    if (!read.error && read.config) {
      const parsed = ts.parseJsonConfigFileContent(
        { compilerOptions: read.config.compilerOptions ?? {} },
        ts.sys,
        sdkRoot,
        undefined,
        configPath,
      );
      options = parsed.options;
    }
  }
  return {
    ...options,
    noEmit: true,
    skipLibCheck: true,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    incremental: false,
    composite: false,
    types: [],
    typeRoots: [],
    allowJs: false,
    strict: options.strict ?? true,
    target: options.target ?? ts.ScriptTarget.ES2020,
    moduleResolution: options.moduleResolution ?? ts.ModuleResolutionKind.Node10,
  };
}

/** Create the program for `<sdkRoot>/src/index.ts`. */
export function createSdkProgram(sdkRoot) {
  const root = path.resolve(sdkRoot);
  const entry = path.join(root, "src", "index.ts");
  const options = loadOptions(root);
  const host = ts.createCompilerHost(options, true);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, opts) =>
    literals.map((lit) => {
      const name = lit.text;
      let res = ts.resolveModuleName(name, containingFile, opts, host).resolvedModule;
      if (!res && (name === "convex" || name.startsWith("convex/"))) {
        res = ts.resolveModuleName(name, FALLBACK_FROM, opts, host).resolvedModule;
      }
      return { resolvedModule: res };
    });
  const program = ts.createProgram({ rootNames: [entry], options, host });
  return { program, checker: program.getTypeChecker(), root, entry };
}

/** True for a file that belongs to the SDK checkout itself (not a lib or node_modules). */
export function isSdkFile(root, fileName) {
  const rel = path.relative(root, fileName);
  return !rel.startsWith("..") && !path.isAbsolute(rel) && !rel.includes("node_modules");
}
