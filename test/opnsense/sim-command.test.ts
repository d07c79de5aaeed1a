// `shelly-fleet sim --opnsense`: the simulated OPNsense as a command, used by any client.
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import { describe, expect, test } from "vitest";
import { OpnsenseClient } from "../../providers/opnsense/client";
import { REPO_ROOT, runCli } from "../support/cli";

describe("shelly-fleet sim --opnsense", () => {
  test("prints its address and credentials, serves the API with the given subnet, exits on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, "bin", "shelly-fleet"), "sim", "--opnsense", "--opnsense-subnet", "10.0.30.0/24"],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const lines = readline.createInterface({ input: child.stdout });
      const line = JSON.parse((await lines[Symbol.asyncIterator]().next()).value as string);
      expect(line).toEqual({
        opnsense: true,
        address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        key: expect.stringMatching(/^[\w-]{40}$/),
        secret: expect.stringMatching(/^[\w-]{40}$/),
      });
      const api = new OpnsenseClient({ url: line.address, key: line.key, secret: line.secret });
      const [subnet] = await api.keaSubnets();
      expect(subnet?.subnet).toBe("10.0.30.0/24");
      const reservation = {
        subnet: subnet?.uuid as string,
        ip: "10.0.30.21",
        mac: "aa:bb:cc:dd:ee:01",
        hostname: "garage",
        description: "shelly-fleet home/garage",
      };
      const uuid = await api.putKeaReservation(reservation);
      expect(await api.keaReservations()).toEqual([{ uuid, ...reservation }]);
      const wrong = new OpnsenseClient(
        { url: line.address, key: line.key, secret: "wrong" },
        { readRetries: 0 },
      );
      await expect(wrong.keaSubnets()).rejects.toThrow(/authentication failed/);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exit).toBe(0);
  });

  test("bad options: one line, exit 2", async () => {
    const rows = await runCli(["sim", "--opnsense", "--opnsense-rows", "ancient"]);
    expect(rows).toEqual({
      code: 2,
      stdout: "",
      stderr: 'shelly-fleet: --opnsense-rows expects "modern" or "legacy", got "ancient"\n',
    });
    const subnet = await runCli(["sim", "--opnsense", "--opnsense-subnet", "10.0.30.0"]);
    expect(subnet.code).toBe(2);
    expect(subnet.stderr).toBe(
      'shelly-fleet: --opnsense-subnet expects a CIDR such as 10.0.30.0/24, got "10.0.30.0"\n',
    );
  });
});
