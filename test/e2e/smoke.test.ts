// The real Pulumi engine end to end: engine, inline program, closure serialization, the
// dynamic-provider plugin, and the smoke resource's check/diff/create/update/delete.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeScratchProject, runCli } from "../support/cli";

describe("smoke: the real Pulumi engine with one dynamic resource", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  const cli = (...args: string[]) => runCli([...args, "--stack", "smoke", "--dir", project.dir], project.env);

  beforeAll(async () => {
    const version = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
    console.log(`real Pulumi engine: pulumi ${version}`);
    project = await makeScratchProject("e2e-smoke");
  });

  afterAll(async () => {
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("up creates the resource and exports its outputs", async () => {
    const up = await cli("up", "-c", "message=hello");
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/\+ 2 created/);
    expect(up.stdout).toMatch(/length\s*:\s*5/);
  });

  test("a second preview shows no changes", async () => {
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/2 unchanged/);
  });

  test("a changed input shows as an update, and --expect-no-changes fails", async () => {
    const preview = await cli("preview", "--expect-no-changes", "-c", "message=hello again");
    expect(preview.code).toBe(7); // the engine's exit code for "changes were proposed"
    expect(preview.stderr).toMatch(/no changes were expected/);
    expect(preview.stdout).toMatch(/~ 1 to update/);
    expect(preview.stdout).toMatch(/message\s*:\s*"hello" => "hello again"/);
  });

  test("up applies the update", async () => {
    const up = await cli("up");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/~ 1 updated/);
    expect(up.stdout).toMatch(/length\s*:\s*5 => 11/);
  });

  test("destroy removes the resources", async () => {
    const destroy = await cli("destroy");
    expect(destroy.code).toBe(0);
    expect(destroy.stdout).toMatch(/- 2 deleted/);
  });
});
