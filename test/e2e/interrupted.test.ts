// Failures with the real engine: a device that fails halfway is rolled back while the others are
// applied, and a run killed with SIGKILL converges on the next one, leaving a journal of what it
// was writing.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { flattenLive } from "../../providers/shelly/model/normalize";
import { openSession } from "../../providers/shelly/session";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, REPO_ROOT, runCli } from "../support/cli";

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

/** Every process below `root`, from /proc (Linux). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  const found: number[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
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

    const up = await cli("up");
    expect(up.code).not.toBe(0);
    expect(up.stdout).toMatch(
      /Device bravo \*\*creating failed\*\* error: bravo: \S+ \S+ failed: .*rolled back 1 write\(s\)/,
    );
    expect(up.stdout).toMatch(/Device alpha created/);
    expect(up.stdout).toMatch(/Device charlie created/);
    expect(await live(bravo)).toEqual(before);
    expect((await live(devices.alpha as SimDevice)).get("switch[0].name")).toBe("alpha output");

    const again = await cli("up");
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

    const child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, "bin", "shelly-fleet"),
        "up",
        "--stack",
        "lab",
        "--dir",
        project.dir,
        "-c",
        `root=${path.join(project.dir, "fleet")}`,
        "-c",
        "site=lab",
      ],
      { env: { ...process.env, ...project.env }, detached: true, stdio: "ignore" },
    );
    const firstWrite = () => Object.values(devices).some((d) => d.log.count({ kind: "write" }) > 0);
    const deadline = Date.now() + 120_000;
    while (!firstWrite() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(firstWrite()).toBe(true);
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
    const locked = await cli("up");
    expect(locked.code).not.toBe(0);
    expect(locked.stderr).toMatch(/currently locked[\s\S]*run `shelly-fleet recover`/);
    const recover = await runCli(["recover", "--stack", "lab", "--dir", project.dir], project.env);
    expect(recover.code).toBe(0);
    const up = await cli("up");
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    for (const [name, device] of Object.entries(devices)) {
      expect((await live(device)).get("switch[0].name"), name).toBe(`${name} output`);
    }
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
  });
});
