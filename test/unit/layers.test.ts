// The layering rules of /work/shared/DESIGN.md ("Layers: dependencies point one way"), checked on the
// sources: every import and export-from of the TypeScript files outside test/, relative paths resolved.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Files that break a rule today, to be fixed elsewhere: the lead empties these lists once the fixes
 * are merged. An entry that no longer breaks its rule fails the test too, so a list only shrinks.
 */
const KNOWN_CLI_IMPORTERS: readonly string[] = [];
const KNOWN_PROVIDERS_IMPORTING_FLEET: readonly string[] = [];

const ROOT = path.resolve(__dirname, "..", "..");
/** Not product code: dependencies, build output, scratch projects, and the tests themselves. */
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".tmp", ".git", "test"]);

/** Every .ts file of the product, as a path relative to the repository root with `/` separators. */
function sourceFiles(dir = ROOT): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : sourceFiles(full);
    return entry.name.endsWith(".ts") ? [path.relative(ROOT, full).split(path.sep).join("/")] : [];
  });
}

/** Static imports and re-exports: type-checked against the sources. */
const STATIC_PATTERNS = [
  // import … from "x", import type … from "x", export … from "x" (possibly over several lines)
  /\b(?:import|export)\s[^;"'`]*?\bfrom\s*["']([^"']+)["']/g,
  // import "x" (side effects only)
  /^\s*import\s*["']([^"']+)["']/gm,
];
/** import("x"), require("x"): resolved at run time, from the built file in dist/. */
const CALL_PATTERN = /\b(?:import|require)\s*\(\s*["']([^"']+)["']\s*\)/g;

function specifiers(source: string, patterns: RegExp[]): string[] {
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1] as string));
}

/** A relative specifier as a repository file (`.ts`, `/index.ts`, or `.js` written for `.ts`); undefined if none. */
function resolveRelative(importer: string, specifier: string): string | undefined {
  const base = path.posix.join(path.posix.dirname(importer), specifier);
  const candidates = [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, ".ts")];
  return candidates.find((candidate) => {
    const full = path.join(ROOT, candidate);
    return fs.existsSync(full) && fs.statSync(full).isFile();
  });
}

interface ImportEdge {
  /** The specifier as written. */
  specifier: string;
  isStatic: boolean;
  /** The repository file it names, for relative specifiers. */
  target?: string;
}

const graph = new Map<string, ImportEdge[]>(
  sourceFiles().map((file) => {
    const source = fs.readFileSync(path.join(ROOT, file), "utf8");
    const edge = (specifier: string, isStatic: boolean): ImportEdge => {
      const target = specifier.startsWith(".") ? resolveRelative(file, specifier) : undefined;
      return target === undefined ? { specifier, isStatic } : { specifier, isStatic, target };
    };
    const edges = [
      ...specifiers(source, STATIC_PATTERNS).map((specifier) => edge(specifier, true)),
      ...specifiers(source, [CALL_PATTERN]).map((specifier) => edge(specifier, false)),
    ];
    return [file, edges];
  }),
);

const under = (dir: string) => (file: string) => file.startsWith(`${dir}/`);

/** Files matching `importer` that import a repository file matching `imported`, sorted. */
function importersOf(importer: (file: string) => boolean, imported: (file: string) => boolean): string[] {
  return [...graph]
    .filter(
      ([file, edges]) => importer(file) && edges.some((e) => e.target !== undefined && imported(e.target)),
    )
    .map(([file]) => file)
    .sort();
}

/** One cycle among the files matching `scope` (as a path that returns to its start), or undefined. */
function findCycle(scope: (file: string) => boolean): string[] | undefined {
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string): string[] | undefined => {
    const open = stack.indexOf(file);
    if (open >= 0) return [...stack.slice(open), file];
    if (done.has(file)) return undefined;
    stack.push(file);
    for (const edge of graph.get(file) ?? []) {
      if (edge.target === undefined || !scope(edge.target)) continue;
      const cycle = visit(edge.target);
      if (cycle) return cycle;
    }
    stack.pop();
    done.add(file);
    return undefined;
  };
  for (const file of [...graph.keys()].filter(scope)) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

/** New violations fail; so do known ones that are gone (remove them from the list). */
function expectOnlyKnown(actual: string[], known: readonly string[]): void {
  expect(
    actual.filter((file) => !known.includes(file)),
    "new violations",
  ).toEqual([]);
  expect(
    known.filter((file) => !actual.includes(file)),
    "known violations that no longer occur: remove them from the list",
  ).toEqual([]);
}

describe("source layers", () => {
  it("the scanner sees the sources and resolves their imports", () => {
    expect(graph.get("sim/shelly/device.ts")?.map((e) => e.target)).toContain("sim/shelly/gen2/protocol.ts");
    expect(graph.get("sim/index.ts")?.map((e) => e.target)).toContain("sim/shelly/types.ts");
    // An import over several lines.
    expect(graph.get("sim/shelly/gen1.ts")?.map((e) => e.target)).toContain("sim/shelly/json.ts");
    expect([...graph.keys()].filter(under("providers/shelly/client")).length).toBeGreaterThan(0);
    // Every static relative import in the product names a file that exists.
    const unresolved = [...graph].flatMap(([file, edges]) =>
      edges
        .filter((e) => e.isStatic && e.specifier.startsWith(".") && e.target === undefined)
        .map((e) => `${file}: ${e.specifier}`),
    );
    expect(unresolved).toEqual([]);
  });

  it("no import cycle among the simulator's files", () => {
    expect(findCycle(under("sim"))).toBeUndefined();
  });

  it("nothing outside cli/ imports from cli/", () => {
    expectOnlyKnown(
      importersOf((file) => !under("cli")(file), under("cli")),
      KNOWN_CLI_IMPORTERS,
    );
  });

  it("no command imports another: what commands share lives in cli/, outside cli/commands/", () => {
    expect(importersOf(under("cli/commands"), under("cli/commands"))).toEqual([]);
  });

  it("the scanner would see a command importing another", () => {
    // demo.ts runs a preview with the field summary, which the preview command runs too.
    expect(graph.get("cli/commands/demo.ts")?.map((e) => e.target)).toContain("cli/engine-runs.ts");
  });

  it("nothing under providers/ imports from fleet/", () => {
    expectOnlyKnown(importersOf(under("providers"), under("fleet")), KNOWN_PROVIDERS_IMPORTING_FLEET);
  });

  it("upstream/ (what clients and simulators may share) is data: it imports nothing", () => {
    const importing = [...graph].filter(([file, edges]) => under("upstream")(file) && edges.length > 0);
    expect(importing.map(([file]) => file)).toEqual([]);
    expect([...graph.keys()].filter(under("upstream")).length).toBeGreaterThan(0);
  });

  it("the simulator does not import the clients' code from providers/", () => {
    expect(importersOf(under("sim"), under("providers"))).toEqual([]);
  });

  it("the Shelly clients know nothing of Pulumi", () => {
    const pulumiImporters = [...graph]
      .filter(([file]) => under("providers/shelly/client")(file))
      .filter(([, edges]) =>
        edges.some((e) => e.specifier === "@pulumi/pulumi" || e.specifier.startsWith("@pulumi/pulumi/")),
      )
      .map(([file]) => file);
    expect(pulumiImporters).toEqual([]);
  });
});
