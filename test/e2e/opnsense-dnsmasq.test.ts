// OPNsense with dnsmasq as the DHCP backend, end to end: the real `pulumi` engine adopts a dnsmasq
// host that has more than one address, keeps what it does not manage, shows no changes after, and
// when the service fails puts the host back exactly as it was, every address and setting.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type OpnsenseSim, type SimDevice, startDevice, startOpnsense } from "../../sim";
import type { DnsmasqHostRecord } from "../../sim/opnsense/validate";
import { CAPTURES_DIR } from "../support/captures";
import { type CliResult, makeScratchProject, runCli, secretFiles } from "../support/cli";

const HOST_UUID = "9a7c3e1d-5b2f-4c8a-9d6e-1f2a3b4c5d6e";

describe("OPNsense dnsmasq: the real engine against a simulated device and firewall", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let garage: SimDevice;
  let opnsense: OpnsenseSim;
  let fleetRoot: string;

  async function cli(...args: string[]): Promise<CliResult> {
    return runCli([...args, "--stack", "e2e-dnsmasq", "--dir", project.dir], project.env);
  }

  const writeDevice = (ip: string) =>
    fs.writeFile(
      path.join(fleetRoot, "devices/e2e-dnsmasq/garage.toml"),
      `mac = "${garage.identity.mac}"\naddress = "${garage.address}"\n\n[network]\nip = "${ip}"\nhostname = "garage"\n`,
    );
  const host = () => opnsense.dnsmasqHosts.get(HOST_UUID);

  beforeAll(async () => {
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 300 });
    opnsense = await startOpnsense();
    // Made by hand before shelly-fleet: the garage's MAC (upper case) and a second MAC, an old
    // IPv4 address, two IPv6 addresses, a domain and a comment.
    const mac = garage.identity.mac.match(/../g)?.join(":") as string;
    const byHand: DnsmasqHostRecord = {
      host: "old-garage",
      domain: "lan",
      ip: "10.0.30.20,fd00::21,fd00::121",
      hwaddr: `${mac},02:00:00:00:00:99`,
      client_id: "",
      descr: "made by hand",
      comments: "keep me",
    };
    opnsense.dnsmasqHosts.set(HOST_UUID, byHand);
    project = await makeScratchProject("e2e-dnsmasq");
    fleetRoot = path.join(project.dir, "fleet");
    await fs.mkdir(path.join(fleetRoot, "devices/e2e-dnsmasq"), { recursive: true });
    await fs.writeFile(
      path.join(fleetRoot, "devices/e2e-dnsmasq/site.toml"),
      'subnet = "10.0.30.0/24"\ndhcp_backend = "dnsmasq"\n',
    );
    await writeDevice("10.0.30.21");
  });

  afterAll(async () => {
    await Promise.all([garage?.close(), opnsense?.close()]);
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("up adopts the multi-address host: our IPv4, name and description; the rest kept", async () => {
    const up = await cli(
      "up",
      "--yes",
      "--create",
      ...["-c", `root=${fleetRoot}`, "-c", "site=e2e-dnsmasq", "-c", `opnsense.url=${opnsense.address}`],
      ...["-c", `opnsense.key=${opnsense.key}`, ...secretFiles({ "opnsense.secret": opnsense.secret })],
    );
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect([...opnsense.dnsmasqHosts.keys()]).toEqual([HOST_UUID]);
    const mac = garage.identity.mac.toLowerCase().match(/../g)?.join(":");
    expect(host()).toEqual({
      host: "garage",
      domain: "lan",
      ip: "10.0.30.21,fd00::21,fd00::121",
      hwaddr: `${mac},02:00:00:00:00:99`,
      client_id: "",
      descr: "shelly-fleet e2e-dnsmasq/garage",
      comments: "keep me",
    });
    expect(opnsense.reconfigureCount.dnsmasq).toBe(1);
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
  });

  test("a failing reconfigure puts the whole host back: every address, MAC and setting", async () => {
    const before = structuredClone(host());
    opnsense.faults = { reconfigure: { dnsmasq: { mode: "error", times: 1 } } };
    await writeDevice("10.0.30.23");
    const up = await cli("up", "--yes");
    const output = up.stdout + up.stderr;
    expect(up.code).not.toBe(0);
    expect(output).toMatch(/dnsmasq did not apply this change/);
    expect(output).toMatch(/rolled back 1 of 1 change\(s\) of this apply/);
    expect(output).toMatch(/dnsmasq is running again with the previous configuration/);
    expect(host()).toEqual(before);

    const retry = await cli("up", "--yes");
    expect(retry.code).toBe(0);
    expect(host()).toEqual({ ...before, ip: "10.0.30.23,fd00::21,fd00::121" });
  });

  test("destroy removes the host", async () => {
    const destroy = await cli("destroy");
    expect(destroy.code).toBe(0);
    expect(opnsense.dnsmasqHosts.size).toBe(0);
  });
});
