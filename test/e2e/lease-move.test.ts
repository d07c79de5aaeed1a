// A device moves onto its DHCP reservation, end to end: the real `pulumi` engine, a simulated
// OPNsense whose Kea hands simulated devices their leases at boot, all on loopback. The porch
// answers at a dynamic address of the site; up reserves its IP, reboots it, finds it there with the
// same MAC and configures it there. Its reservation then changes: preview shows the move, up makes
// it. The garage never comes back from its reboot: reported in one line, no stack trace.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type OpnsenseSim, type SimDevice, startDevice, startOpnsense } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { type CliResult, makeScratchProject, runSiteCli } from "../support/cli";

const hostPort = (device: SimDevice) => new URL(device.address).host;
const portOf = (device: SimDevice) => new URL(device.address).port;

describe("a device moves onto its DHCP reservation", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let fleetRoot: string;
  let opnsense: OpnsenseSim;
  let porch: SimDevice;
  let garage: SimDevice;
  let porchFrom: string;
  let garageFrom: string;

  function cli(...args: string[]): Promise<CliResult> {
    return runSiteCli(args, {
      project,
      stack: "home",
      fleetRoot,
      opnsense,
      config: ["leaseMoveTimeoutMs=4000"],
    });
  }

  async function writeDevice(name: string, device: SimDevice, address: string, ip: string): Promise<void> {
    await fs.writeFile(
      path.join(fleetRoot, "devices", "home", `${name}.toml`),
      `mac = "${device.identity.mac}"\naddress = "${address}"\n\n[network]\nip = "${ip}"\n\n[device]\nname = "${name}"\n`,
    );
  }

  const deviceName = async (device: SimDevice) =>
    device.identity.gen === 1
      ? ((await (await fetch(`${device.address}/settings`)).json()) as { name: string }).name
      : ((await (await fetch(`${device.address}/rpc/Sys.GetConfig`)).json()) as { device: { name: string } })
          .device.name;

  beforeAll(async () => {
    opnsense = await startOpnsense({
      keaSubnets: [{ subnet: "127.0.32.0/24", pools: "127.0.32.100 - 127.0.32.199" }],
    });
    const lease = (mac: string) => opnsense.leaseFor(mac);
    // Both answer at addresses of the dynamic pool.
    porch = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), {
      host: "127.0.32.150",
      rebootMs: 300,
      lease,
    });
    // The garage's reboot outlasts the run: it never comes back in time.
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), {
      host: "127.0.32.151",
      rebootMs: 10 * 60_000,
      lease,
    });
    porchFrom = hostPort(porch);
    garageFrom = hostPort(garage);
    project = await makeScratchProject("e2e-lease-move");
    fleetRoot = path.join(project.dir, "fleet");
    await fs.mkdir(path.join(fleetRoot, "devices", "home"), { recursive: true });
    await fs.writeFile(
      path.join(fleetRoot, "devices", "home", "site.toml"),
      'subnet = "127.0.32.0/24"\ndhcp_pool = { start = "127.0.32.100", end = "127.0.32.199" }\ndhcp_backend = "kea"\n',
    );
    await writeDevice("porch", porch, porchFrom, "127.0.32.21");
    await writeDevice("garage", garage, garageFrom, "127.0.32.22");
  });

  afterAll(async () => {
    await Promise.all([porch?.close(), garage?.close(), opnsense?.close()]);
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("preview shows each move after its reservation, and sends nothing to the devices", async () => {
    const preview = await cli("preview", "--create");
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/\+\s+pulumi-nodejs:dynamic\/shelly:LeaseMove porch-lease create/);
    expect(preview.stdout).toMatch(/\+\s+pulumi-nodejs:dynamic\/shelly:LeaseMove garage-lease create/);
    // Each device is read where it answers now, before its move.
    expect(preview.stdout).toMatch(
      /\+ adopt and configure device porch\n\s+device\.name: "Test Name" → "porch"\n/,
    );
    expect(preview.stdout).not.toMatch(/could not read it first/);
    expect(porch.log.count({ kind: "write" }) + garage.log.count({ kind: "write" })).toBe(0);
    expect(hostPort(porch)).toBe(porchFrom);
  });

  test("up moves the porch onto its reservation and configures it there; the garage is reported", async () => {
    const up = await cli("up", "--yes", "--create");
    const output = up.stdout + up.stderr;
    expect(up.code, output).not.toBe(0);
    // The porch: same MAC, now at its reserved IP (same port), configured there.
    const porchTo = `127.0.32.21:${portOf(porch)}`;
    expect(hostPort(porch)).toBe(porchTo);
    expect(((await (await fetch(`http://${porchTo}/shelly`)).json()) as { mac: string }).mac).toBe(
      porch.identity.mac,
    );
    expect(await deviceName(porch)).toBe("porch");
    await expect(fetch(`http://${porchFrom}/shelly`)).rejects.toThrow();
    // The garage: one line that says where it may be, and a device reported, not unknown.
    expect(output).toContain(
      `garage did not come back at 127.0.32.22:${portOf(garage)} within 4 s; it may still be at ${garageFrom}`,
    );
    expect(up.stdout).toMatch(/Devices: 1 applied, 0 unchanged, 0 unreachable, 1 failed/);
    expect(up.stdout).toContain(
      `! garage: failed: garage did not come back at 127.0.32.22:${portOf(garage)}`,
    );
    expect(output).not.toMatch(/\n\s+at .*\.js:\d+/);
  });

  test("a new reserved IP: preview shows the move, up makes it, and the next preview is clean", async () => {
    // The garage leaves the fleet (it is still rebooting); the porch gets another address.
    await garage.close();
    await fs.rm(path.join(fleetRoot, "devices", "home", "garage.toml"));
    await writeDevice("porch", porch, porchFrom, "127.0.32.23");
    const port = portOf(porch);

    const preview = await cli("preview");
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/~\s+pulumi-nodejs:dynamic\/opnsense:DhcpReservation porch-dhcp update/);
    expect(preview.stdout).toMatch(/~\s+pulumi-nodejs:dynamic\/shelly:LeaseMove porch-lease update/);
    expect(preview.stdout).toMatch(
      /~\s+pulumi-nodejs:dynamic\/shelly:Device porch update \[diff: ~address\]/,
    );
    expect(preview.stdout).toContain(
      `~ update device porch\n      address: "127.0.32.21:${port}" → "127.0.32.23:${port}"\n`,
    );
    expect(hostPort(porch)).toBe(`127.0.32.21:${port}`);

    const up = await cli("up", "--yes");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(hostPort(porch)).toBe(`127.0.32.23:${port}`);
    expect(((await (await fetch(`${porch.address}/shelly`)).json()) as { mac: string }).mac).toBe(
      porch.identity.mac,
    );
    expect([...opnsense.keaReservations.values()].map((r) => r.ip_address)).toEqual(["127.0.32.23"]);

    const clean = await cli("preview", "--expect-no-changes");
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  });
});
