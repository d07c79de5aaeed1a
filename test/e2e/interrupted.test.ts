// Failures with the real engine: a device that fails halfway is rolled back while the others are
// applied, and a run killed with SIGKILL converges on the next one, leaving a journal of what it
// was writing.
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { flattenLive } from "../../providers/shelly/model/normalize";
import { openSession } from "../../providers/shelly/session";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, REPO_ROOT, runCli } from "../support/cli";
import { commandOf, descendants, isRunning } from "../support/processes";

const running: SimDevice[] = [];
const scratch: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((device) => device.close()));
  await Promise.all(scratch.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

/** Three devices, each with two components to change (two writes each). */
async function setUp(label: string) {
  const project = await makeScratchProject(label);
  scratch.push(project.dir);
  const fleetRoot = path.join(project.dir, "fleet");
  const devices: Record<string, SimDevice> = {};
  const models = { alpha: "gen2-plus1pm", bravo: "gen2-pro4pm", charlie: "gen1-shelly1" };
  for (const [i, [name, capture]] of Object.entries(models).entries()) {
    const device = await startDevice(path.join(CAPTURES_DIR, capture), {
      mac: `02000000010${i}`,
      rebootMs: 300,
    });
    running.push(device);
    devices[name] = device;
    const file = path.join(fleetRoot, "devices", "lab", `${name}.toml`);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(
      file,
      `mac = "${device.identity.mac}"\naddress = "${device.address}"\n\n[device]\nname = "${name} device"\n\n[[switch]]\nid = 0\nname = "${name} output"\n`,
    );
  }
  const cli = (...args: string[]) =>
    runCli(
      [...args, "--stack", "lab", "--dir", project.dir, "-c", `root=${fleetRoot}`, "-c", "site=lab"],
      project.env,
    );
  return { project, devices, cli };
}

/** `shelly-fleet up` of the lab site in a process group of its own, as a terminal starts it. */
function spawnUp(project: { dir: string; env: NodeJS.ProcessEnv }) {
  const args = ["up", "--yes", "--create", "--stack", "lab", "--dir", project.dir];
  args.push("-c", `root=${path.join(project.dir, "fleet")}`, "-c", "site=lab");
  return spawn(process.execPath, [path.join(REPO_ROOT, "bin", "shelly-fleet"), ...args], {
    env: { ...process.env, ...project.env },
    detached: true,
    stdio: "ignore",
  });
}

async function live(device: SimDevice): Promise<Map<string, unknown>> {
  const session = await openSession(device.address);
  return flattenLive(await session.readDocuments());
}

describe("a fault on one device during up", () => {
  test("that device is rolled back and reported failed, the others applied; the next up finishes", async () => {
    const { devices, cli } = await setUp("e2e-fault");
    const bravo = devices.bravo as SimDevice;
    const before = await live(bravo);
    // Bravo refuses its second write, then recovers (so that the rollback goes through).
    const add = bravo.log.add.bind(bravo.log);
    let writes = 0;
    bravo.log.add = (entry) => {
      add(entry);
      if (entry.kind !== "write") return;
      writes += 1;
      if (writes === 1) bravo.faults.set({ refuseWrites: true });
      if (writes === 2) bravo.faults.clear();
    };

    const up = await cli("up", "--yes", "--create");
    expect(up.code).not.toBe(0);
    expect(up.stdout).toMatch(
      /Device bravo \*\*creating failed\*\* error: bravo: \S+ \S+ failed: .*rolled back 1 write\(s\)/,
    );
    expect(up.stdout).toMatch(/Device alpha created/);
    expect(up.stdout).toMatch(/Device charlie created/);
    expect(await live(bravo)).toEqual(before);
    expect((await live(devices.alpha as SimDevice)).get("switch[0].name")).toBe("alpha output");

    const again = await cli("up", "--yes");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\+ 1 created/);
    expect((await live(bravo)).get("switch[0].name")).toBe("bravo output");
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
  });
});

