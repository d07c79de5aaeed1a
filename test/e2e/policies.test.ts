// The safety policies under the real engine: plain `pulumi preview --policy-pack policies` (the
// pack through our language host's RunPlugin) and `shelly-fleet preview/up`, against simulated
// devices. A mandatory violation fails the preview and stops `up` before any device request; a
// level the site lowered (with its reason) is reported as advisory and does not block.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { type CliResult, makeScratchProject, REPO_ROOT, runCli, secretFiles } from "../support/cli";

const PORCH_PASSWORD = "porch-admin-policy-81c2";
const SITE = "policy";

describe("safety policies in preview and up", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let garage: SimDevice; // Gen1, no auth
  let porch: SimDevice; // Gen2+, auth on
  let fleetRoot: string;

  const pulumi = (...args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(
        "pulumi",
        [...args, "--non-interactive"],
        {
          cwd: project.dir,
          env: { ...process.env, ...project.env, SHELLY_FLEET_ROOT: fleetRoot },
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      ).stdin?.end("");
    });
  const fleetCli = (...args: string[]) =>
    runCli(
      [
        ...args,
        "--stack",
        SITE,
        "--dir",
        project.dir,
        ...secretFiles({ "secret.device-admin": PORCH_PASSWORD }),
      ],
      project.env,
    );
  const requests = (device: SimDevice) => device.log.count({});
  const writes = (device: SimDevice) => device.log.count({ kind: "write" });

  async function writeFile(relative: string, text: string): Promise<void> {
    const file = path.join(fleetRoot, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
  }

  const garageFile = (auth: string) =>
    `mac = "${garage.identity.mac}"\naddress = "${garage.address}"\n\n[device]\nname = "Garage"\n${auth}`;

  beforeAll(async () => {
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 300 });
    porch = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), {
      rebootMs: 300,
      password: PORCH_PASSWORD,
    });
    project = await makeScratchProject("e2e-policy");
    const settings = await fs.readFile(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
    const main = /^main: (.*)$/m.exec(settings)?.[1] as string;
    await fs.writeFile(
      path.join(project.dir, "Pulumi.yaml"),
      settings.replace(/^main:.*$/m, `main: ${path.relative(project.dir, path.join(REPO_ROOT, main))}`),
    );
    fleetRoot = path.join(project.dir, "fleet");
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
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
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

  test("plain pulumi: a stack-level rule (two files on one address) is reported by the pack", async () => {
    await writeFile(
      `devices/${SITE}/twin.toml`,
      `mac = "AABBCCDDEE99"\naddress = "${garage.address}"\n\n[auth]\nenabled = true\npassword = { secret = "device-admin" }\n`,
    );
    try {
      const preview = await pulumi("preview", "--policy-pack", path.join(REPO_ROOT, "policies"));
      const output = preview.stdout + preview.stderr;
      expect(output).toMatch(
        new RegExp(
          `devices/${SITE}/(twin|garage)\\.toml: address: \\[mandatory unique-identity\\] device (twin|garage): address ${garage.address.replace(/\./g, "\\.")} is also used by`,
        ),
      );
    } finally {
      await fs.rm(path.join(fleetRoot, `devices/${SITE}/twin.toml`));
    }
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
