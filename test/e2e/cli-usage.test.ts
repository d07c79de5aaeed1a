// User mistakes get one clear line and a non-zero exit, never a stack trace.
import { describe, expect, test } from "vitest";
import { runCli } from "../support/cli";

describe("shelly-fleet command line", () => {
  test("--help describes the commands", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: shelly-fleet <command>/);
    expect(result.stdout).toMatch(/preview/);
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
