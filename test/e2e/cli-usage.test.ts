// User mistakes get one clear line and a non-zero exit, never a stack trace.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT, runCli } from "../support/cli";

describe("shelly-fleet command line", () => {
  test("--help describes the commands", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: shelly-fleet <command>/);
    expect(result.stdout).toMatch(/preview/);
  });

  test("an old Node gets one line naming both versions and how to get a newer one", async () => {
    // A `node` first on PATH that reports 20.1.0, as Debian's would.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "old-node-"));
    try {
      await fs.writeFile(
        path.join(dir, "pretend-old.js"),
        'Object.defineProperty(process.versions, "node", { value: "20.1.0" });\n',
      );
      await fs.writeFile(
        path.join(dir, "node"),
        `#!/bin/sh\nexec "${process.execPath}" -r "${dir}/pretend-old.js" "$@"\n`,
        { mode: 0o755 },
      );
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
        execFile(path.join(REPO_ROOT, "bin", "shelly-fleet"), ["validate"], { env }, (err, stdout, stderr) =>
          resolve({ code: err ? (err.code as number) : 0, stdout, stderr }),
        );
      });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(/^shelly-fleet: needs Node\.js 22 or newer, found 20\.1\.0 \(/);
      // The bootstrap by its full path, runnable from wherever the user is.
      expect(result.stderr).toContain(`source ${path.join(REPO_ROOT, "scripts", "env.sh")}`);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test("an unknown command exits 2 with one line", async () => {
    const result = await runCli(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('shelly-fleet: unknown command "frobnicate"; run `shelly-fleet --help`\n');
  });

  test("an unknown option exits 2 without a stack trace", async () => {
    const result = await runCli(["preview", "--frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^shelly-fleet: Unknown option '--frobnicate'/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test("a malformed --config exits 2", async () => {
    const result = await runCli(["preview", "-c", "novalue"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--config expects KEY=VALUE/);
  });
});
