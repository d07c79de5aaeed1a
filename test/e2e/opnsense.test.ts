// OPNsense end to end: the real `pulumi` engine, the DhcpReservation and FirewallAlias providers,
// simulated Shelly devices and a simulated OPNsense on loopback. up creates (and adopts) the
// reservations and aliases; a clean preview; drift on the firewall is shown and repaired; a
// validation failure names the field; a failing reconfigure is rolled back; the API secret never
// shows in state, logs or preview output.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type OpnsenseSim, type SimDevice, startDevice, startOpnsense } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { type CliResult, makeScratchProject, runCli, secretFiles } from "../support/cli";

const macOf = (device: SimDevice) => device.identity.mac.toLowerCase().match(/../g)?.join(":") as string;

describe("OPNsense: the real engine against simulated devices and a simulated firewall", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let garage: SimDevice;
  let porch: SimDevice;
  let opnsense: OpnsenseSim;
  let fleetRoot: string;
  const outputs: string[] = [];

  async function cli(...args: string[]): Promise<CliResult> {
    const result = await runCli([...args, "--stack", "e2e-opnsense", "--dir", project.dir], project.env);
    outputs.push(result.stdout, result.stderr);
    return result;
  }

  async function writeFile(relative: string, text: string): Promise<void> {
    const file = path.join(fleetRoot, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
  }

  const deviceFile = (device: SimDevice, name: string, ip: string, aliases: string[]) =>
    `mac = "${device.identity.mac}"\naddress = "${device.address}"\n\n[network]\nip = "${ip}"\nhostname = "${name}"\naliases = ${JSON.stringify(aliases)}\n\n[device]\nname = "${name}"\n`;

  const reservationsOf = (mac: string) =>
    [...opnsense.keaReservations.entries()].filter(([, r]) => r.hw_address.toLowerCase() === mac);
  const aliasNamed = (name: string) => [...opnsense.aliases.entries()].filter(([, a]) => a.name === name);
  const writesToFirewall = () =>
    opnsense.log.filter((e) => /\/(add|set|del)(reservation|item|host)$/.test(e.command)).length;

  beforeAll(async () => {
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 300 });
    porch = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { rebootMs: 300 });
    opnsense = await startOpnsense({
      keaSubnets: [{ subnet: "10.0.30.0/24", pools: "10.0.30.100 - 10.0.30.199" }],
    });
    // Objects that exist before shelly-fleet: the porch's reservation (another host name, an
    // upper-case MAC) and an alias of the same name. Both are adopted, never duplicated.
    const subnet = [...opnsense.keaSubnets.keys()][0] as string;
    opnsense.keaReservations.set("5beb2a54-f98f-4a44-83ae-c7812a755ca5", {
      subnet,
      ip_address: "10.0.30.22",
      hw_address: macOf(porch).toUpperCase(),
      hostname: "old-porch",
      description: "made by hand",
    });
    opnsense.aliases.set("23636461-dfd1-46cf-9d60-ee46f6aeb04a", {
      enabled: "1",
      name: "shelly_all",
      type: "host",
      proto: "",
      counters: "0",
      updatefreq: "",
      content: "10.0.30.250",
      categories: "",
      description: "made by hand",
    });
    project = await makeScratchProject("e2e-opnsense");
    fleetRoot = path.join(project.dir, "fleet");
    await writeFile(
      "devices/e2e-opnsense/site.toml",
      'subnet = "10.0.30.0/24"\ndhcp_pool = { start = "10.0.30.100", end = "10.0.30.199" }\ndhcp_backend = "kea"\n',
    );
    await writeFile(
      "devices/e2e-opnsense/garage.toml",
      deviceFile(garage, "garage", "10.0.30.21", ["shelly_all", "shelly_lights"]),
    );
    await writeFile(
      "devices/e2e-opnsense/porch.toml",
      deviceFile(porch, "porch", "10.0.30.22", ["shelly_all"]),
    );
  });

  afterAll(async () => {
    await Promise.all([garage?.close(), porch?.close(), opnsense?.close()]);
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("up creates the reservations and aliases, adopting the existing ones; one reconfigure per service", async () => {
    const up = await cli(
      "up",
      "--yes",
      "--create",
      "-c",
      `root=${fleetRoot}`,
      "-c",
      "site=e2e-opnsense",
      "-c",
      `opnsense.url=${opnsense.address}`,
      "-c",
      `opnsense.key=${opnsense.key}`,
      ...secretFiles({ "opnsense.secret": opnsense.secret }),
    );
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/\+ 7 created/); // the stack, two devices, two reservations, two aliases
    expect(reservationsOf(macOf(garage)).map(([, r]) => [r.ip_address, r.hostname])).toEqual([
      ["10.0.30.21", "garage"],
    ]);
    // Adopted: the same uuid, rewritten to our values, the MAC now lower case.
    expect(reservationsOf(macOf(porch))).toEqual([
      [
        "5beb2a54-f98f-4a44-83ae-c7812a755ca5",
        expect.objectContaining({ hw_address: macOf(porch), hostname: "porch" }),
      ],
    ]);
    expect(aliasNamed("shelly_all")).toEqual([
      [
        "23636461-dfd1-46cf-9d60-ee46f6aeb04a",
        expect.objectContaining({ content: "10.0.30.21\n10.0.30.22" }),
      ],
    ]);
    expect(aliasNamed("shelly_lights").map(([, a]) => a.content)).toEqual(["10.0.30.21"]);
    expect(opnsense.reconfigureCount).toEqual({ kea: 1, dnsmasq: 0, alias: 1 });
    expect(opnsense.running.kea).toBe(opnsense.snapshot("kea"));
    // The config backup was taken before the first write, and the outputs say where it went.
    const backups = await fs.readdir(path.join(project.dir, ".pulumi-state", "opnsense-backups"));
    expect(backups).toHaveLength(1);
    expect(up.stdout).toContain(path.join(".pulumi-state", "opnsense-backups", backups[0] as string));
    expect(opnsense.count("core/backup/download")).toBe(1);
  });

  test("a preview right after shows no changes and writes nothing", async () => {
    opnsense.log.length = 0;
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
    expect(writesToFirewall()).toBe(0);
    expect(opnsense.count("kea/dhcpv4/search_reservation")).toBeGreaterThan(0);
  });

  test("out-of-band changes on the firewall show as drift, field by field, and up repairs them", async () => {
    const [garageUuid] = reservationsOf(macOf(garage))[0] as [string, unknown];
    opnsense.keaReservations.delete(garageUuid);
    const porchReservation = reservationsOf(macOf(porch))[0]?.[1];
    if (porchReservation) porchReservation.ip_address = "10.0.30.55";
    const lights = aliasNamed("shelly_lights")[0]?.[1];
    if (lights) lights.content = "10.0.30.21\n10.0.30.99";

    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(7);
    expect(preview.stdout).toMatch(/\+ 1 to create/);
    expect(preview.stdout).toMatch(/~ 2 to update/);
    expect(preview.stdout).toMatch(/opnsense:DhcpReservation garage-dhcp create/);
    expect(preview.stdout).toMatch(/opnsense:DhcpReservation porch-dhcp update \[diff: ~ip\]/);
    expect(preview.stdout).toMatch(/opnsense:FirewallAlias alias-shelly_lights update \[diff: ~content\]/);
    expect(preview.stdout).not.toMatch(/alias-shelly_all update/);

    opnsense.log.length = 0;
    const kea = opnsense.reconfigureCount.kea;
    const up = await cli("up", "--yes");
    expect(up.code).toBe(0);
    expect(reservationsOf(macOf(garage)).map(([, r]) => r.ip_address)).toEqual(["10.0.30.21"]);
    expect(reservationsOf(macOf(porch)).map(([, r]) => r.ip_address)).toEqual(["10.0.30.22"]);
    expect(aliasNamed("shelly_lights").map(([, a]) => a.content)).toEqual(["10.0.30.21"]);
    expect(opnsense.reconfigureCount.kea).toBe(kea + 1);
    const clean = await cli("preview", "--expect-no-changes");
    expect(clean.code).toBe(0);
  });

  test("a validation OPNsense refuses (HTTP 200 failed) is one clear error naming the device and the field", async () => {
    const subnet = [...opnsense.keaSubnets.keys()][0] as string;
    opnsense.keaReservations.set("0f8fad5b-d9cb-469f-a165-70867728950e", {
      subnet,
      ip_address: "10.0.30.23",
      hw_address: "02:00:00:00:00:99",
      hostname: "printer",
      description: "not ours",
    });
    await writeFile(
      "devices/e2e-opnsense/cellar.toml",
      'mac = "020000000042"\naddress = "127.0.0.1:9"\n\n[network]\nip = "10.0.30.23"\n',
    );
    const up = await cli("up", "--yes");
    const output = up.stdout + up.stderr;
    expect(up.code).not.toBe(0);
    expect(output).toMatch(
      /kea reservation of cellar \(02:00:00:00:00:42\): OPNsense .* POST kea\/dhcpv4\/add_reservation: OPNsense rejected the reservation: ip_address: Duplicate entry exists\./,
    );
    expect(output).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(reservationsOf("02:00:00:00:00:42")).toEqual([]);
    await fs.rm(path.join(fleetRoot, "devices/e2e-opnsense/cellar.toml"));
    opnsense.keaReservations.delete("0f8fad5b-d9cb-469f-a165-70867728950e");
  });

  test("a failing reconfigure rolls our changes back and says what happened", async () => {
    opnsense.faults = { reconfigure: { kea: { mode: "error", times: 1 } } };
    await writeFile(
      "devices/e2e-opnsense/porch.toml",
      deviceFile(porch, "porch", "10.0.30.32", ["shelly_all"]),
    );
    const up = await cli("up", "--yes");
    const output = up.stdout + up.stderr;
    expect(up.code).not.toBe(0);
    expect(output).toMatch(
      /kea reservation of porch .*: kea did not apply this change: .*Template generation failed/,
    );
    expect(output).toMatch(
      /rolled back 1 of 1 change\(s\) of this apply:\s+- restored the kea reservation of porch .* to 10\.0\.30\.22/,
    );
    expect(output).toMatch(/kea is running again with the previous configuration/);
    expect(output).toMatch(/the configuration before this apply is saved in .*opnsense-backups/);
    expect(reservationsOf(macOf(porch)).map(([, r]) => r.ip_address)).toEqual(["10.0.30.22"]);
    expect(opnsense.serviceStatus.kea).toBe("running");
    // With the fault gone the same change goes through.
    const retry = await cli("up", "--yes");
    expect(retry.code).toBe(0);
    expect(reservationsOf(macOf(porch)).map(([, r]) => r.ip_address)).toEqual(["10.0.30.32"]);
  });

  test("the API secret is nowhere: not in the state, not in any output", async () => {
    const state = execFileSync("pulumi", ["stack", "export", "--stack", "e2e-opnsense"], {
      cwd: project.dir,
      env: { ...process.env, ...project.env },
      encoding: "utf8",
    });
    expect(state).toContain("opnsense:DhcpReservation");
    expect(state).not.toContain(opnsense.secret);
    expect(outputs.join("\n")).not.toContain(opnsense.secret);
    const stackConfig = await fs.readFile(
      path.join(project.dir, "stacks", "Pulumi.e2e-opnsense.yaml"),
      "utf8",
    );
    expect(stackConfig).not.toContain(opnsense.secret);
  });

  test("destroy removes the reservations and aliases", async () => {
    const destroy = await cli("destroy");
    expect(destroy.code).toBe(0);
    expect(opnsense.keaReservations.size).toBe(0);
    expect(opnsense.aliases.size).toBe(0);
  });
});
