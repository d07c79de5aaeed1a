// Every safety rule under both front ends, in one simulated fleet: one device per rule, each
// breaking only its rule; one plain `pulumi preview --policy-pack policies` and one `shelly-fleet
// preview` report each rule with the device, the file and line, and the key. Where a front end
// cannot see a rule by design, the test pins what it does instead:
// - wifi-secret-mass-change needs the state before the run (what the secret was): shelly-fleet
//   reads it from the stack; the engine gives a policy pack only the planned inputs, so plain
//   pulumi never reports it.
// - wifi-password-length needs the secret's value: the pack reads the stack's secrets (the engine
//   gives it the config, decrypted, in ConfigureStack), shelly-fleet also --secret-file's. Plain
//   pulumi runs as in a shell that sourced scripts/env.sh (SHELLY_FLEET_ROOT names the checkout,
//   whose own devices/ are not this fleet): the pack finds the fleet by `shelly-fleet:root`.
// - unique-identity on a MAC, an IP or a host name, and reservation-placement (an IP in the pool
//   or outside the subnet), are refused by the fleet loader, which both front ends run first: no
//   fleet that holds one reaches either rule (test/fleet/bad.test.ts: duplicate-*, outside-subnet,
//   inside-dhcp-pool). Only a duplicate address with a port passes the loader, and both report it.
// Then `pulumi up --policy-pack` stops on the mandatory violations before any device write.
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RULE_IDS, RULES } from "../../policies/rules";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { REPO_ROOT } from "../support/cli";
import { makePlainProject, type PlainProject } from "../support/plain-project";

const SITE = "rules";
const PACK = path.join(REPO_ROOT, "policies");
const SECRETS = {
  "wifi-old": "old-wifi-key-7781",
  "wifi-new": "new-wifi-key-7782",
  // Five characters: WPA2 takes 8 to 63.
  "wifi-short": "k3y#9",
};

interface Case {
  rule: string;
  device: string;
  capture: "gen1-shelly1" | "gen2-plus1pm";
  /** The file after its mac and address lines. */
  body: string;
  key: string;
  /** The start of the key's line in the file. */
  line: string;
  /** Another case's device whose simulator (and address) this one shares. */
  shares?: string;
  mac?: string;
}

const CASES: Case[] = [
  {
    rule: "device-auth",
    device: "auth-off",
    capture: "gen1-shelly1",
    body: "[auth]\nenabled = false\n",
    key: "auth.enabled",
    line: "enabled = false",
  },
  {
    rule: "access-point-closed",
    device: "ap-open",
    capture: "gen2-plus1pm",
    body: "[wifi.ap]\nenabled = true\n",
    key: "wifi.ap.enabled",
    line: "enabled = true",
  },
  {
    rule: "cloud-off",
    device: "cloud-on",
    capture: "gen2-plus1pm",
    body: "[cloud]\nenabled = true\n",
    key: "cloud.enabled",
    line: "enabled = true",
  },
  {
    rule: "ble-rpc-off",
    device: "ble-rpc",
    capture: "gen2-plus1pm",
    body: "[ble]\nrpc = true\n",
    key: "ble.rpc",
    line: "rpc = true",
  },
  {
    rule: "unique-identity",
    device: "twin",
    capture: "gen1-shelly1",
    body: "",
    key: "address",
    line: "address =",
    shares: "auth-off",
    mac: "AABBCCDDEE99",
  },
  {
    rule: "firmware-minimum",
    device: "old-firmware",
    capture: "gen2-plus1pm",
    body: '[firmware]\nminimum = "1.0.0"\n',
    key: "firmware.minimum",
    line: "minimum =",
  },
  {
    rule: "firmware-stable",
    device: "beta",
    capture: "gen2-plus1pm",
    body: '[firmware]\nchannel = "beta"\n',
    key: "firmware.channel",
    line: "channel =",
  },
  {
    rule: "tls-servers",
    device: "plain-ws",
    capture: "gen2-plus1pm",
    body: '[outbound_ws]\nenabled = true\nserver = "ws://127.0.0.1:9/shelly"\n',
    key: "outbound_ws.server",
    line: "server =",
  },
  {
    rule: "wifi-password-length",
    device: "short-key",
    capture: "gen2-plus1pm",
    body: '[wifi.sta]\nenabled = true\nssid = "iot"\npassword = { secret = "wifi-short" }\n',
    key: "wifi.sta.password",
    line: "password =",
  },
  {
    rule: "wifi-secret-mass-change",
    device: "lobby",
    capture: "gen2-plus1pm",
    body: '[wifi.sta]\nenabled = true\nssid = "iot"\npassword = { secret = "wifi-new" }\n',
    key: "wifi.sta.password",
    line: "password =",
  },
];

const lobbyBefore = (text: string) => text.replace('"wifi-new"', '"wifi-old"');
const levelOf = (rule: string) => RULES.find((r) => r.id === rule)?.level;

