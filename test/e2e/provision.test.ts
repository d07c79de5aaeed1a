// Provisioning end to end: the real engine provisions simulated new devices from their access
// points (loopback), then configures them; a second preview is clean.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { TaskRecord } from "../../providers/provision/agent/protocol";
import { freePort, gen2Config, jobFor, NETWORK, type NewDevice, startNewDevice } from "../provision/support";
import { makeScratchProject, REPO_ROOT, runCli, secretFiles } from "../support/cli";

const ADMIN = "porch-admin-e2e-51b2";

async function writeFile(root: string, relative: string, text: string): Promise<void> {
  const file = path.join(root, relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
}

function deviceFile(fresh: NewDevice, provision: string): string {
  return `mac = "${fresh.device.identity.mac}"
address = "${fresh.stationAddress}"

[provision]
${provision}
wifi_ssid = "${NETWORK.ssid}"
wifi_password = { secret = "iot-wifi" }
ap_address = "${fresh.apAddress.replace("http://", "")}"

[device]
name = "Porch"

[cloud]
enabled = false

[auth]
enabled = true
password = { secret = "device-admin" }

[[switch]]
id = 0
name = "Light"
`;
}

async function fleetProject(label: string) {
  const project = await makeScratchProject(label);
  const root = path.join(project.dir, "fleet");
  await writeFile(
    root,
    "devices/e2e/site.toml",
    '[credentials]\ndevice_password = { secret = "device-admin" }\n',
  );
  return { ...project, root };
}

const secrets = [...secretFiles({ "secret.device-admin": ADMIN, "secret.iot-wifi": NETWORK.password })];

describe("provisioning: the real engine, the direct driver", () => {
  let project: Awaited<ReturnType<typeof fleetProject>>;
  let fresh: NewDevice;
  const cli = (...args: string[]) => runCli([...args, "--stack", "e2e", "--dir", project.dir], project.env);
  const runConfig = () => ["-c", `root=${project.root}`, "-c", "site=e2e", ...secrets];

  beforeAll(async () => {
    fresh = await startNewDevice("gen2-plus1pm");
    project = await fleetProject("e2e-provision");
    await writeFile(project.root, "devices/e2e/porch.toml", deviceFile(fresh, 'driver = "direct"'));
  });

  afterAll(async () => {
    await fresh?.device.close();
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("preview shows the device will be provisioned, and touches nothing", async () => {
    const preview = await cli("preview", "--create", ...runConfig());
    expect(preview.stderr).toBe("");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/\+\s+\S*shelly:ProvisionedDevice\s+porch\s+create/);
    expect(fresh.device.log.count({ kind: "write" })).toBe(0);
    expect(fresh.device.inApMode).toBe(true);
  });

  test("up provisions it, then configures it on the network; its AP is off", async () => {
    // The preview used its -c/--secret values for that run only: up saves them.
    const up = await cli("up", "--yes", ...runConfig());
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/\+ 3 created/);
    // Each step under the resource in the engine's output, in order, with its time.
    const steps = [...up.stdout.matchAll(/^\s+(\w+) \([^)]+\) (started|done in \d+\.\d s)$/gm)].map(
      (m) => `${m[1]} ${(m[2] as string).split(" ")[0]}`,
    );
    expect(steps).toEqual(
      ["findAp", "joinAp", "identify", "configure", "setStation", "leaveAp", "verify", "harden"].flatMap(
        (step) => [`${step} started`, `${step} done`],
      ),
    );
    expect(fresh.device.inApMode).toBe(false);
    const config = await gen2Config(fresh.stationAddress, ADMIN);
    expect(config).toMatchObject({
      wifi: { ap: { enable: false }, sta: { ssid: NETWORK.ssid, enable: true } },
      ble: { rpc: { enable: false } },
      "switch:0": { name: "Light" },
      sys: { device: { name: "Porch" } },
    });
  });

  test("a second preview shows no changes", async () => {
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
  });
});

const AGENT_TOKEN = "Zk4pW9sQe2LrT7uYc1NvB6xHa3JmD8fGo5KiE0qVtRw";

