// A firmware campaign under the real engine (issue #21): simulated Gen2+ devices (five, then twenty)
// pin a new firmware; the site's campaign updates the canary first, then each wave after the one
// before. A device that comes back on its old firmware stops the campaign: the later devices get
// no install request, and the output says the campaign stopped and why. The simulators' own request logs and
// running versions are the witnesses.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, runCli } from "../support/cli";

const NAMES = ["a-canary", "b", "c", "d", "e"];
const TARGET = "1.9.0";

interface Site {
  project: { dir: string; env: NodeJS.ProcessEnv };
  fleetRoot: string;
  journalDir: string;
  devices: Map<string, SimDevice>;
}

/** Gen2+ devices offering TARGET (NAMES by default), a site with a campaign (a canary, then 50 % and 100 %). */
async function startSite(
  label: string,
  macPrefix: string,
  windows: string[] = [],
  names: string[] = NAMES,
  canary: string[] = ["a-canary"],
): Promise<Site> {
  const project = await makeScratchProject(label);
  const fleetRoot = path.join(project.dir, "fleet");
  const journalDir = path.join(project.dir, "journal");
  const devices = new Map<string, SimDevice>();
  const dir = path.join(fleetRoot, "devices", "site");
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(
    path.join(dir, "site.toml"),
    `[firmware_campaign]\ncanary = ${JSON.stringify(canary)}\nwaves = [50, 100]\npause_minutes = 0\nwindows = ${JSON.stringify(windows)}\n`,
  );
  for (const [index, name] of names.entries()) {
    const device = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), {
      mac: `${macPrefix}${String(index).padStart(2, "0")}`,
      // Long enough for the update's wait (polls every 500 ms) to see the device go down.
      rebootMs: 1500,
    });
    device.protocol.ota.behaviour = { downloadMs: 200 };
    device.protocol.offerUpdate({ stable: TARGET });
    devices.set(name, device);
    await fs.writeFile(
      path.join(dir, `${name}.toml`),
      `mac = "${device.identity.mac}"\naddress = "${device.address}"\n\n[firmware]\npin = "${TARGET}"\n`,
    );
  }
  return { project, fleetRoot, journalDir, devices };
}

/** `shelly-fleet status` of the site, with the stack's state and config (its campaign ledger). */
function statusFor(site: Site) {
  return (...args: string[]) =>
    runCli(
      [
        "status",
        "--root",
        site.fleetRoot,
        "--site",
        "site",
        "--stack",
        "site",
        "--dir",
        site.project.dir,
        ...args,
      ],
      site.project.env,
    );
}

interface StatusJson {
  devices: { device: string; firmware?: string; firmwarePending?: Record<string, string> }[];
  campaigns: Record<string, unknown>[];
}

function cliFor(site: Site, clock = "2026-12-05T03:00:00Z") {
  return (...args: string[]) =>
    runCli(
      [
        ...args,
        ...["-c", `firmwareClock=${clock}`],
        ...["--stack", "site", "--dir", site.project.dir, "-c", `root=${site.fleetRoot}`, "-c", "site=site"],
        ...["-c", `journalDir=${site.journalDir}`, "-c", "timeoutMs=1500", "-c", "firmwareTimeoutMs=5000"],
      ],
      site.project.env,
    );
}

/** When the device was asked to install, from its own request log; undefined when never. */
const installAt = (device: SimDevice) =>
  device.log.entries().find((e) => e.kind === "write" && e.rpc === "Shelly.Update")?.time;

const runningVersion = async (device: SimDevice) =>
  ((await (await fetch(`${device.address}/shelly`)).json()) as { ver: string }).ver;

async function stopSite(site: Site | undefined): Promise<void> {
  if (!site) return;
  await Promise.all([...site.devices.values()].map((d) => d.close()));
  await fs.rm(site.project.dir, { recursive: true, force: true });
}

