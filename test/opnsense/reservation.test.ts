// The DhcpReservation lifecycle against the simulator: what a rollback puts back, and how many
// requests a fleet of reservations costs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { configure } from "../../providers/opnsense/connection";
import {
  create,
  type DhcpReservationInputs,
  delete as remove,
  update,
} from "../../providers/opnsense/reservation/lifecycle";
import { type OpnsenseSim, startOpnsense } from "../../sim/opnsense/server";
import type { DnsmasqHostRecord } from "../../sim/opnsense/validate";

describe("DhcpReservation lifecycle against the simulator", () => {
  let sim: OpnsenseSim;
  const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), "opnsense-backups-"));
  beforeAll(async () => {
    sim = await startOpnsense();
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.dnsmasqHosts.clear();
    sim.keaReservations.clear();
    sim.keaSubnets.clear();
    sim.faults = {};
    newRun();
  });

  /** What a new provider process does first: configure from stack config (a fresh client and cache). */
  function newRun(): void {
    const config: Record<string, string> = {
      "shelly-fleet:opnsense.url": sim.address,
      "shelly-fleet:opnsense.key": sim.key,
      "shelly-fleet:opnsense.secret": sim.secret,
      "shelly-fleet:opnsense.backupDir": backupDir,
    };
    configure((key) => config[key]);
  }

  const spec = (overrides: Partial<DhcpReservationInputs> = {}): DhcpReservationInputs => ({
    device: "garage",
    backend: "dnsmasq",
    subnet: "10.0.30.0/24",
    mac: "aa:bb:cc:dd:ee:01",
    ip: "10.0.30.21",
    hostname: "garage",
    description: "shelly-fleet home/garage",
    providerVersion: 1,
    ...overrides,
  });

  const multiAddressHost: DnsmasqHostRecord = {
    host: "garage",
    domain: "lan",
    ip: "10.0.30.21,fd00::21,fd00::121",
    hwaddr: "AA:BB:CC:DD:EE:01,aa:bb:cc:dd:ee:99",
    client_id: "",
    descr: "set by hand",
    comments: "keep me",
  };

  test("an update keeps the host's other addresses and MACs; a failed reconfigure puts every field back", async () => {
    const uuid = "5b0c9f7e-1a2b-4c3d-8e4f-a1b2c3d4e5f6";
    sim.dnsmasqHosts.set(uuid, { ...multiAddressHost });
    // The first reconfigure fails: the batch is rolled back.
    sim.faults = { reconfigure: { dnsmasq: { mode: "error", times: 1 } } };
    await expect(create(spec({ ip: "10.0.30.22" }))).rejects.toThrow(/rolled back 1 of 1 change/);
    expect(sim.dnsmasqHosts.get(uuid)).toEqual(multiAddressHost);

    const updated = await create(spec({ ip: "10.0.30.22" }));
    expect(updated.uuid).toBe(uuid);
    expect(sim.dnsmasqHosts.get(uuid)).toMatchObject({
      ip: "10.0.30.22,fd00::21,fd00::121",
      hwaddr: "aa:bb:cc:dd:ee:01,aa:bb:cc:dd:ee:99",
      domain: "lan",
      comments: "keep me",
    });
  });

  test("a delete rolled back recreates the host with every field under its uuid", async () => {
    const uuid = "6c1d0a8f-2b3c-4d4e-9f50-b2c3d4e5f607";
    sim.dnsmasqHosts.set(uuid, { ...multiAddressHost });
    sim.faults = { reconfigure: { dnsmasq: { mode: "error", times: 1 } } };
    await expect(remove(uuid, { ...spec(), uuid })).rejects.toThrow(/recreated the dnsmasq reservation/);
    expect(sim.dnsmasqHosts.get(uuid)).toEqual(multiAddressHost);
  });

  test("a Kea reservation rolled back keeps the fields we do not manage", async () => {
    const subnet = sim.addKeaSubnet({ subnet: "10.0.30.0/24" });
    const uuid = "7d2e1b90-3c4d-4e5f-a061-c3d4e5f60718";
    const before = {
      subnet,
      ip_address: "10.0.30.21",
      hw_address: "AA:BB:CC:DD:EE:01",
      hostname: "old",
      description: "by hand",
    };
    sim.keaReservations.set(uuid, { ...before });
    sim.faults = { reconfigure: { kea: { mode: "error", times: 1 } } };
    const inputs = spec({ backend: "kea", ip: "10.0.30.23" });
    await expect(update({ ...inputs, uuid }, inputs, uuid)).rejects.toThrow(/rolled back 1 of 1/);
    expect(sim.keaReservations.get(uuid)).toEqual(before);
  });

  /** Creates `n` Kea reservations at once, as the engine does; the simulator's requests by command. */
  async function createFleet(
    n: number,
    ip = (i: number) => `10.0.${30 + Math.floor(i / 250)}.${(i % 250) + 1}`,
  ) {
    sim.log.length = 0;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        create(
          spec({
            backend: "kea",
            subnet: "10.0.0.0/16",
            device: `d${i}`,
            mac: `aa:bb:cc:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
            ip: ip(i),
            hostname: "",
            description: `shelly-fleet home/d${i}`,
          }),
        ),
      ),
    );
    const counts: Record<string, number> = {};
    for (const entry of sim.log) counts[entry.command] = (counts[entry.command] ?? 0) + 1;
    return { total: sim.log.length, counts };
  }

  test("200 reservations cost one search per list, one write each: O(N) requests", async () => {
    sim.addKeaSubnet({ subnet: "10.0.0.0/16" });
    const first = await createFleet(200);
    expect(sim.keaReservations.size).toBe(200);
    expect(first.counts["kea/dhcpv4/searchreservation"]).toBe(1);
    expect(first.counts["kea/dhcpv4/searchsubnet"]).toBe(1);
    expect(first.counts["kea/dhcpv4/addreservation"]).toBe(200);
    expect(first.total).toBeLessThanOrEqual(200 + 10);

    // The next run (a new provider process) finds everything in place: reads only.
    newRun();
    const again = await createFleet(200);
    expect(again.counts).toEqual({ "kea/dhcpv4/searchreservation": 1, "kea/dhcpv4/searchsubnet": 1 });

    // Moving every device to another address: one set each, after one get of the item it replaces
    // (the rollback's copy of every field); still one search.
    newRun();
    const moved = await createFleet(200, (i) => `10.0.${40 + Math.floor(i / 250)}.${(i % 250) + 1}`);
    expect(moved.counts["kea/dhcpv4/setreservation"]).toBe(200);
    expect(moved.counts["kea/dhcpv4/getreservation"]).toBe(200);
    expect(moved.counts["kea/dhcpv4/searchreservation"]).toBe(1);
    expect(moved.total).toBeLessThanOrEqual(2 * 200 + 10);
  }, 60_000);
});
