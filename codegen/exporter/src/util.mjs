// Small shared pieces of the exporter: the one error type it reports, the stable JSON
// writer every schema file goes through, hashing, and the atomic directory swap.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rename, rm, stat, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";

/** A failure the user can act on: `file` is relative to the checkout (or null). */
export class ExportError extends Error {
  constructor(file, message) {
    super(message);
    this.name = "ExportError";
    this.file = file;
  }

  /** The single stderr line the CLI prints for this error. */
  line() {
    const where = this.file ? `${this.file}: ` : "";
    return `cortex-export: error: ${where}${oneLine(this.message)}`;
  }
}

/** Collapse whitespace runs (including newlines) so a message fits on one line. */
export function oneLine(text) {
  return String(text).replace(/\s+/g, " ").trim();
}

/**
 * Serialise a JSON value the way every schema file is written: 2-space indent, trailing
 * newline. Key order is the insertion order of the objects we build, which every caller
 * fixes explicitly. An `undefined` object member is left out (as JSON.stringify does); an
 * `undefined` array element, a bigint or a function is refused rather than silently changed.
 */
export function stableJson(value) {
  return `${JSON.stringify(value, refuseNonJson, 2)}\n`;
}

function refuseNonJson(key, value) {
  if (value === undefined && Array.isArray(this)) {
    throw new Error(`stableJson: undefined array element at index ${key}`);
  }
  if (typeof value === "bigint" || typeof value === "function") {
    throw new Error(`stableJson: non-JSON value (${typeof value}) at key ${JSON.stringify(key)}`);
  }
  return value;
}

export function sha256(text) {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Compare two strings by UTF-16 code units (locale independent, deterministic). */
export function byCodeUnit(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function exists(p) {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

export async function readJson(p) {
  return JSON.parse(await readFile(p, "utf8"));
}

/**
 * Write `files` (relative path → text) into a fresh temp dir beside `outDir`, then put that
 * dir in place of `outDir`. Until the final renames nothing in `outDir` changes; if anything
 * fails before them, the temp dir is removed and `outDir` is untouched.
 */
export async function writeDirAtomically(outDir, files) {
  const target = path.resolve(outDir);
  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  const tmp = await mkdtemp(path.join(parent, `.${path.basename(target)}.tmp-`));
  try {
    for (const [rel, text] of Object.entries(files)) {
      const dest = path.join(tmp, rel);
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(dest, text, "utf8");
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (await exists(target)) {
    const old = `${tmp}.old`;
    await rename(target, old);
    try {
      await rename(tmp, target);
    } catch (err) {
      await rename(old, target);
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(tmp, target);
  }
}
