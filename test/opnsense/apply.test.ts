// One apply's writes: the backup before the first write, one reconfigure per service for writes
// that arrive together, and the rollback of the batch when the service fails.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  ApplyCoordinator,
  assertUntracked,
  type Decision,
  OpnsenseApplyError,
} from "../../providers/opnsense/apply";
import { OpnsenseClient } from "../../providers/opnsense/client";
import { type OpnsenseSim, startOpnsense } from "../../sim/opnsense/server";
import { REPO_ROOT } from "../support/cli";

describe("ApplyCoordinator against the simulator", () => {
  let sim: OpnsenseSim;
  let api: OpnsenseClient;
  let subnet: string;
  let backupDir: string;
  let coordinator: ApplyCoordinator;

  beforeAll(async () => {
    sim = await startOpnsense();
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.keaSubnets.clear();
    sim.keaReservations.clear();
    sim.faults = {};
    sim.log.length = 0;
    sim.reconfigureCount.kea = 0;
    subnet = sim.addKeaSubnet({ subnet: "10.0.30.0/24" });
    api = new OpnsenseClient({ url: sim.address, key: sim.key, secret: sim.secret });
    backupDir = fs.mkdtempSync(path.join(os.tmpdir(), "opnsense-backups-"));
    coordinator = new ApplyCoordinator(() => api, {
      backupDir,
      quietMs: 100,
      statusTimeoutMs: 300,
      statusPollMs: 50,
    });
  });

  /** Adds one reservation through the coordinator, with its undo. */
  const add = (n: number) =>
    coordinator.change(
      "kea",
      async (): Promise<Decision<string>> => ({
        write: async () => {
          const uuid = await api.putKeaReservation({
            subnet,
            ip: `10.0.30.${n}`,
            mac: `aa:bb:cc:dd:ee:0${n}`,
            hostname: "",
            description: "",
          });
          return {
            value: uuid,
            change: { description: `added device ${n}`, undo: () => api.deleteKeaReservation(uuid) },
          };
        },
      }),
    );

  test("writes arriving together: one backup, one reconfigure, then the status check", async () => {
    const results = await Promise.all([add(1), add(2), add(3)]);
    expect(sim.keaReservations.size).toBe(3);
    expect(sim.reconfigureCount.kea).toBe(1);
    expect(sim.count("kea/service/status")).toBeGreaterThanOrEqual(1);
    expect(sim.count("core/backup/download")).toBe(1);
    const backup = results[0]?.backup as string;
    expect(results.every((r) => r.backup === backup)).toBe(true);
    expect(fs.readFileSync(backup, "utf8")).toContain("<opnsense>");
    expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
    expect(sim.running.kea).toBe(sim.snapshot("kea"));
  });

  test("nothing to write: no backup, no reconfigure", async () => {
    const result = await coordinator.change("kea", async () => ({ value: "same" }));
    expect(result).toEqual({ value: "same" });
    expect(sim.count("core/backup/download") + sim.reconfigureCount.kea).toBe(0);
  });

  test("a failing reconfigure rolls the whole batch back and says so", async () => {
    const kept = await add(1);
    sim.faults = { reconfigure: { kea: { mode: "error", times: 1 } } };
    const outcomes = await Promise.allSettled([add(2), add(3)]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    const error = (outcomes[0] as PromiseRejectedResult).reason as OpnsenseApplyError;
    expect(error).toBeInstanceOf(OpnsenseApplyError);
    expect(error.rolledBack).toBe(true);
    expect(error.message).toMatch(/kea did not apply this change: .*Template generation failed/);
    expect(error.message).toMatch(
      /rolled back 2 of 2 change\(s\) of this apply:\n {4}- added device 3\n {4}- added device 2/,
    );
    expect(error.message).toMatch(/kea is running again with the previous configuration/);
    expect(error.message).toContain(`the configuration before this apply is saved in ${kept.backup}`);
    expect([...sim.keaReservations.values()].map((r) => r.ip_address)).toEqual(["10.0.30.1"]);
    expect(sim.serviceStatus.kea).toBe("running");
  });

  test("a service that does not come back is a failure too, even though reconfigure said ok", async () => {
    sim.faults = { reconfigure: { kea: { mode: "stays-down", times: 1 } } };
    const error = (await add(4).catch((e: unknown) => e)) as OpnsenseApplyError;
    expect(error.message).toMatch(/the service reports "stopped" 0.3 s after the reconfigure/);
    expect(sim.keaReservations.size).toBe(0);
  });

  test("a backup directory git would track is refused", () => {
    expect(() => assertUntracked(path.join(REPO_ROOT, "providers", "backups"))).toThrow(
      /inside the git work tree .* and not ignored/,
    );
    expect(() => assertUntracked(path.join(REPO_ROOT, ".pulumi-state", "opnsense-backups"))).not.toThrow();
  });
});