describe("an up killed with SIGKILL halfway", () => {
  test("leaves a journal of what it was writing, and the next up converges", async () => {
    const { project, devices, cli } = await setUp("e2e-kill");
    // Slow devices, so that the kill lands while writes are in flight.
    for (const device of Object.values(devices)) device.faults.set({ latencyMs: 400 });

    const child = spawnUp(project);
    const firstWrite = () => Object.values(devices).some((d) => d.log.count({ kind: "write" }) > 0);
    const deadline = Date.now() + 120_000;
    while (!firstWrite() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(firstWrite()).toBe(true);
    // While the run is alive (devices now slow to answer), recover refuses and names its pid.
    for (const device of Object.values(devices)) device.faults.set({ latencyMs: 5_000 });
    const early = await runCli(["recover", "--stack", "lab", "--dir", project.dir], project.env);
    expect(early.code, early.stdout).toBe(1);
    expect(early.stderr).toMatch(
      /^shelly-fleet: a run of stack lab is still going: pid \d+, since .*; stop it/,
    );
    // A power cut: the CLI, the engine and the provider process all at once. The engine starts
    // its plugins in their own process groups, so the tree is walked rather than the group.
    const tree = descendants(child.pid as number);
    process.kill(-(child.pid as number), "SIGKILL");
    for (const pid of tree) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone with the group.
      }
    }
    await new Promise((resolve) => child.once("exit", resolve));

    const journal = await fs.readFile(
      // The journal lives beside the file backend's state (the scratch project's state/).
      path.join(project.dir, "state", "journal", "lab.jsonl"),
      "utf8",
    );
    const entries = journal
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(entries.some((e) => e.phase === "writing")).toBe(true);

    for (const device of Object.values(devices)) device.faults.clear();
    const locked = await cli("up", "--yes");
    expect(locked.code).not.toBe(0);
    expect(locked.stderr).toMatch(/currently locked[\s\S]*run `shelly-fleet recover`/);
    const recover = await runCli(["recover", "--stack", "lab", "--dir", project.dir], project.env);
    expect(recover.code).toBe(0);
    expect(recover.stdout).toMatch(
      /the killed run left these writes unfinished \(journal .*lab\.jsonl\):\n {2}(alpha|bravo|charlie): writing /,
    );
    const up = await cli("up", "--yes");
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    for (const [name, device] of Object.entries(devices)) {
      expect((await live(device)).get("switch[0].name"), name).toBe(`${name} output`);
    }
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
  });
});

describe("a state save cut short (a full disk) after the devices were written", () => {
  test("preview says to recover; recover restores the last complete state; up converges", async () => {
    const { project, devices, cli } = await setUp("e2e-cut-state");
    expect((await cli("up", "--yes", "--create")).code).toBe(0);
    const fleetRoot = path.join(project.dir, "fleet");
    for (const [name, device] of Object.entries(devices)) {
      await fs.writeFile(
        path.join(fleetRoot, "devices", "lab", `${name}.toml`),
        `mac = "${device.identity.mac}"\naddress = "${device.address}"\n\n[device]\nname = "${name} device"\n\n[[switch]]\nid = 0\nname = "${name} renamed"\n`,
      );
    }
    expect((await cli("up", "--yes")).code).toBe(0);
    // What a save that ran out of space leaves: the first half of the file. The devices already
    // hold the new names; the backend's complete copies (.json.bak, backups/) are beside it.
    const stateFile = path.join(project.dir, "state", ".pulumi", "stacks", "shelly-fleet", "lab.json");
    const whole = await fs.readFile(stateFile, "utf8");
    await fs.writeFile(stateFile, whole.slice(0, Math.floor(whole.length / 2)));

    const stranded = await cli("preview");
    expect(stranded.code).not.toBe(0);
    expect(stranded.stderr).toMatch(/cut short: free some space, then run `shelly-fleet recover`/);
    expect(stranded.stdout + stranded.stderr).not.toMatch(/\n\s+at /);

    const recover = await runCli(["recover", "--stack", "lab", "--dir", project.dir], project.env);
    expect(recover.code, recover.stderr).toBe(0);
    expect(recover.stdout).toMatch(
      /the state file was cut short \(.*\): restored the last complete state, saved .*, from .*\.json; the cut file is kept as .*lab\.json\.cut-/,
    );
    const writesBefore = Object.values(devices).map((d) => d.log.count({ kind: "write" }));
    const up = await cli("up", "--yes");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    // recover re-read the devices: they already match their files, so up writes nothing.
    expect(Object.values(devices).map((d) => d.log.count({ kind: "write" }))).toEqual(writesBefore);
    for (const [name, device] of Object.entries(devices)) {
      expect((await live(device)).get("switch[0].name"), name).toBe(`${name} renamed`);
    }
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code, preview.stdout).toBe(0);
  });
});

