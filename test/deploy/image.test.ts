// The container image, built here without a registry (scripts/build-image-local.sh: a Debian
// base from debootstrap, podman), run as it runs in a cluster: read-only root filesystem, uid
// 10001, the writable state on a volume, the token from the environment. On the host network,
// bound to loopback, against simulated devices: the agent passes its probes and provisions a
// device; a `status` job reads the fleet and writes its Prometheus textfile.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { TaskRecord } from "../../providers/provision/agent/protocol";
import { startDevice } from "../../sim";
import { TOKEN } from "../provision/agent-support";
import { freePort, gen2Config, jobFor, type NewDevice, startNewDevice } from "../provision/support";
import { CAPTURES_DIR } from "../support/captures";
import { REPO_ROOT } from "../support/cli";
import { parseExposition } from "../support/exposition";

const IMAGE = "localhost/shelly-fleet:test";
const PODMAN = path.join(REPO_ROOT, "scripts", "podman-local.sh");
const UID = 10001;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...env }, timeout, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A directory the image's user owns: the volume for its writable state. */
function volume(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `image-${label}-`));
  fs.chownSync(dir, UID, UID);
  return dir;
}

const runFlags = (state: string) => [
  "--network",
  "host",
  "--read-only",
  "-v",
  `${state}:/var/lib/shelly-fleet`,
];

describe("the container image (local build)", () => {
  const dirs: string[] = [];
  let imageBytes = 0;

  beforeAll(async () => {
    const built = await run(path.join(REPO_ROOT, "scripts", "build-image-local.sh"), [IMAGE], {}, 900_000);
    expect(built.code, built.stderr.slice(-3000)).toBe(0);
    imageBytes = Number(built.stdout.trim().split("\n").pop());
  }, 900_000);

  afterAll(async () => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("it is the built project: non-root, read-only root, the Pulumi CLI on PATH", async () => {
    // The size is reported by the build script; bounded here so that a bloated image shows.
    expect(imageBytes).toBeGreaterThan(100e6);
    expect(imageBytes).toBeLessThan(700e6);
    const state = volume("check");
    dirs.push(state);
    const inside = await run(PODMAN, [
      "run",
      "--rm",
      ...runFlags(state),
      "--entrypoint",
      "/bin/sh",
      IMAGE,
      "-c",
      "id -u; pulumi version; touch /app/x 2>&1 || true; touch /var/lib/shelly-fleet/x && echo writable",
    ]);
    expect(inside.code, inside.stderr).toBe(0);
    expect(inside.stdout).toMatch(/^10001\nv3\.\d+\.\d+\n.*Read-only file system\nwritable\n$/);
    const version = await run(PODMAN, ["run", "--rm", ...runFlags(state), IMAGE, "--version"]);
    expect(version.stdout.trim()).toBe(require("../../package.json").version);
  });

  describe("the agent in the container", () => {
    const name = `shelly-fleet-agent-test-${process.pid}`;
    let url = "";
    let state = "";
    let fresh: NewDevice | undefined;

    beforeAll(async () => {
      state = volume("agent");
      dirs.push(state);
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      // The token reaches the container through the environment (-e NAME), never its argv.
      const started = await run(
        PODMAN,
        [
          "run",
          "-d",
          "--name",
          name,
          ...runFlags(state),
          "-e",
          "SHELLY_FLEET_PROVISIONER_TOKEN",
          IMAGE,
          "provisioner",
          "--name",
          "pi",
          "--listen",
          `127.0.0.1:${port}`,
          "--state",
          "/var/lib/shelly-fleet/queue/state.json",
          "--link",
          "direct",
        ],
        { SHELLY_FLEET_PROVISIONER_TOKEN: TOKEN },
      );
      expect(started.code, started.stderr).toBe(0);
    });

    afterAll(async () => {
      await run(PODMAN, ["rm", "-f", "-t", "5", name]);
      await fresh?.device.close();
    });

    test("passes its probes, then provisions a simulated device over the host's loopback", async () => {
      const deadline = Date.now() + 60_000;
      let ready: Response | undefined;
      while (Date.now() < deadline) {
        ready = await fetch(`${url}/readyz`).catch(() => undefined);
        if (ready?.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(ready?.status, (await run(PODMAN, ["logs", name])).stderr).toBe(200);
      expect(await ready?.json()).toEqual({
        ready: true,
        checks: { store: "ok", token: "ok", serving: "ok" },
      });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);

      fresh = await startNewDevice("gen2-plus1pm");
      const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
      const submitted = await fetch(`${url}/v1/tasks`, {
        method: "POST",
        headers,
        body: JSON.stringify({ id: "image-porch-1", interface: "wlan0", job: jobFor(fresh) }),
      });
      expect(submitted.status).toBe(202);
      let task: TaskRecord | undefined;
      while (Date.now() < deadline + 60_000) {
        task = (await (await fetch(`${url}/v1/tasks/image-porch-1`, { headers })).json()) as TaskRecord;
        if (task.state === "succeeded" || task.state === "failed") break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(task?.state, task?.error).toBe("succeeded");
      // The device is on the network with the password the job gave it.
      const config = await gen2Config(fresh.stationAddress, "porch-admin-pw");
      expect((config.sys as { device: { name: string } }).device.name).toBe("Porch");
      // The queue and the audit log are on the volume, owned by the image's user, mode 0600.
      const saved = path.join(state, "queue", "state.json");
      expect(fs.statSync(saved).uid).toBe(UID);
      expect(fs.statSync(saved).mode & 0o777).toBe(0o600);
      const audit = fs.readFileSync(path.join(state, "queue", "state.audit.jsonl"), "utf8");
      expect(audit).toContain('"event":"task.succeeded"');
      expect(audit).not.toContain("porch-admin-pw");
    });
  });

  test("a status job: reads the fleet (mounted read-only) and writes the Prometheus textfile", async () => {
    const device = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { host: "127.0.0.1", port: 0 });
    try {
      const fleet = fs.mkdtempSync(path.join(os.tmpdir(), "image-fleet-"));
      dirs.push(fleet);
      fs.mkdirSync(path.join(fleet, "devices", "lab"), { recursive: true });
      fs.writeFileSync(path.join(fleet, "devices", "lab", "site.toml"), 'subnet = "127.0.0.0/8"\n');
      fs.writeFileSync(
        path.join(fleet, "devices", "lab", "porch.toml"),
        `mac = "${device.identity.mac}"\naddress = "${device.address.replace(/^http:\/\//, "")}"\n`,
      );
      fs.chmodSync(fleet, 0o755);
      const state = volume("status");
      dirs.push(state);
      const status = await run(PODMAN, [
        "run",
        "--rm",
        ...runFlags(state),
        "-v",
        `${fleet}:/fleet:ro`,
        IMAGE,
        "status",
        "--root",
        "/fleet",
        "--prometheus",
        "/var/lib/shelly-fleet/status.prom",
      ]);
      expect(status.code, status.stderr).toBe(0);
      const samples = parseExposition(fs.readFileSync(path.join(state, "status.prom"), "utf8"));
      const up = samples.find((s) => s.name === "shelly_fleet_device_up" && s.labels.device === "porch");
      expect(up?.value).toBe(1);
    } finally {
      await device.close();
    }
  });
});
