// `shelly-fleet provisioner` refuses weak or exposed tokens before it listens, in one line, and
// makes good ones (the built command: dist/, as a user runs it).
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { tokenProblem } from "../../providers/provision/agent/token";
import { REPO_ROOT, runCli } from "../support/cli";
import { TOKEN } from "./agent-support";
import { freePort } from "./support";

describe("shelly-fleet provisioner: its token", () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "agent-cli-"));
  });
  afterEach(async () => {
    child?.kill("SIGTERM");
    child = undefined;
    await fs.rm(dir, { recursive: true, force: true });
  });
  const agentArgs = (...more: string[]) => [
    "provisioner",
    "--name",
    "pi",
    "--listen",
    "127.0.0.1:0",
    "--state",
    path.join(dir, "state.json"),
    "--link",
    "direct",
    ...more,
  ];

  test("a short token in the environment: one line naming the variable, exit 2, never the token", async () => {
    const short = "agent-e2e-token-4c2e";
    const run = await runCli(agentArgs(), { SHELLY_FLEET_PROVISIONER_TOKEN: short });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^shelly-fleet: SHELLY_FLEET_PROVISIONER_TOKEN: the agent token has 20 characters; it must hold at least 32 random bytes .*\n$/,
    );
    expect(run.stderr).not.toContain(short);
    expect(run.stdout).toBe("");
  });

  test("a world-readable token file: one line naming the file and the fix, exit 2", async () => {
    const file = path.join(dir, "token");
    await fs.writeFile(file, TOKEN, { mode: 0o644 });
    await fs.chmod(file, 0o644);
    const run = await runCli(agentArgs("--token-file", file), { SHELLY_FLEET_PROVISIONER_TOKEN: "" });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `shelly-fleet: ${file}: mode 0644 lets other users read the agent token; run \`chmod 600 ${file}\`\n`,
    );
  });

  test("--new-token writes 32 random bytes, mode 0600, never over a file; the agent starts with it", async () => {
    const file = path.join(dir, "token");
    const made = await runCli(["provisioner", "--new-token", file]);
    expect(made).toMatchObject({ code: 0, stderr: "" });
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const token = (await fs.readFile(file, "utf8")).trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenProblem(token)).toBeUndefined();
    expect(made.stdout).not.toContain(token);
    const again = await runCli(["provisioner", "--new-token", file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `shelly-fleet: ${file} exists already: a new token is never written over an old one\n`,
    );
    expect((await fs.readFile(file, "utf8")).trim()).toBe(token);

    const port = await freePort();
    const args = agentArgs("--token-file", file).map((a) => (a === "127.0.0.1:0" ? `127.0.0.1:${port}` : a));
    child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "shelly-fleet"), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const started = await new Promise<string>((resolve, reject) => {
      child?.once("exit", (code) => reject(new Error(`the agent exited with ${code}`)));
      child?.stdout?.once("data", (data: Buffer) => resolve(data.toString("utf8")));
    });
    expect(JSON.parse(started)).toEqual({ agent: "pi", url: `http://127.0.0.1:${port}` });
    const answer = await fetch(`http://127.0.0.1:${port}/v1/tasks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status).toBe(200);
    await fetch(`http://127.0.0.1:${port}/v1/tasks`, { headers: { authorization: "Bearer wrong" } });
    // The audit log: beside the state file, owner-only, one JSON line per event.
    const audit = path.join(dir, "state.audit.jsonl");
    expect((await fs.stat(audit)).mode & 0o777).toBe(0o600);
    const entries = (await fs.readFile(audit, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(entries).toEqual([
      expect.objectContaining({ agent: "pi", event: "request.refused", status: 401 }),
    ]);
  });

  test("--metrics-public with an address other hosts reach: one line, exit 2, nothing listens", async () => {
    const args = agentArgs("--metrics-public").map((a) => (a === "127.0.0.1:0" ? "0.0.0.0:0" : a));
    const run = await runCli(args, { SHELLY_FLEET_PROVISIONER_TOKEN: TOKEN });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "shelly-fleet: --metrics-public needs a loopback --listen address, not 0.0.0.0\n",
    );
    expect(run.stdout).toBe("");
  });
});