describe("a firmware campaign: the canary, then the waves", () => {
  let site: Site;
  let cli: ReturnType<typeof cliFor>;
  beforeAll(async () => {
    // The clock (a Monday noon) is outside the site's only window: --force-firmware is needed.
    site = await startSite("e2e-campaign", "02000000C1", ["Sat,Sun 02:00-05:00"]);
    cli = cliFor(site, "2026-12-07T12:00:00Z");
  });
  afterAll(() => stopSite(site));

  test("preview shows each device's update, held outside the maintenance window", async () => {
    const preview = await cli("preview", "--create");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(
      /adopt and configure device a-canary\n {6}firmware\.pin: "1\.1\.0" → "1\.9\.0"\n {6}held: outside the maintenance windows \(Sat,Sun 02:00-05:00 UTC\); --force-firmware overrides\n/,
    );
    for (const device of site.devices.values()) expect(installAt(device)).toBeUndefined();
  });

  test("--force-firmware is refused by preview, in one line", async () => {
    const preview = await cli("preview", "--force-firmware");
    expect(preview.code).toBe(2);
    expect(preview.stderr.trim()).toBe("shelly-fleet: --force-firmware applies to up only");
  });

  test("up outside the window holds every update, and the next preview still offers it", async () => {
    const up = await cli("up", "--yes");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    for (const device of site.devices.values()) {
      expect(installAt(device)).toBeUndefined();
      expect(await runningVersion(device)).toBe("1.1.0");
    }
    // The state says what the device runs, not what the files want: the update is still due.
    const preview = await cli("preview");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(
      /update device a-canary\n {6}firmware\.pin: "1\.1\.0" → "1\.9\.0"\n {6}held: outside the maintenance windows/,
    );
  });

  test("up --force-firmware updates the canary, then wave 1, then wave 2; each runs the new version", async () => {
    const up = await cli("up", "--yes", "--force-firmware");
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).not.toMatch(/NOT restored|campaign stopped/);
    // The preview part of up shows each device's wave.
    const line = (device: string, wave: string) =>
      new RegExp(
        `device ${device}\\n {6}firmware\\.pin: .*\\n {6}firmware: 1\\.1\\.0 → 1\\.9\\.0 \\(${wave}\\)\\n`,
      );
    expect(up.stdout).toMatch(line("a-canary", "canary"));
    expect(up.stdout).toMatch(line("c", "wave 1 of 2"));
    expect(up.stdout).toMatch(line("e", "wave 2 of 2"));
    expect(up.stdout).toMatch(/Firmware campaign \(site\): complete; 5 of 5 devices done, 0 failed\n/);
    const at = (name: string) => installAt(site.devices.get(name) as SimDevice) as number;
    for (const name of NAMES) expect(at(name)).toBeDefined();
    // Each wave's installs start after every install of the wave before.
    expect(at("a-canary")).toBeLessThan(Math.min(at("b"), at("c")));
    expect(Math.max(at("b"), at("c"))).toBeLessThan(Math.min(at("d"), at("e")));
    for (const device of site.devices.values()) {
      expect(await runningVersion(device)).toBe(TARGET);
      expect(device.protocol.ota.state.last).toEqual({ target: TARGET, outcome: "installed" });
    }
    // The force was for that run only: the committed stack config does not hold it.
    const stackFile = await fs.readFile(path.join(site.project.dir, "stacks", "Pulumi.site.yaml"), "utf8");
    expect(stackFile).not.toMatch(/forceFirmware/);
  });

  test("the next preview shows no changes, and writes nothing", async () => {
    for (const device of site.devices.values()) device.log.clear();
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.stdout).not.toMatch(/firmware[.:]|held:/);
    expect(preview.code).toBe(0);
    for (const device of site.devices.values()) expect(device.log.count({ kind: "write" })).toBe(0);
  });

  test("status: every device on the new firmware, nothing pending, the campaign complete", async () => {
    const status = await statusFor(site)("--json");
    const report = JSON.parse(status.stdout) as StatusJson;
    expect(report.campaigns).toEqual([
      { site: "site", waves: 3, wave: 4, label: "complete", devices: 5, done: 5, failed: 0 },
    ]);
    for (const row of report.devices) {
      expect(row.firmware, row.device).toMatch(/\/1\.9\.0-gsim$/);
      expect(row.firmwarePending, row.device).toBeUndefined();
    }
  });
});