const SCHEDULE =
  '\n[[schedule]]\nname = "night"\ntimespec = "0 0 23 * * *"\ncalls = [{ method = "Switch.Set", params = { id = 0, on = false } }]\n';

describe("up killed ten times at random points (the process group, as a terminal would)", () => {
  test("no device request after a kill, no process of the run left, and the files win in the end", async () => {
    const { project, devices, cli } = await setUp("e2e-kills");
    // The stack exists before the first kill, which may land before the run would create it.
    expect((await cli("refresh", "--create")).code).toBe(0);
    const leftovers: number[] = [];
    const fleetRoot = path.join(project.dir, "fleet");
    const sims = Object.entries(devices);
    // A fixed sequence of kill delays, spread over the run (reproducible, yet not one point).
    const delaysMs = [700, 2600, 1500, 4100, 900, 3300, 2000, 5200, 1200, 3700];
    for (const [round, delayMs] of delaysMs.entries()) {
      // New names each round, so that every run has writes to make.
      for (const [name, sim] of sims) {
        await fs.writeFile(
          path.join(fleetRoot, "devices", "lab", `${name}.toml`),
          `mac = "${sim.identity.mac}"\naddress = "${sim.address}"\n\n[device]\nname = "${name} ${round}"\n\n[[switch]]\nid = 0\nname = "${name} output ${round}"\n${sim.identity.gen >= 2 ? SCHEDULE : ""}`,
        );
        sim.faults.set({ latencyMs: 150 });
      }
      const child = spawnUp(project);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const tree = descendants(child.pid as number);
      const killedAt = Date.now();
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        // The run had already finished.
      }
      await exited;
      // The provider notices within its poll interval (250 ms) and exits.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // The engine starts each provider plugin in a process group of its own. A plugin killed
      // before its first resource call never loaded our code, so nothing of ours can stop it; it
      // has no resources and sends nothing (the request checks below prove it). Any other process
      // left, a provider that had started work included, is a failure.
      const left = tree.filter(isRunning).map((pid) => `${pid} ${commandOf(pid)}`);
      const idlePlugins = left.filter((line) => /pulumi-resource-pulumi-nodejs|dynamic-provider/.test(line));
      expect(
        left.filter((line) => !idlePlugins.includes(line)),
        `round ${round}: processes left`,
      ).toEqual([]);
      for (const line of idlePlugins) leftovers.push(Number(line.split(" ")[0]));
      for (const [name, sim] of sims) {
        // A request sent just before the kill may arrive a moment later; a write never after.
        const late = sim.log.entries().filter((e) => e.time > killedAt + 50 && e.kind === "write");
        expect(late, `round ${round}: writes to ${name} after the kill`).toEqual([]);
        const reads = sim.log.entries().filter((e) => e.time > killedAt + 400);
        expect(reads, `round ${round}: requests to ${name} after the kill`).toEqual([]);
        sim.log.clear();
      }
      // The next round starts from a released lock, as a user would after a kill.
      const recover = await runCli(["recover", "--stack", "lab", "--dir", project.dir], project.env);
      expect(recover.code, recover.stderr).toBe(0);
    }

    for (const sim of Object.values(devices)) sim.faults.clear();
    const up = await cli("up", "--yes");
    expect(up.code, up.stdout).toBe(0);
    for (const [name, device] of sims) {
      const settings = await live(device);
      expect(settings.get("switch[0].name"), name).toBe(`${name} output 9`);
      expect(settings.get("device.name"), name).toBe(`${name} 9`);
      // A create cut off before its id reached the state is claimed later, never made twice.
      if (device.identity.gen >= 2) {
        const list = await (await openSession(device.address)).send({
          kind: "gen2",
          method: "Schedule.List",
          params: {},
        });
        expect((list as { jobs: unknown[] }).jobs, name).toHaveLength(1);
      }
    }
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
    for (const pid of leftovers.filter(isRunning)) process.kill(pid, "SIGKILL");
  });
});
