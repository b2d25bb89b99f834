// TypeScript half of the exporter: reads `<sdk>/src` with the TypeScript compiler API and
// returns the `types.schema.json` and `api.json` documents (plain objects) plus the sorted
// list of helper names the call mappings use.
import ts from "typescript";
import { ApiWalker } from "./ts/api.mjs";
import { createSdkProgram } from "./ts/program.mjs";
import { TypeRegistry } from "./ts/types.mjs";

/** Symbols exported from `src/index.ts`, aliases resolved to their targets. */
function exportedSymbols(sdk) {
  const out = new Set();
  const sf = sdk.program.getSourceFile(sdk.entry);
  const mod = sf && sdk.checker.getSymbolAtLocation(sf);
  if (!mod) return out;
  for (const s of sdk.checker.getExportsOfModule(mod)) {
    out.add(s);
    if (s.flags & ts.SymbolFlags.Alias) {
      try {
        out.add(sdk.checker.getAliasedSymbol(s));
      } catch {
        // unresolvable re-export: nothing to add
      }
    }
  }
  return out;
}

/**
 * Export the SDK surface of the checkout at `sdkRoot`.
 * @returns {Promise<{types: object, api: object, helpers: string[]}>}
 */
export async function exportTypesAndApi(sdkRoot) {
  const sdk = createSdkProgram(sdkRoot);
  const registry = new TypeRegistry(sdk.checker, sdk.root, exportedSymbols(sdk));
  const walker = new ApiWalker(sdk, registry);
  const api = walker.build();
  const types = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $defs: registry.definitions(),
  };
  return { types, api, helpers: [...walker.helpers].sort() };
}