describe("a firmware campaign whose canary fails stops", () => {
  let site: Site;
  let cli: ReturnType<typeof cliFor>;
  beforeAll(async () => {
    site = await startSite("e2e-campaign-stop", "02000000C2");
    cli = cliFor(site);
  });
  afterAll(() => stopSite(site));

  test("the canary boots back on its old firmware: the other devices get no install request", async () => {
    const canary = site.devices.get("a-canary") as SimDevice;
    canary.protocol.ota.behaviour = { downloadMs: 200, failure: "old-version" };
    const up = await cli("up", "--yes", "--create");
    expect(up.code).not.toBe(0);
    expect(up.stdout).toMatch(
      /a-canary: firmware update 1\.1\.0 → 1\.9\.0 failed: rebooted but still runs 1\.1\.0, not 1\.9\.0/,
    );
    expect(up.stdout + up.stderr).not.toMatch(/NOT restored/);
    expect(up.stdout).toMatch(
      /\nFirmware campaign \(site\): wave 1 of 3 \(canary\); 0 of 5 devices done, 1 failed; stopped: the canary failed on a-canary \(rebooted but still runs 1\.1\.0, not 1\.9\.0 .*\); fix it, and the next up retries it and goes on\n/,
    );
    expect(installAt(canary)).toBeDefined();
    for (const name of NAMES.slice(1)) {
      const device = site.devices.get(name) as SimDevice;
      expect(installAt(device), name).toBeUndefined();
      expect(await runningVersion(device)).toBe("1.1.0");
    }
  });

  test("the next preview says each later device is held, and why; the canary retries", async () => {
    const preview = await cli("preview");
    expect(preview.stdout).toMatch(
      /device b\n {6}firmware\.pin: .*\n {6}held: campaign stopped: the canary failed on a-canary \(rebooted/,
    );
    expect(preview.stdout).toMatch(
      /device a-canary\n {6}firmware\.pin: .*\n {6}firmware: 1\.1\.0 → 1\.9\.0 \(canary\)/,
    );
  });

  test("status: the pending updates, their waves and holds, and the stopped campaign", async () => {
    const status = statusFor(site);
    const report = JSON.parse((await status("--json")).stdout) as StatusJson;
    expect(report.campaigns).toEqual([
      {
        site: "site",
        waves: 3,
        wave: 1,
        label: "canary",
        devices: 5,
        done: 0,
        failed: 1,
        stopped: expect.stringMatching(/^campaign stopped: the canary failed on a-canary \(rebooted but/),
      },
    ]);
    const pending = new Map(report.devices.map((row) => [row.device, row.firmwarePending]));
    expect(pending.get("a-canary")).toEqual({
      target: TARGET,
      wave: "canary",
      failed: expect.stringMatching(/^rebooted but still runs 1\.1\.0/),
    });
    expect(pending.get("b")).toEqual({
      target: TARGET,
      wave: "wave 1 of 2",
      heldBy: report.campaigns[0]?.stopped,
    });
    expect(pending.get("e")).toMatchObject({
      wave: "wave 2 of 2",
      heldBy: expect.stringMatching(/^campaign stopped/),
    });

    const table = (await status()).stdout;
    expect(table).toMatch(/site\/b .* 1\.9\.0 \(wave 1 of 2, held\)/);
    expect(table).toMatch(/site\/a-canary .* 1\.9\.0 \(canary, failed\)/);
    expect(table).toMatch(
      /\nFirmware campaign \(site\): wave 1 of 3 \(canary\); 0 of 5 devices done, 1 failed; stopped: the canary failed on a-canary/,
    );
    expect(table).toMatch(/\n {2}site\/b: held: campaign stopped: the canary failed on a-canary/);
  });

  test("once the canary's fault is cleared, the next up retries it and the campaign completes", async () => {
    const canary = site.devices.get("a-canary") as SimDevice;
    canary.protocol.ota.behaviour = { downloadMs: 200 };
    for (const device of site.devices.values()) device.log.clear();
    const up = await cli("up", "--yes");
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    // The preview part still shows the holds as of now; the apply asks the campaign again per wave.
    expect(up.stdout).not.toMatch(/NOT restored/);
    expect(up.stdout).toMatch(/\nFirmware campaign \(site\): complete; 5 of 5 devices done, 0 failed\n/);
    const at = (name: string) => installAt(site.devices.get(name) as SimDevice) as number;
    expect(at("a-canary")).toBeLessThan(Math.min(at("b"), at("c")));
    expect(Math.max(at("b"), at("c"))).toBeLessThan(Math.min(at("d"), at("e")));
    for (const device of site.devices.values()) expect(await runningVersion(device)).toBe(TARGET);
    expect((await cli("preview", "--expect-no-changes")).code).toBe(0);
  });
});

describe("twenty devices, a canary of two and waves of 50 %: a failure in the first wave stops the campaign", () => {
  const names = Array.from({ length: 20 }, (_, i) => `dev-${String(i).padStart(2, "0")}`);
  let site: Site;
  let cli: ReturnType<typeof cliFor>;
  /** Device name → its wave, as the preview shows it. */
  const waveOf = new Map<string, string>();
  beforeAll(async () => {
    // The clock (a Saturday 03:00 UTC) is inside the window: no force needed.
    site = await startSite("e2e-campaign-20", "02000000C3", ["Sat,Sun 02:00-05:00"], names, [
      "dev-00",
      "dev-01",
    ]);
    cli = cliFor(site, "2026-12-05T03:00:00Z");
  });
  afterAll(() => stopSite(site));

  test("the preview places 2 devices in the canary and 9 in each wave", async () => {
    const preview = await cli("preview", "--create");
    expect(preview.code).toBe(0);
    for (const match of preview.stdout.matchAll(
      /device (dev-\d\d)\n {6}firmware\.pin: .*\n {6}firmware: 1\.1\.0 → 1\.9\.0 \(([^)]+)\)/g,
    ))
      waveOf.set(match[1] as string, match[2] as string);
    const count = (wave: string) => [...waveOf.values()].filter((w) => w === wave).length;
    expect([count("canary"), count("wave 1 of 2"), count("wave 2 of 2")]).toEqual([2, 9, 9]);
    expect(waveOf.get("dev-00")).toBe("canary");
  });

  test("one device of wave 1 boots back on its old firmware: wave 2 gets no install request", async () => {
    const inWave = (wave: string) => names.filter((name) => waveOf.get(name) === wave);
    const failing = inWave("wave 1 of 2")[0] as string;
    const device = (name: string) => site.devices.get(name) as SimDevice;
    device(failing).protocol.ota.behaviour = { downloadMs: 200, failure: "old-version" };
    const up = await cli("up", "--yes");
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).not.toMatch(/NOT restored/);
    expect(up.stdout).toMatch(
      new RegExp(
        `${failing}: firmware update 1\\.1\\.0 → 1\\.9\\.0 failed: rebooted but still runs 1\\.1\\.0`,
      ),
    );
    expect(up.stdout).toMatch(
      /\nFirmware campaign \(site\): wave 2 of 3 \(wave 1 of 2\); 10 of 20 devices done, 1 failed; stopped/,
    );
    for (const name of [...inWave("canary"), ...inWave("wave 1 of 2")].filter((n) => n !== failing))
      expect(await runningVersion(device(name)), name).toBe(TARGET);
    for (const name of inWave("wave 2 of 2")) {
      expect(installAt(device(name)), name).toBeUndefined();
      expect(await runningVersion(device(name)), name).toBe("1.1.0");
    }
  });

  test("cleared, the next up retries the failed device, then runs wave 2: all 20 on the new firmware", async () => {
    for (const device of site.devices.values()) {
      device.protocol.ota.behaviour = { downloadMs: 200 };
      device.log.clear();
    }
    const up = await cli("up", "--yes");
    expect(up.stdout + up.stderr).not.toMatch(/NOT restored/);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/\nFirmware campaign \(site\): complete; 20 of 20 devices done, 0 failed\n/);
    for (const [name, device] of site.devices) expect(await runningVersion(device), name).toBe(TARGET);
    expect((await cli("preview", "--expect-no-changes")).code).toBe(0);
  });
});