describe("every safety rule, reported by plain pulumi and by shelly-fleet", () => {
  let project: PlainProject;
  const sims = new Map<string, SimDevice>();
  const files = new Map<string, string>();
  const writes = () => [...sims.values()].reduce((n, sim) => n + sim.log.count({ kind: "write" }), 0);
  const pulumi = (...args: string[]) => project.pulumi(args, { SHELLY_FLEET_ROOT: REPO_ROOT });
  /** shelly-fleet with the named secrets as --secret-file (an up saves them in the stack). */
  const fleetCli = (secrets: (keyof typeof SECRETS)[], ...args: string[]) =>
    project.shellyFleet(
      SITE,
      args,
      Object.fromEntries(secrets.map((name) => [`secret.${name}`, SECRETS[name]])),
    );
  const fileOf = (c: Case) => `devices/${SITE}/${c.device}.toml`;
  /** `file:line: key: [level rule] device NAME:`, the start of formatViolation's line. */
  const reported = (c: Case) => {
    const text = files.get(c.device) as string;
    const line = text.split("\n").findIndex((l) => l.startsWith(c.line)) + 1;
    expect(line, c.device).toBeGreaterThan(0);
    return `${fileOf(c)}:${line}: ${c.key}: [${levelOf(c.rule)} ${c.rule}] device ${c.device}: `;
  };

  beforeAll(async () => {
    expect(CASES.map((c) => c.rule).sort()).toEqual(
      RULE_IDS.filter((id) => id !== "reservation-placement").sort(),
    );
    // Each simulator its own MAC: started from one capture, they would share the capture's.
    for (const [i, c] of CASES.entries()) {
      if (c.shares) continue;
      const mac = `AABBCC0000${i.toString(16).padStart(2, "0").toUpperCase()}`;
      sims.set(c.device, await startDevice(path.join(CAPTURES_DIR, c.capture), { rebootMs: 100, mac }));
    }
    project = await makePlainProject("e2e-policy-rules");
    await project.writeFleetFile(
      `devices/${SITE}/site.toml`,
      '[policy]\nfirmware_minimum = "1.4.0"\n# One device changing its WiFi secret is already a mass change here.\nwifi_change_limit = 0\n',
    );
    for (const c of CASES) {
      const sim = sims.get(c.shares ?? c.device) as SimDevice;
      files.set(c.device, `mac = "${c.mac ?? sim.identity.mac}"\naddress = "${sim.address}"\n\n${c.body}`);
    }
    expect((await pulumi("stack", "init", SITE)).code).toBe(0);
    expect((await pulumi("config", "set", "shelly-fleet:root", project.fleetRoot)).code).toBe(0);

    // The state before: the lobby applied with its old WiFi secret, the only file then.
    await project.writeFleetFile(`devices/${SITE}/lobby.toml`, lobbyBefore(files.get("lobby") as string));
    const up = await fleetCli(["wifi-old"], "up", "--yes");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).not.toContain("Policy violations");
    for (const [device, text] of files) await project.writeFleetFile(`devices/${SITE}/${device}.toml`, text);
  });

  afterAll(async () => {
    await Promise.all([...sims.values()].map((sim) => sim.close()));
    if (project) await project.remove();
  });

  test("shelly-fleet preview lists every rule first, the WiFi mass change included", async () => {
    const before = writes();
    // The WiFi keys only on the command line: a preview saves no secret, so the check reads them
    // from --secret-file.
    const preview = await fleetCli(["wifi-new", "wifi-short"], "preview");
    expect(preview.code).not.toBe(0);
    const mandatory = CASES.filter((c) => levelOf(c.rule) === "mandatory").length;
    expect(preview.stdout).toMatch(
      new RegExp(`^Policy violations \\(${mandatory} mandatory, ${CASES.length - mandatory} advisory\\):\\n`),
    );
    const listed = preview.stdout.slice(0, preview.stdout.indexOf("\n\n"));
    for (const c of CASES) expect(listed, c.rule).toContain(reported(c));
    expect(listed).toContain(
      "device lobby: 1 devices of site rules change their WiFi secret in this run (limit 0)",
    );
    expect(listed).toContain('the secret "wifi-short" has 5 characters; WPA2 takes 8 to 63');
    expect(preview.stdout + preview.stderr).not.toContain(SECRETS["wifi-short"]);
    expect(listed.split("\n")).toHaveLength(CASES.length + 1);
    expect(writes()).toBe(before);
  });

  test("plain pulumi preview --policy-pack: every rule the pack can see, with device, file:line and key", async () => {
    // The WiFi keys as a plain Pulumi user stores them: stack secrets, typed on standard input.
    for (const name of ["wifi-new", "wifi-short"] as const) {
      const set = await project.pulumi(
        ["config", "set", "--secret", `shelly-fleet:secret.${name}`],
        {},
        SECRETS[name],
      );
      expect(set.code, set.stderr).toBe(0);
    }
    const before = writes();
    const preview = await pulumi("preview", "--policy-pack", PACK);
    const output = preview.stdout + preview.stderr;
    expect(preview.code, output).not.toBe(0);
    for (const c of CASES.filter((c) => c.rule !== "wifi-secret-mass-change")) {
      expect(output, c.rule).toContain(reported(c));
    }
    expect(output).toContain(
      `device twin: address ${sims.get("auth-off")?.address} is also used by auth-off`,
    );
    // The length only, never the value.
    expect(output).toContain('the secret "wifi-short" has 5 characters; WPA2 takes 8 to 63');
    expect(output).not.toContain(SECRETS["wifi-short"]);
    // The pack sees the planned inputs, not the state before them.
    expect(output).not.toContain("wifi-secret-mass-change");
    expect(writes()).toBe(before);
  });

  test("plain pulumi up --policy-pack stops on a mandatory violation before any device write", async () => {
    const before = writes();
    const up = await pulumi("up", "--yes", "--policy-pack", PACK);
    const output = up.stdout + up.stderr;
    expect(up.code, output).not.toBe(0);
    expect(output).toContain(reported(CASES[0] as Case));
    expect(writes()).toBe(before);
    const state = JSON.parse((await pulumi("stack", "export")).stdout);
    const devices = state.deployment.resources.filter((r: { type: string }) =>
      r.type.endsWith("shelly:Device"),
    );
    expect(devices.map((r: { inputs: { name: string } }) => r.inputs.name)).toEqual(["lobby"]);
  });
});
