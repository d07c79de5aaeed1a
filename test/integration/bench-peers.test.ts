// The bench's peers against real simulated devices: each finds exactly the devices changed by hand,
// and a device that is not the one its file names is reported, not counted as in sync.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measure } from "../../bench/measure";
import { ansibleInventory, ansibleRun } from "../../bench/peers/ansible";
import { findDrift } from "../../bench/peers/script";
import { drift, startBenchFleet, writeFleet } from "../../bench/sim-fleet";
import { loadFleet } from "../../fleet";
import type { SimDevice } from "../../sim";

const ROOT = path.resolve(__dirname, "..", "..");
let devices: SimDevice[];
let work: string;

beforeAll(async () => {
  devices = await startBenchFleet(ROOT, 6, 0, () => {});
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-peers-"));
  writeFleet(path.join(work, "fleet"), devices);
  // As `up` leaves them: every device as its file says (writeFleet's names).
  devices.forEach((device, i) => {
    device.protocol.drift(
      device.identity.gen > 1
        ? { sys: { device: { name: `Bench ${i}` } }, "switch:0": { name: `Output ${i}` } }
        : { name: `Bench ${i}`, relays: [{ name: `Output ${i}` }] },
    );
  });
  // dev-0 (Gen1) and dev-1 (Gen2+) renamed by hand.
  expect(drift(devices, 2)).toEqual(["dev-0", "dev-1"]);
});

afterAll(async () => {
  await Promise.all(devices.map((device) => device.close()));
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the script peer", () => {
  it("names the drifted devices of both generations and no other", async () => {
    const result = await findDrift({ root: path.join(work, "fleet"), site: "bench", concurrency: 3 });
    expect(result).toEqual({ drifted: ["dev-0", "dev-1"], failed: [] });
  });

  it("reports a device that answers with another MAC", async () => {
    const root = path.join(work, "swapped");
    writeFleet(root, devices);
    const file = path.join(root, "devices", "bench", "dev-4.toml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^mac = ".*"$/m, 'mac = "02BE0000FFFF"'));
    const result = await findDrift({ root, site: "bench", concurrency: 2 });
    expect(result.drifted).toEqual(["dev-0", "dev-1"]);
    expect(result.failed).toEqual([
      `dev-4: answers with MAC ${devices[4]?.identity.mac}, the file says 02BE0000FFFF`,
    ]);
  });
});

/** scripts/ensure-ansible.sh: ansible-playbook's path, or why it cannot be had here. */
function ensureAnsible(): { ok: true } | { ok: false; why: string } {
  try {
    execFileSync("bash", [path.join(ROOT, "scripts", "ensure-ansible.sh")], {
      stdio: "pipe",
      timeout: 600_000,
    });
    return { ok: true };
  } catch (err) {
    return { ok: false, why: String((err as { stderr?: Buffer }).stderr ?? err).trim() };
  }
}

const ansible = ensureAnsible();

describe("the Ansible peer", () => {
  // Skipped only where Debian's ansible-core cannot be installed (not root, no apt): the reason is printed.
  it.skipIf(!ansible.ok)(
    `names the same drifted devices${ansible.ok ? "" : ` (skipped: ${ansible.why})`}`,
    async () => {
      const dir = path.join(work, "ansible");
      fs.mkdirSync(dir, { recursive: true });
      const inventory = path.join(dir, "inventory.json");
      const fleet = loadFleet({ root: path.join(work, "fleet"), site: "bench" });
      fs.writeFileSync(inventory, JSON.stringify(ansibleInventory(fleet.devices)));
      const report = path.join(dir, "drifted.txt");
      const run = await measure([
        ansibleRun({
          playbook: path.join(ROOT, "bench", "peers", "ansible", "drift.yml"),
          inventory,
          report,
          forks: 3,
          work: dir,
          cwd: ROOT,
        }),
      ]);
      expect(fs.readFileSync(report, "utf8")).toBe("dev-0\ndev-1\n");
      // Ansible's forks are short-lived: their CPU counts all the same.
      expect(run.cpu.total).toBeGreaterThan(run.cpu.cli);
      // Check mode: nothing written to any device.
      expect(devices.map((device) => device.log.count({ kind: "write" }))).toEqual(devices.map(() => 0));
    },
  );
});
