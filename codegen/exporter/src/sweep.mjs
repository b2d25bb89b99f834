#!/usr/bin/env node
// Release sweep: run the exporter over every release tag of Project-Cortex and write a
// markdown report of what it found (and of anything that failed).
//
//   node codegen/exporter/src/sweep.mjs --repo <git dir or checkout with tags> --out docs/release-sweep.md
//       [--from v0.8.0] [--to v0.28.0]
//
// Each tag is extracted with `git archive TAG | tar -x` into a temp dir and exported in
// process. The Convex part must succeed on every tag; a failure of the TypeScript part
// (types.schema.json / api.json) is recorded in the table rather than aborting the row.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { runExport } from "./cli.mjs";
import { REPOSITORY } from "./manifest.mjs";
import { ExportError, oneLine } from "./util.mjs";

const TAG = /^v(\d+)\.(\d+)\.(\d+)$/;

function semver(tag) {
  return TAG.exec(tag).slice(1).map(Number);
}

function compareSemver(a, b) {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** Run a command; resolve with stdout (string), reject with its stderr on failure. */
function run(cmd, args, { input = null, cwd = undefined } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else reject(new Error(`${cmd} ${args.join(" ")}: ${oneLine(Buffer.concat(err).toString("utf8"))}`));
    });
    if (input) input.pipe(child.stdin);
  });
}

/** Release tags `vX.Y.Z` of `repo` within [from, to], oldest first. */
export async function releaseTags(repo, from = "v0.8.0", to = null) {
  const tags = (await run("git", ["-C", repo, "tag", "--list"])).split("\n").filter((t) => TAG.test(t));
  return tags
    .filter((t) => compareSemver(t, from) >= 0 && (to === null || compareSemver(t, to) <= 0))
    .sort(compareSemver);
}

// What the exporter reads from a checkout. The rest of a tag (docs, the Python SDK, at some
// tags even a committed virtualenv whose blobs a partial mirror may lack) is not extracted.
const WANTED = /^(convex-dev|src|package\.json|convex\.json|tsconfig(\.[\w-]+)?\.json)$/;

/** `git archive TAG -- <wanted paths> | tar -x` into `dest`. */
async function extract(repo, tag, dest) {
  const top = (await run("git", ["-C", repo, "ls-tree", "--name-only", tag])).split("\n");
  const paths = top.filter((p) => WANTED.test(p));
  const archive = spawn("git", ["-C", repo, "archive", "--format=tar", tag, "--", ...paths], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const archiveErr = [];
  archive.stderr.on("data", (d) => archiveErr.push(d));
  const archiveDone = new Promise((resolve, reject) => {
    archive.on("error", reject);
    archive.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git archive ${tag}: ${oneLine(Buffer.concat(archiveErr).toString())}`)),
    );
  });
  // Wait for both ends before reporting, so that nothing still writes into `dest`.
  const results = await Promise.allSettled([archiveDone, run("tar", ["-x", "-C", dest], { input: archive.stdout })]);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Export one tag; returns a result row (never throws for export failures). */
export async function sweepTag(repo, tag) {
  const commit = (await run("git", ["-C", repo, "rev-parse", `${tag}^{commit}`])).trim();
  const dir = await mkdtemp(path.join(os.tmpdir(), `cortex-sweep-${tag}-`));
  const row = { tag, commit, ok: false, error: null, typesError: null, manifest: null, timings: null };
  try {
    await extract(repo, tag, dir);
    const t0 = performance.now();
    const result = await runExport(dir, { tag, commit, tolerateTypesFailure: true });
    row.seconds = (performance.now() - t0) / 1000;
    row.ok = true;
    row.manifest = result.manifest;
    row.timings = result.timings;
    row.typesError = result.typesError ? errorLine(result.typesError) : null;
  } catch (err) {
    row.error = errorLine(err);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return row;
}

function errorLine(err) {
  return err instanceof ExportError ? err.line() : `cortex-export: error: ${oneLine(err?.message ?? err)}`;
}

const fmt = (n) => (n === null || n === undefined ? "–" : String(n));

/** The markdown report for the sweep rows. */
export function renderReport(rows) {
  const lines = [
    "# Release sweep",
    "",
    "The exporter (`codegen/exporter`) run over every `vX.Y.Z` release tag of Project-Cortex, each tag",
    "extracted with `git archive` (regenerate: `make sweep TS_SDK=<git dir or checkout with tags>`).",
    `Source: ${REPOSITORY}; ${rows.length} tags, ${rows.filter((r) => r.ok).length} exported, ` +
      `${rows.filter((r) => r.ok && r.manifest.counts.types !== null).length} with types/api.`,
    "",
    "Columns: Convex functions (query/mutation/action), tables and indexes (db/search/vector), exported",
    "types, SDK methods by class (thin / thin+graph / orchestration / local), thin methods mapped",
    "completely vs. unmapped, seconds for the Convex part, the TypeScript part and in total.",
    "",
    "| tag | commit | functions (q/m/a) | tables | indexes (db/s/v) | types | methods (t/t+g/o/l) | thin mapped/unmapped | s convex | s ts | s total | status |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const short = r.commit.slice(0, 7);
    if (!r.ok) {
      lines.push(`| ${r.tag} | ${short} | – | – | – | – | – | – | – | – | – | **failed** |`);
      continue;
    }
    const c = r.manifest.counts;
    const f = c.functions;
    const m = c.methods;
    const total = f.query + f.mutation + f.action;
    lines.push(
      [
        r.tag,
        short,
        `${total} (${f.query}/${f.mutation}/${f.action})`,
        c.tables,
        `${c.indexes}/${c.searchIndexes}/${c.vectorIndexes}`,
        fmt(c.types),
        m ? `${m.thin}/${m["thin+graph"]}/${m.orchestration}/${m.local}` : "–",
        c.thinMapped === null ? "–" : `${c.thinMapped}/${c.thinUnmapped}`,
        r.timings.convex.toFixed(2),
        r.timings.typescript.toFixed(2),
        r.seconds.toFixed(2),
        r.typesError ? "convex ok, types/api failed" : c.types === null ? "convex ok, types/api skipped" : "ok",
      ]
        .join(" | ")
        .replace(/^(.*)$/, "| $1 |"),
    );
  }
  const failures = rows.filter((r) => !r.ok || r.typesError);
  lines.push("", "## Failures", "");
  if (failures.length === 0) {
    lines.push("None.");
  } else {
    for (const r of failures) lines.push(`- ${r.tag}: \`${r.error ?? r.typesError}\``);
  }
  return `${lines.join("\n")}\n`;
}

async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      repo: { type: "string" },
      out: { type: "string" },
      from: { type: "string", default: "v0.8.0" },
      to: { type: "string" },
    },
  });
  if (!values.repo || !values.out) {
    process.stderr.write("usage: sweep.mjs --repo <git dir or checkout with tags> --out <report.md> [--from vX.Y.Z] [--to vX.Y.Z]\n");
    return 2;
  }
  const tags = await releaseTags(values.repo, values.from, values.to ?? null);
  const rows = [];
  for (const tag of tags) {
    const row = await sweepTag(values.repo, tag);
    const status = row.ok ? (row.typesError ? "convex ok, types/api failed" : "ok") : `FAILED ${row.error}`;
    process.stderr.write(`${tag}: ${status}${row.ok ? ` (${row.seconds.toFixed(2)} s)` : ""}\n`);
    rows.push(row);
  }
  await writeFile(values.out, renderReport(rows), "utf8");
  return rows.every((r) => r.ok) ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  process.exit(await main(process.argv.slice(2)));
}
