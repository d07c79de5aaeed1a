// `shelly-fleet report` on bad input: one line naming what is wrong, exit 2, nothing written.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "../support/cli";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-report-cli-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe("shelly-fleet report", () => {
  it("writes the report, and writes it again over its own output", async () => {
    const out = path.join(scratch, "again");
    for (let run = 0; run < 2; run++) {
      const result = await runCli(["report", "--root", REPO_ROOT, "--site", "demo", "--out", out]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Wrote the report of 8 devices \(14 files\) to /);
    }
    expect(fs.readdirSync(path.join(out, "devices"))).toHaveLength(8);
  });

  it("never empties a directory it did not write", async () => {
    const out = path.join(scratch, "mine");
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, "notes.txt"), "keep me");
    const result = await runCli(["report", "--root", REPO_ROOT, "--out", out]);
    expect(result.stderr).toBe(
      `shelly-fleet: ${out} is not empty and holds no earlier report (no .shelly-fleet-report): choose another --out\n`,
    );
    expect(result.code).toBe(2);
    expect(fs.readdirSync(out)).toEqual(["notes.txt"]);
  });

  it.each([
    [["--site", "demo", "--all"], "shelly-fleet: --site and --all: choose one\n"],
    [
      ["--site", "nowhere"],
      /^shelly-fleet: no site "nowhere" \(no directory devices\/nowhere\/ under .*\)\n$/,
    ],
    [
      ["--state", "/nonexistent.json"],
      /^shelly-fleet: --state \/nonexistent\.json: not a readable `pulumi stack export` document \(ENOENT.*\)\n$/,
    ],
    [
      ["--preview", "/nonexistent.json"],
      "shelly-fleet: cannot read the preview file /nonexistent.json: ENOENT\n",
    ],
  ])("%j: one line, exit 2, nothing written", async (args, message) => {
    const out = path.join(scratch, "never");
    const result = await runCli(["report", "--root", REPO_ROOT, "--out", out, ...args]);
    if (typeof message === "string") expect(result.stderr).toBe(message);
    else expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
  });
});
