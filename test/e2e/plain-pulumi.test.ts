// Plain `pulumi` commands, no shelly-fleet command in between: the CLI that scripts/env.sh put on
// PATH runs the program through a nodejs language host (ours, tools/language-host, where the
// Pulumi install has none) against simulated devices. The mission's flow: stack init, a secret,
// up; drift made on a device shows in preview and fails --expect-no-changes; up repairs it;
// destroy; and a bad device file stops the run with one clear message, without a stack trace.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { type CliResult, makeScratchProject, REPO_ROOT } from "../support/cli";

const PORCH_PASSWORD = "porch-admin-plain-4c1d";

describe("plain pulumi commands against simulated devices", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let garage: SimDevice; // Gen1, no auth
  let porch: SimDevice; // Gen2+, auth on
  let fleetRoot: string;

  /** `pulumi <args>` in the scratch project, as a user types it. */
  /** `pulumi` with `input` as its standard input (how a secret reaches it without argv). */
  const pulumiFed = (input: string, ...args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      const child = execFile(
        "pulumi",
        [...args, "--non-interactive"],
        { cwd: project.dir, env: { ...process.env, ...project.env }, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(input);
    });
  const pulumi = (...args: string[]) => pulumiFed("", ...args);
  const writes = (device: SimDevice) => device.log.count({ kind: "write" });

  async function writeFile(relative: string, text: string): Promise<void> {
    const file = path.join(fleetRoot, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
  }

  beforeAll(async () => {
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 300 });
    porch = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), {
      rebootMs: 300,
      password: PORCH_PASSWORD,
    });
    project = await makeScratchProject("e2e-plain");
    // The project's own Pulumi.yaml, running the built program as `pulumi` does in the repository.
    const settings = await fs.readFile(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
    const main = /^main: (.*)$/m.exec(settings)?.[1] as string;
    await fs.writeFile(
      path.join(project.dir, "Pulumi.yaml"),
      `${settings.replace(/^main:.*$/m, `main: ${path.relative(project.dir, path.join(REPO_ROOT, main))}`)}`,
    );
    fleetRoot = path.join(project.dir, "fleet");
    await writeFile(
      "devices/plain/site.toml",
      '[credentials]\ndevice_password = { secret = "device-admin" }\n',
    );
    await writeFile(
      "devices/plain/garage.toml",
      `mac = "${garage.identity.mac}"\naddress = "${garage.address}"\n\n[device]\nname = "Garage"\n\n[[switch]]\nid = 0\nname = "Door"\n`,
    );
    await writeFile(
      "devices/plain/porch.toml",
      `mac = "${porch.identity.mac}"\naddress = "${porch.address}"\n\n[device]\nname = "Porch"\n\n[[switch]]\nid = 0\nname = "Light"\n`,
    );
  });

  afterAll(async () => {
    await Promise.all([garage?.close(), porch?.close()]);
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("stack init, config and a secret, then up configures every device", async () => {
    expect((await pulumi("stack", "init", "plain")).code).toBe(0);
    expect((await pulumi("config", "set", "shelly-fleet:root", fleetRoot)).code).toBe(0);
    // The value on standard input, not in the arguments any local user can read.
    const secret = await pulumiFed(
      PORCH_PASSWORD,
      "config",
      "set",
      "--secret",
      "shelly-fleet:secret.device-admin",
    );
    expect(secret.code).toBe(0);
    const config = await pulumi("config");
    expect(config.stdout).toMatch(/secret\.device-admin\s+\[secret\]/);
    expect(config.stdout).not.toContain(PORCH_PASSWORD);

    const up = await pulumi("up", "--yes");
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/\+ 3 created/);
    expect(writes(garage)).toBeGreaterThan(0);
    expect(writes(porch)).toBeGreaterThan(0);
    expect(up.stdout).not.toContain(PORCH_PASSWORD);
    // No runtime noise under the stack's diagnostics (Node 24.9 warned there about node:sqlite).
    expect(up.stdout).not.toMatch(/ExperimentalWarning|Diagnostics:/);

    const outputs = await pulumi("stack", "output", "--json");
    expect(outputs.code).toBe(0);
    expect(JSON.parse(outputs.stdout)).toEqual({
      site: "plain",
      devices: {
        garage: { mac: garage.identity.mac, address: garage.address },
        porch: { mac: porch.identity.mac, address: porch.address },
      },
    });
  });

  test("a change made on a device shows in preview and fails --expect-no-changes", async () => {
    porch.protocol.drift({ "switch:0": { name: "Changed by hand" } });
    const preview = await pulumi("preview");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/~ 1 to update/);
    // The engine's own summary names the component that changed, and only that one.
    expect(preview.stdout).toMatch(/~\s+\S*shelly:Device\s+porch\s+update\s+\[diff: ~switch:0\]/);
    const detailed = await pulumi("preview", "--diff");
    expect(detailed.code).toBe(0);
    expect(detailed.stdout).toMatch(/~ switch:0\s*: \{\s*~ name: "Changed by hand" => "Light"\s*\}/);
    const check = await pulumi("preview", "--expect-no-changes");
    expect(check.code).not.toBe(0);
    expect(check.stdout).toMatch(/~ 1 to update/);
  });

  test("up repairs it, and then nothing is left to change", async () => {
    porch.log.clear();
    garage.log.clear();
    const up = await pulumi("up", "--yes");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/~ 1 updated/);
    expect(porch.log.count({ kind: "write", rpc: "Switch.SetConfig" })).toBe(1);
    expect(writes(garage)).toBe(0);
    const clean = await pulumi("preview", "--expect-no-changes");
    expect(clean.code).toBe(0);
  });

  test("a device that refuses its write fails alone; the outputs suggest no deletion", async () => {
    await writeFile(
      "devices/plain/porch.toml",
      `mac = "${porch.identity.mac}"\naddress = "${porch.address}"\n\n[device]\nname = "Porch light"\n\n[[switch]]\nid = 0\nname = "Light"\n`,
    );
    porch.faults.set({ refuseWrites: true });
    try {
      const up = await pulumi("up", "--yes");
      expect(up.code).not.toBe(0);
      expect(up.stdout).toMatch(/porch \*\*updating failed\*\*/);
      const outputs = up.stdout.slice(up.stdout.lastIndexOf("Outputs:"), up.stdout.lastIndexOf("Resources:"));
      expect(outputs).toMatch(/porch\s*: \{/);
      // Before, the failed device's live values (model, firmware) showed as `- model: ...`.
      expect(outputs).not.toMatch(/^\s*[-~]/m);
    } finally {
      porch.faults.clear();
    }
    expect((await pulumi("up", "--yes")).code).toBe(0);
    expect(porch.log.count({ kind: "write", rpc: "Sys.SetConfig" })).toBeGreaterThan(0);
  });

  test("a state from before one-input-per-component migrates without a write", async () => {
    // The inputs as versions before components recorded them: one `desired` object.
    const exported = await pulumi("stack", "export");
    expect(exported.code).toBe(0);
    const deployment = JSON.parse(exported.stdout);
    const devices = deployment.deployment.resources.filter((r: { type: string }) =>
      r.type.endsWith("shelly:Device"),
    );
    expect(devices).toHaveLength(2);
    for (const resource of devices) {
      const { __provider, name, site, mac, address, loginSecret, secretDigests, providerVersion } =
        resource.inputs;
      resource.inputs = {
        ...{ __provider, name, site, mac, address, loginSecret, secretDigests, providerVersion },
        desired: resource.outputs.desired,
      };
    }
    const file = path.join(project.dir, "old-state.json");
    await fs.writeFile(file, JSON.stringify(deployment));
    expect((await pulumi("stack", "import", "--file", file)).code).toBe(0);

    porch.log.clear();
    garage.log.clear();
    expect((await pulumi("preview", "--expect-no-changes")).code).toBe(0);
    expect((await pulumi("up", "--yes")).code).toBe(0);
    expect(writes(garage) + writes(porch)).toBe(0);
    const after = JSON.parse((await pulumi("stack", "export")).stdout);
    const porchInputs = after.deployment.resources.find((r: { urn: string }) =>
      r.urn.endsWith("shelly:Device::porch"),
    ).inputs;
    expect(porchInputs).not.toHaveProperty("desired");
    expect(porchInputs["switch:0"]).toEqual({ name: "Light" });
    expect(porchInputs.device).toEqual({ name: "Porch light" });
  });

  test("destroy releases the devices without writing to them", async () => {
    porch.log.clear();
    garage.log.clear();
    const destroy = await pulumi("destroy", "--yes");
    expect(destroy.code).toBe(0);
    expect(destroy.stdout).toMatch(/- 3 deleted/);
    expect(writes(garage) + writes(porch)).toBe(0);
  });

  test("a bad device file stops the run with one clear message and no stack trace", async () => {
    await writeFile("devices/plain/attic.toml", 'mac = "not-a-mac"\naddress = "10.0.20.99"\n');
    const preview = await pulumi("preview");
    expect(preview.code).not.toBe(0);
    const output = preview.stdout + preview.stderr;
    expect(output).toContain("devices/plain/attic.toml:1: mac: expected a MAC address");
    // Shown once under the stack's diagnostics (the progress line above it may echo it too),
    // with no stack frames and no second error from the language host.
    const diagnostics = output.slice(output.indexOf("Diagnostics:"));
    expect(diagnostics.match(/attic\.toml:1: mac/g)).toHaveLength(1);
    expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(output).not.toMatch(/non-zero exit code|unhandled exception/);
  });
});
