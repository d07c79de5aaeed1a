// The engine commands' guards: up asks (or needs --yes) before it applies, a dry run leaves the
// committed stack file as it was, and a stack name that does not exist is refused.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, REPO_ROOT, runCli, secretFiles } from "../support/cli";

describe("engine command guards", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let garage: SimDevice;
  let fleetRoot: string;
  const stackFile = () => path.join(project.dir, "stacks", "Pulumi.site.yaml");
  const cli = (...args: string[]) => runCli([...args, "--dir", project.dir], project.env);
  const site = () => ["--stack", "site", "-c", `root=${fleetRoot}`, "-c", "site=site"];
  const writes = () => garage.log.count({ kind: "write" });

  async function writeFile(relative: string, text: string): Promise<void> {
    const file = path.join(fleetRoot, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
  }
  const deviceFile = (name: string) =>
    `mac = "${garage.identity.mac}"\naddress = "${garage.address}"\n\n[device]\nname = "${name}"\n`;

  beforeAll(async () => {
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 300 });
    project = await makeScratchProject("e2e-guards");
    fleetRoot = path.join(project.dir, "fleet");
    await writeFile("devices/site/site.toml", 'profiles = ["base"]\n');
    await writeFile("profiles/base.toml", "[cloud]\nenabled = false\n");
    await writeFile("devices/site/garage.toml", deviceFile("Garage"));
  });

  afterAll(async () => {
    await garage?.close();
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("up without a terminal and without --yes refuses with one line and runs nothing", async () => {
    const up = await cli("up", "--create", ...site());
    expect(up.code).toBe(2);
    expect(up.stderr).toBe(
      "shelly-fleet: up asks before applying, but this is not a terminal: pass --yes to apply\n",
    );
    expect(up.stdout).toBe("");
    expect(writes()).toBe(0);
    // Not even the stack was created.
    await expect(fs.access(stackFile())).rejects.toThrow();
  });

  test("a stack that does not exist is refused, naming none yet", async () => {
    const preview = await cli("preview", ...site());
    expect(preview.code).toBe(2);
    expect(preview.stderr).toBe(
      'shelly-fleet: no stack "site" in this project (none exists yet); pass --create to create it\n',
    );
    expect(writes()).toBe(0);
  });

  test("up --yes --create creates the stack, shows the plan and applies it", async () => {
    const up = await cli("up", "--yes", "--create", ...site());
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    // The preview's field list comes before the apply's device summary.
    expect(up.stdout).toMatch(
      /Changes by field[\s\S]*\+ adopt and configure device garage[\s\S]*Devices: 1 applied/,
    );
    expect(writes()).toBeGreaterThan(0);
  });

  test("a misspelt stack is refused, naming the stacks that exist", async () => {
    const preview = await cli("preview", "--stack", "stie");
    expect(preview.code).toBe(2);
    expect(preview.stderr).toBe(
      'shelly-fleet: no stack "stie" in this project (existing: site); pass --create to create it\n',
    );
    await expect(fs.access(path.join(project.dir, "stacks", "Pulumi.stie.yaml"))).rejects.toThrow();
  });

  test("up with nothing to change says so and asks nothing", async () => {
    garage.log.clear();
    const up = await cli("up", "--yes", "--stack", "site");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/Nothing to change: every device matches its file\.\n$/);
    expect(writes()).toBe(0);
  });

  test("up --yes --skip-preview applies without the preview; without --yes it is refused", async () => {
    const refused = await cli("up", "--skip-preview", "--stack", "site");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      "shelly-fleet: --skip-preview applies to up --yes only (nothing is shown to ask about)\n",
    );
    await writeFile("devices/site/garage.toml", deviceFile("Garage skipped"));
    garage.log.clear();
    const up = await cli("up", "--yes", "--skip-preview", "--stack", "site");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).not.toMatch(/Previewing update/);
    expect(up.stdout).toMatch(/Devices: 1 applied, 0 unchanged, 0 unreachable, 0 failed/);
    expect(writes()).toBeGreaterThan(0);
    await writeFile("devices/site/garage.toml", deviceFile("Garage"));
    expect((await cli("up", "--yes", "--stack", "site")).code).toBe(0);
    garage.log.clear();
  });

  test("preview -c/--secret uses the values for that run only; the stack file stays byte for byte", async () => {
    const before = await fs.readFile(stackFile());
    const renamed = path.join(project.dir, "renamed");
    await fs.cp(fleetRoot, renamed, { recursive: true });
    await fs.writeFile(path.join(renamed, "devices", "site", "garage.toml"), deviceFile("Renamed"));
    const preview = await cli(
      "preview",
      "--stack",
      "site",
      "-c",
      `root=${renamed}`,
      ...secretFiles({ "secret.unused": "s3cret-value" }),
    );
    expect(preview.stderr).toBe("");
    expect(preview.code).toBe(0);
    // The value was used: the other fleet root's name shows as the change.
    expect(preview.stdout).toMatch(/device\.name: "Garage" → "Renamed"/);
    expect(preview.stdout).not.toContain("s3cret-value");
    expect(await fs.readFile(stackFile())).toEqual(before);
    // A failing preview too (drift under --expect-no-changes fails it).
    const failed = await cli(
      "preview",
      "--stack",
      "site",
      "--expect-no-changes",
      "-c",
      `root=${renamed}`,
      ...secretFiles({ "secret.x": "y" }),
    );
    expect(failed.code).toBe(7);
    expect(await fs.readFile(stackFile())).toEqual(before);
    // And the saved config is unchanged: the next preview is clean.
    expect((await cli("preview", "--stack", "site", "--expect-no-changes")).code).toBe(0);
    expect(writes()).toBe(0);
  });

  test("on a terminal, up asks; no (the default) applies nothing", async () => {
    await writeFile("devices/site/garage.toml", deviceFile("Garage 2"));
    garage.log.clear();
    const command = [process.execPath, path.join(REPO_ROOT, "bin", "shelly-fleet"), "up", "--stack", "site"];
    const quoted = [...command, "--dir", project.dir].map((arg) => `'${arg}'`).join(" ");
    // `script` gives the command a pseudo-terminal for stdin and stdout.
    const child = spawn("script", ["-qec", quoted, "/dev/null"], { env: { ...process.env, ...project.env } });
    let output = "";
    let answered = false;
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      // Enter alone: the default answer. (Cursor moves may follow the prompt on a terminal.)
      if (!answered && /Apply these changes\? \[y\/N\] /.test(output)) {
        answered = true;
        child.stdin.write("\r");
      }
    });
    const stuck = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearTimeout(stuck);
    expect(output).toMatch(/device\.name: "Garage" → "Garage 2"[\s\S]*Apply these changes\? \[y\/N\]/);
    expect(output).toMatch(/up declined: nothing was applied/);
    expect(code).toBe(1);
    expect(writes()).toBe(0);
  });

  test("preview --base marks each field drift (the device changed) or change (the files did)", async () => {
    // The fleet at its base commit: garage named "Garage", no switch name.
    await writeFile("devices/site/garage.toml", deviceFile("Garage"));
    expect((await cli("up", "--yes", "--create", ...site())).code).toBe(0);
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
        cwd: fleetRoot,
      });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "base");
    // Drift: renamed on the device. Change: the file now names the switch.
    await fetch(`${garage.address}/settings?name=${encodeURIComponent("By hand")}`);
    await writeFile(
      "devices/site/garage.toml",
      `${deviceFile("Garage")}\n[[switch]]\nid = 0\nname = "Door"\n`,
    );
    const preview = await cli("preview", "--stack", "site", "--base", "HEAD");
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(
      /device\.name: "By hand" → "Garage"\s+\(drift: changed on the device; applying reverts it\)/,
    );
    expect(preview.stdout).toMatch(/switch\[0\]\.name: .* → "Door"\s+\(change: set by this pull request\)/);
    // Without --base, the merge base with the default branch (here: the branch itself).
    const byDefault = await cli("preview", "--stack", "site");
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(byDefault.stdout).toMatch(/device\.name: "By hand" → "Garage"\s+\(drift: changed on the device/);
    const wrongRef = await cli("preview", "--stack", "site", "--base", "no-such-ref");
    expect(wrongRef.code).toBe(2);
    expect(wrongRef.stderr.trim().split("\n")).toHaveLength(1);
  });
});
