// The README against the tree: its module map lists every top-level directory and every directory
// under providers/ and sim/, each path it lists exists, and every `shelly-fleet <command>` it shows
// is a command of the CLI.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_MODULES } from "../../cli/main";

const ROOT = path.resolve(__dirname, "..", "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
/** Not part of the project's own tree: dependencies, build output, local state and scratch space. */
const NOT_MAPPED = new Set([
  ".git",
  "node_modules",
  "dist",
  ".tmp",
  ".pulumi-state",
  "coverage",
  "fleet-report",
  "test-artifacts",
]);

/** The lines of the section under `## title`, up to the next `## ` heading. */
function section(title: string): string[] {
  const lines = README.split("\n");
  const start = lines.indexOf(`## ${title}`);
  expect(start, `README section "## ${title}"`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The code spans in the first cell of each row of the section's tables (header and rule excluded). */
function firstCellCode(lines: string[]): string[] {
  return lines
    .filter((line) => line.startsWith("| ") && !/^\|\s*-/.test(line))
    .map((line) => line.split("|")[1] ?? "")
    .flatMap((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
}

const mapped = firstCellCode(section("How it fits together"));

function directories(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !NOT_MAPPED.has(entry.name))
    .map((entry) => path.posix.join(dir, entry.name));
}

describe("README module map", () => {
  it("is found and lists paths", () => {
    expect(mapped).toContain("index.ts");
    expect(mapped).toContain("providers/shelly/");
  });

  it("lists every top-level directory and every directory under providers/ and sim/", () => {
    const dirs = [...directories("."), ...directories("providers"), ...directories("sim")].map(
      (dir) => `${dir.replace(/^\.\//, "")}/`,
    );
    // A directory is listed itself, or through the directories under it (sim/ by sim/shelly/ …).
    const missing = dirs.filter((dir) => !mapped.some((entry) => entry.startsWith(dir)));
    expect(missing, "directories missing from the README's module map").toEqual([]);
  });

  it("lists only paths that exist", () => {
    const absent = mapped.filter((entry) => !fs.existsSync(path.join(ROOT, entry)));
    expect(absent, "paths in the README's module map that do not exist").toEqual([]);
  });
});

describe("README commands", () => {
  const names = COMMAND_MODULES.flatMap((module) => module.names);
  /** `shelly-fleet <word>` in code spans and code blocks, where the README shows commands. */
  const shown = [...README.matchAll(/```[\s\S]*?```|`[^`]+`/g)]
    .flatMap((code) => [...code[0].matchAll(/\bshelly-fleet\s+([a-z][a-z-]*)/g)])
    .map((m) => m[1] as string);

  it("finds the commands it shows", () => {
    expect(shown).toContain("preview");
    expect(shown).toContain("adopt");
  });

  it("shows only commands that exist", () => {
    expect([...new Set(shown)].filter((name) => !names.includes(name))).toEqual([]);
  });

  it("its command table lists exactly the CLI's commands", () => {
    const table = firstCellCode(section("The command line")).map((cell) => cell.split(" ")[0]);
    expect([...table].sort()).toEqual([...names].sort());
  });
});