/** `shelly-fleet provisioner` as its own process; resolves once it listens. */
async function startAgentProcess(port: number, stateFile: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, "bin", "shelly-fleet"),
      "provisioner",
      "--name",
      "pi",
      "--listen",
      `127.0.0.1:${port}`,
      "--state",
      stateFile,
      "--link",
      "direct",
      "--heartbeat-seconds",
      "1",
    ],
    {
      env: { ...process.env, SHELLY_FLEET_PROVISIONER_TOKEN: AGENT_TOKEN },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the agent exited with ${code}`)));
    child.stdout?.once("data", () => resolve());
  });
  return child;
}

const agentApi = (port: number, pathname: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${port}${pathname}`, {
    ...init,
    headers: { authorization: `Bearer ${AGENT_TOKEN}`, "content-type": "application/json" },
  });

describe("provisioning: the real engine, the agent driver (the agent in its own process)", () => {
  let project: Awaited<ReturnType<typeof fleetProject>>;
  let fresh: NewDevice;
  let agent: ChildProcess | undefined;
  let port: number;
  let stateFile: string;
  const cli = (...args: string[]) => runCli([...args, "--stack", "e2e", "--dir", project.dir], project.env);

  beforeAll(async () => {
    fresh = await startNewDevice("gen1-shelly1", { apHost: "127.0.0.3" });
    project = await fleetProject("e2e-provision-agent");
    stateFile = path.join(project.dir, "agent-state.json");
    port = await freePort();
    agent = await startAgentProcess(port, stateFile);
    await writeFile(
      project.root,
      "devices/e2e/garage.toml",
      deviceFile(fresh, 'driver = "agent"\nagent = "pi"\ninterface = "wlan0"'),
    );
  });

  afterAll(async () => {
    agent?.kill("SIGKILL");
    await fresh?.device.close();
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("up provisions the device through the agent; a second preview shows no changes", async () => {
    const up = await cli(
      "up",
      "--yes",
      "--create",
      "-c",
      `root=${project.root}`,
      "-c",
      "site=e2e",
      "-c",
      `provisionerUrl=http://127.0.0.1:${port}`,
      ...secrets,
      ...secretFiles({ "secret.provisioner-token": AGENT_TOKEN }),
    );
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    // The agent's steps under the resource: as polled while it runs, the rest from its outcome.
    const steps = [...up.stdout.matchAll(/^\s+(\w+) \([^)]+\) (started|done in \d+\.\d s)$/gm)].map(
      (m) => `${m[1]} ${(m[2] as string).split(" ")[0]}`,
    );
    expect([...steps].sort()).toEqual(
      ["findAp", "joinAp", "identify", "configure", "setStation", "leaveAp", "verify", "harden"]
        .flatMap((step) => [`${step} started`, `${step} done`])
        .sort(),
    );
    expect(fresh.device.inApMode).toBe(false);
    const tasks = (await (await agentApi(port, "/v1/tasks")).json()) as { tasks: TaskRecord[] };
    expect(tasks.tasks).toEqual([
      expect.objectContaining({ device: "garage", state: "succeeded", interface: "wlan0" }),
    ]);
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
  });

  test("killed mid-task, the restarted agent fails the task cleanly and never runs it again", async () => {
    const victim = await startNewDevice("gen2-pro4pm", { apHost: "127.0.0.4", fallbackMs: 60_000 });
    try {
      // A wrong WiFi key keeps the task waiting in verify: a good moment to kill the agent.
      const job = jobFor(victim, {
        device: "victim",
        wifi: { ssid: NETWORK.ssid, password: "wrong", passwordSecret: "iot-wifi" },
        timeoutsMs: { verify: 60_000 },
      });
      const submitted = await agentApi(port, "/v1/tasks", {
        method: "POST",
        body: JSON.stringify({ id: "victim-1", interface: "wlan0", job }),
      });
      expect(submitted.status).toBe(202);
      const task = async () => (await (await agentApi(port, "/v1/tasks/victim-1")).json()) as TaskRecord;
      for (let i = 0; (await task()).step !== "verify"; i++) {
        if (i > 100) throw new Error("the task never reached verify");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      agent?.kill("SIGKILL");
      const writesBefore = victim.device.log.count({ kind: "write" });
      expect(writesBefore).toBeGreaterThan(0);
      agent = await startAgentProcess(port, stateFile);
      expect(await task()).toMatchObject({
        state: "failed",
        error: expect.stringMatching(
          /victim: the provisioner agent stopped during step verify of task victim-1; the task is not run again/,
        ),
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(victim.device.log.count({ kind: "write" })).toBe(writesBefore);
      expect((await task()).state).toBe("failed");
    } finally {
      await victim.device.close();
    }
  });
});
