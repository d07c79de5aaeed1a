// A failed device replaced by a new one of the same role: a new MAC at the same address, the same
// file. With the real engine, a simulated OPNsense and no `pulumi state` command: preview shows the
// device's replacement (old MAC → new MAC) and its DHCP reservation following in the same plan; up
// configures the new device, moves the reservation, and counts nothing unreachable; then the
// drift check is clean.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type OpnsenseSim, type SimDevice, startDevice, startOpnsense } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";

import { type CliResult, makeScratchProject, runSiteCli } from "../support/cli";

const OLD_MAC = "020000000A01";
const NEW_MAC = "020000000B01";
const colonMac = (mac: string) => (mac.toLowerCase().match(/../g) ?? []).join(":");

describe("a replaced device: new MAC, same file and address", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let fleetRoot: string;
  let opnsense: OpnsenseSim;
  let porch: SimDevice;
  let garage: SimDevice;

  function cli(...args: string[]): Promise<CliResult> {
    return runSiteCli(args, { project, stack: "home", fleetRoot, opnsense });
  }

  async function writeDevice(name: string, mac: string, address: string, ip: string): Promise<void> {
    await fs.writeFile(
      path.join(fleetRoot, "devices", "home", `${name}.toml`),
      `mac = "${mac}"\naddress = "${address}"\n\n[network]\nip = "${ip}"\naliases = ["shelly_all"]\n\n[device]\nname = "${name}"\n\n[[switch]]\nid = 0\nname = "${name} light"\n`,
    );
  }

  const reservations = () =>
    [...opnsense.keaReservations.values()].map((r) => [r.hw_address.toLowerCase(), r.ip_address]).sort();

  beforeAll(async () => {
    porch = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { mac: OLD_MAC, rebootMs: 300 });
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 300 });
    opnsense = await startOpnsense({
      keaSubnets: [{ subnet: "10.0.40.0/24", pools: "10.0.40.100 - 10.0.40.199" }],
    });
    project = await makeScratchProject("e2e-replacement");
    fleetRoot = path.join(project.dir, "fleet");
    await fs.mkdir(path.join(fleetRoot, "devices", "home"), { recursive: true });
    await fs.writeFile(
      path.join(fleetRoot, "devices", "home", "site.toml"),
      'subnet = "10.0.40.0/24"\ndhcp_pool = { start = "10.0.40.100", end = "10.0.40.199" }\ndhcp_backend = "kea"\n',
    );
    await writeDevice("porch", OLD_MAC, porch.address, "10.0.40.22");
    await writeDevice("garage", garage.identity.mac, garage.address, "10.0.40.21");
    const up = await cli("up", "--yes", "--create");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(reservations()).toEqual([
      [colonMac(OLD_MAC), "10.0.40.22"],
      [colonMac(garage.identity.mac), "10.0.40.21"],
    ]);
  });

  afterAll(async () => {
    await Promise.all([porch?.close(), garage?.close(), opnsense?.close()]);
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("preview shows the replacement and the reservation following it, in one plan", async () => {
    // The porch device died; a new one of the same model now answers at its address.
    const address = porch.address;
    const port = Number(new URL(address).port);
    await porch.close();
    porch = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { mac: NEW_MAC, port, rebootMs: 300 });
    expect(porch.address).toBe(address);
    await writeDevice("porch", NEW_MAC, address, "10.0.40.22");

    const preview = await cli("preview");
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    expect(preview.stdout).not.toMatch(/\n\s+at /);
    expect(preview.stdout).toMatch(/\+-\s+pulumi-nodejs:dynamic\/shelly:Device porch replace \[diff: ~mac\]/);
    expect(preview.stdout).toMatch(
      /\+-\s+pulumi-nodejs:dynamic\/opnsense:DhcpReservation porch-dhcp replace/,
    );
    // The field summary: each replacement once, the device then its reservation, old MAC first.
    expect(preview.stdout).toMatch(
      /Changes by field \(live → files\):\n {2}\+- replace device porch\n {6}mac: "020000000A01" → "020000000B01"\n {2}\+- replace reservation porch-dhcp\n {6}mac: "02:00:00:00:0a:01" → "02:00:00:00:0b:01"\n/,
    );
    // The garage is untouched, and nothing was written anywhere.
    expect(preview.stdout).not.toMatch(/Device garage (update|replace)/);
    expect(porch.log.count({ kind: "write" })).toBe(0);
  });

  test("up configures the new device and moves the reservation; nothing counts as unreachable", async () => {
    const up = await cli("up", "--yes");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/Devices: 1 applied, 1 unchanged, 0 unreachable, 0 failed/);
    expect(up.stdout).not.toMatch(/\n\s+at /);
    const config = JSON.parse(
      (await (await fetch(`${porch.address}/rpc/Shelly.GetConfig`)).text()) as string,
    ) as { sys: { device: { name: string } }; "switch:0": { name: string } };
    expect(config.sys.device.name).toBe("porch");
    expect(config["switch:0"].name).toBe("porch light");
    expect(reservations()).toEqual([
      [colonMac(NEW_MAC), "10.0.40.22"],
      [colonMac(garage.identity.mac), "10.0.40.21"],
    ]);

    const clean = await cli("preview", "--expect-no-changes");
    expect(clean.code, clean.stdout).toBe(0);
  });
});
