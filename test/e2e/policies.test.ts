// The safety policies under the real engine: plain `pulumi preview --policy-pack policies` (the
// pack through our language host's RunPlugin) and `shelly-fleet preview/up`, against simulated
// devices. A mandatory violation fails the preview and stops `up` before any device request; a
// level the site lowered (with its reason) is reported as advisory and does not block. Every
// rule, each under both front ends, is in policy-rules.test.ts.
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { REPO_ROOT } from "../support/cli";
import { makePlainProject, type PlainProject } from "../support/plain-project";

const PORCH_PASSWORD = "porch-admin-policy-81c2";
const SITE = "policy";

describe("safety policies in preview and up", () => {
  let project: PlainProject;
  let garage: SimDevice; // Gen1, no auth
  let porch: SimDevice; // Gen2+, auth on
  let fleetRoot: string;

  const pulumi = (...args: string[]) => project.pulumi(args, { SHELLY_FLEET_ROOT: fleetRoot });
  const fleetCli = (...args: string[]) =>
    project.shellyFleet(SITE, args, { "secret.device-admin": PORCH_PASSWORD });
  const requests = (device: SimDevice) => device.log.count({});
  const writes = (device: SimDevice) => device.log.count({ kind: "write" });

  const writeFile = (relative: string, text: string) => project.writeFleetFile(relative, text);

  const garageFile = (auth: string) =>
    `mac = "${garage.identity.mac}"\naddress = "${garage.address}"\n\n[device]\nname = "Garage"\n${auth}`;

  beforeAll(async () => {
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 300 });
    porch = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), {
      rebootMs: 300,
      password: PORCH_PASSWORD,
    });
    project = await makePlainProject("e2e-policy");
    fleetRoot = project.fleetRoot;
    await writeFile(
      `devices/${SITE}/site.toml`,
      '[credentials]\ndevice_password = { secret = "device-admin" }\n\n' +
        '[policy.rules.cloud-off]\nlevel = "advisory"\nreason = "the porch light is shared with the neighbours\' app"\n',
    );
    await writeFile(`devices/${SITE}/garage.toml`, garageFile("\n[auth]\nenabled = false\n"));
    await writeFile(
      `devices/${SITE}/porch.toml`,
      `mac = "${porch.identity.mac}"\naddress = "${porch.address}"\n\n[cloud]\nenabled = true\n`,
    );
    const init = await pulumi("stack", "init", SITE);
    expect(init.code).toBe(0);
    expect((await pulumi("config", "set", "shelly-fleet:root", fleetRoot)).code).toBe(0);
  });

  afterAll(async () => {
    await Promise.all([garage?.close(), porch?.close()]);
    if (project) await project.remove();
  });

  test("plain pulumi preview --policy-pack: the mandatory violation fails it, with device, file and key", async () => {
    const preview = await pulumi("preview", "--policy-pack", path.join(REPO_ROOT, "policies"));
    expect(preview.code).not.toBe(0);
    const output = preview.stdout + preview.stderr;
    expect(output).toContain(
      `devices/${SITE}/garage.toml:8: auth.enabled: [mandatory device-auth] device garage: auth is turned off`,
    );
    expect(output).toContain(
      `devices/${SITE}/porch.toml:5: cloud.enabled: [advisory cloud-off] device porch: the Shelly cloud connection is on`,
    );
    expect(writes(garage) + writes(porch)).toBe(0);
  });

  test("shelly-fleet preview lists the violations first; up stops before any device request", async () => {
    const preview = await fleetCli("preview");
    expect(preview.stdout).toMatch(/^Policy violations \(1 mandatory, 1 advisory\):\n/);
    expect(preview.stdout).toContain(
      `devices/${SITE}/garage.toml:8: auth.enabled: [mandatory device-auth] device garage: auth is turned off`,
    );
    expect(preview.code).not.toBe(0);

    const before = { garage: requests(garage), porch: requests(porch) };
    const up = await fleetCli("up", "--yes");
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      "up stopped: 1 mandatory policy violation above; no device was read or written",
    );
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect({ garage: requests(garage), porch: requests(porch) }).toEqual(before);
    expect(writes(garage) + writes(porch)).toBe(0);
  });

  test("--no-policies says so loudly; an advisory violation prints and up goes on", async () => {
    const skipped = await fleetCli("preview", "--no-policies");
    expect(skipped.stdout).toMatch(
      /^WARNING: --no-policies: the safety policies are NOT checked in this run\n/,
    );
    expect(skipped.stdout).not.toContain("Policy violations");

    await writeFile(`devices/${SITE}/garage.toml`, garageFile(""));
    const up = await fleetCli("up", "--yes");
    expect(up.stdout).toMatch(/^Policy violations \(0 mandatory, 1 advisory\):\n/);
    expect(up.stdout).toContain("[advisory cloud-off] device porch");
    expect(up.code).toBe(0);
    expect(writes(garage)).toBeGreaterThan(0);
  });
});
