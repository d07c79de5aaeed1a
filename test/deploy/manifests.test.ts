// The Kubernetes manifests (deploy/kubernetes, kustomize) and the operator's Stack examples
// (deploy/operator), validated offline: kustomize builds each site's overlay; every object is
// checked against the Kubernetes API's JSON schemas (the kubernetes-models package) and each
// Stack against the operator's CRD schema. Then a CronJob's command runs here, as it would in
// its pod, against a simulated device.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, test } from "vitest";
import { startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { REPO_ROOT } from "../support/cli";
import { parseExposition } from "../support/exposition";

// biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary YAML
type Manifest = Record<string, any>;

const KUBERNETES = path.join(REPO_ROOT, "deploy", "kubernetes");
const OPERATOR = path.join(REPO_ROOT, "deploy", "operator");
const SITES = ["home", "cabin"];
const LAST_APPLY = "2026-01-02T03:04:05.000Z";

function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { ...options, timeout: 600_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Validates one object against its kind's schema; the schema's complaint, or undefined. */
async function kubernetesProblem(object: Manifest): Promise<string | undefined> {
  const [group, version] = String(object.apiVersion).includes("/")
    ? String(object.apiVersion).split("/")
    : ["", object.apiVersion];
  const module = `kubernetes-models/${group ? `${group}/` : ""}${version}/${object.kind}`;
  const models = (await import(module)) as Record<string, new (data: Manifest) => { validate(): void }>;
  const Model = models[object.kind] as new (data: Manifest) => { validate(): void };
  try {
    new Model(object).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const containersOf = (object: Manifest): Manifest[] =>
  object.kind === "CronJob"
    ? object.spec.jobTemplate.spec.template.spec.containers
    : object.kind === "Deployment"
      ? object.spec.template.spec.containers
      : [];
const podSpecOf = (object: Manifest): Manifest =>
  object.kind === "CronJob" ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec;

describe("deploy/kubernetes", () => {
  let kustomize = "";
  const built = new Map<string, Manifest[]>();

  beforeAll(async () => {
    const installed = await run(path.join(REPO_ROOT, "scripts", "install-kustomize.sh"), []);
    expect(installed.code, installed.stderr).toBe(0);
    kustomize = installed.stdout.trim();
    for (const site of SITES) {
      const out = await run(kustomize, ["build", path.join(KUBERNETES, "overlays", site)]);
      expect(out.code, out.stderr).toBe(0);
      built.set(site, yaml.loadAll(out.stdout) as Manifest[]);
    }
  }, 900_000);

  test.each(SITES)("overlay %s: every object is valid against the Kubernetes schemas", async (site) => {
    const objects = built.get(site) ?? [];
    expect(objects.map((o) => o.kind).sort()).toEqual([
      "ConfigMap",
      "CronJob",
      "CronJob",
      "CronJob",
      "Deployment",
      "NetworkPolicy",
      "PersistentVolumeClaim",
      "PersistentVolumeClaim",
      "Service",
    ]);
    for (const object of objects) {
      expect(await kubernetesProblem(object), `${object.kind} ${object.metadata.name}`).toBeUndefined();
      expect(object.metadata.namespace).toBe(`shelly-fleet-${site}`);
    }
  });

  test("the Secrets' template (kept out of kustomize) is valid and names what the pods use", async () => {
    const secrets = yaml.loadAll(
      fs.readFileSync(path.join(KUBERNETES, "secrets.example.yaml"), "utf8"),
    ) as Manifest[];
    for (const secret of secrets) expect(await kubernetesProblem(secret)).toBeUndefined();
    expect(secrets.map((o) => [o.metadata.name, Object.keys(o.stringData)])).toEqual([
      ["shelly-fleet-agent", ["token"]],
      ["shelly-fleet-engine", ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]],
    ]);
    const home = built.get("home") ?? [];
    const agent = home.find((o) => o.kind === "Deployment") as Manifest;
    const tokenRef = containersOf(agent)[0]?.env.find(
      (e: Manifest) => e.name === "SHELLY_FLEET_PROVISIONER_TOKEN",
    );
    expect(tokenRef.valueFrom.secretKeyRef).toEqual({ name: "shelly-fleet-agent", key: "token" });
  });

  test("the validation is real: a wrong type and a missing field are refused", async () => {
    const deployment = structuredClone(
      (built.get("home") ?? []).find((o) => o.kind === "Deployment"),
    ) as Manifest;
    deployment.spec.replicas = "one";
    expect(await kubernetesProblem(deployment)).toMatch(/replicas/);
    const cronJob = structuredClone((built.get("home") ?? []).find((o) => o.kind === "CronJob")) as Manifest;
    delete cronJob.spec.schedule;
    expect(await kubernetesProblem(cronJob)).toMatch(/schedule/);
  });

  test("hardened: non-root, read-only root, no privilege escalation, limits; the agent probed", () => {
    for (const object of built.get("home") ?? []) {
      if (object.kind !== "Deployment" && object.kind !== "CronJob") continue;
      const pod = podSpecOf(object);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const container of containersOf(object)) {
        expect(container.image).toBe("registry.example.org/shelly-fleet:0.1.0");
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
        expect(container.resources.limits.memory).toBeDefined();
        expect(container.resources.requests.cpu).toBeDefined();
      }
    }
    const agent = (built.get("home") ?? []).find((o) => o.kind === "Deployment") as Manifest;
    expect(agent.spec.replicas).toBe(1);
    expect(agent.spec.strategy.type).toBe("Recreate");
    const [container] = containersOf(agent);
    expect(container?.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container?.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container?.args).toContain("/var/lib/shelly-fleet/queue/state.json");
    const claim = (built.get("home") ?? []).find((o) => o.kind === "PersistentVolumeClaim") as Manifest;
    expect(
      podSpecOf(agent).volumes.find((v: Manifest) => v.name === "state").persistentVolumeClaim.claimName,
    ).toBe(claim.metadata.name);
  });

  test("the NetworkPolicy: the control plane in, the site's subnets out", () => {
    const egress = (site: string) =>
      ((built.get(site) ?? []).find((o) => o.kind === "NetworkPolicy") as Manifest).spec.egress.flatMap(
        (rule: Manifest) => rule.to.map((to: Manifest) => to.ipBlock.cidr),
      );
    expect(egress("home")).toEqual(["192.168.33.0/24", "10.0.20.0/24"]);
    expect(egress("cabin")).toEqual(["192.168.33.0/24", "10.0.40.0/24"]);
    const policy = (built.get("home") ?? []).find((o) => o.kind === "NetworkPolicy") as Manifest;
    expect(policy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { "shelly-fleet/control-plane": "true" } } }],
        ports: [{ protocol: "TCP", port: 8470 }],
      },
    ]);
  });

  /**
   * The site "home"'s pod, here: the image's /app a fleet checkout (its Pulumi.yaml, one device
   * file for the simulated device), each volume the container mounts a directory, its
   * environment what its envFrom names (the ConfigMap as built; the engine's Secret a file
   * backend here holding the stack "home", whose state records the device's last apply) and the
   * image's ENV. The script is the container's, with the image's and the volumes' paths mapped.
   */
  async function homePod(kind: string, device: { mac: string; address: string }) {
    const objects = built.get("home") ?? [];
    const cronJob = objects.find(
      (o) => o.kind === "CronJob" && o.metadata.name.startsWith(`shelly-fleet-${kind}`),
    ) as Manifest;
    const [container] = containersOf(cronJob) as [Manifest];
    const configMap = objects.find((o) => o.kind === "ConfigMap") as Manifest;
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `cronjob-${kind}-`));
    const dir = (...parts: string[]) => {
      const made = path.join(scratch, ...parts);
      fs.mkdirSync(made, { recursive: true });
      return made;
    };
    const fleet = dir("app");
    fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(fleet, "Pulumi.yaml"));
    fs.writeFileSync(path.join(dir("app", "devices", "home"), "site.toml"), 'subnet = "127.0.0.0/8"\n');
    fs.writeFileSync(
      path.join(fleet, "devices", "home", "porch.toml"),
      `mac = "${device.mac}"\naddress = "${device.address.replace(/^http:\/\//, "")}"\n`,
    );
    const engine = {
      PULUMI_BACKEND_URL: `file://${dir("backend")}`,
      PULUMI_CONFIG_PASSPHRASE: "cronjob-test-passphrase",
    };
    const pulumiDir = (process.env.PATH ?? "")
      .split(path.delimiter)
      .find((entry) => fs.existsSync(path.join(entry, "pulumi")));
    const imageEnv = {
      PATH: [path.dirname(process.execPath), pulumiDir, "/usr/bin", "/bin"].join(":"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    // The stack "home" as `pulumi up` left it: the device applied, verified.
    const setup = { ...imageEnv, ...engine, HOME: dir("setup"), PULUMI_HOME: dir("setup", ".pulumi") };
    const init = await run("pulumi", ["stack", "init", "home", "--non-interactive"], {
      cwd: fleet,
      env: setup,
    });
    expect(init.code, init.stderr).toBe(0);
    const exported = await run("pulumi", ["stack", "export", "--stack", "home"], { cwd: fleet, env: setup });
    const state = JSON.parse(exported.stdout);
    const stackUrn = "urn:pulumi:home::shelly-fleet::pulumi:pulumi:Stack::shelly-fleet-home";
    state.deployment.resources = [
      { urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack" },
      {
        urn: "urn:pulumi:home::shelly-fleet::pulumi-nodejs:dynamic/shelly:Device::porch",
        custom: true,
        id: "porch",
        type: "pulumi-nodejs:dynamic/shelly:Device",
        parent: stackUrn,
        outputs: { mac: device.mac, lastApply: { startedAt: LAST_APPLY, verified: true } },
      },
    ];
    const stateFile = path.join(scratch, "state.json");
    fs.writeFileSync(stateFile, JSON.stringify(state));
    const imported = await run("pulumi", ["stack", "import", "--stack", "home", "--file", stateFile], {
      cwd: fleet,
      env: setup,
    });
    expect(imported.code, imported.stderr).toBe(0);

    const mounts = new Map<string, string>(
      container.volumeMounts.map((m: Manifest) => [m.mountPath, dir("volumes", m.name)]),
    );
    const home = mounts.get("/var/lib/shelly-fleet") ?? dir("home");
    const env: NodeJS.ProcessEnv = { ...imageEnv, HOME: home, PULUMI_HOME: path.join(home, ".pulumi") };
    for (const source of container.envFrom as Manifest[]) {
      if (source.configMapRef) Object.assign(env, configMap.data);
      if (source.secretRef?.name === "shelly-fleet-engine") Object.assign(env, engine);
    }
    // One pass over the container's paths: a local path (under /tmp, say, as this checkout may be)
    // is never mapped again.
    const local = new Map<string, string>([
      ["/app/bin/shelly-fleet", path.join(REPO_ROOT, "bin", "shelly-fleet")],
      ...[...mounts].map(([mountPath, dir]): [string, string] => [`${mountPath}/`, `${dir}/`]),
    ]);
    const containerPaths = new RegExp(
      [...local.keys()]
        .sort((a, b) => b.length - a.length)
        .map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))
        .join("|"),
      "g",
    );
    const script = String(container.args[0]).replace(containerPaths, (p) => local.get(p) as string);
    const [shell, ...flags] = container.command as string[];
    return {
      container,
      mounts,
      run: (extra: NodeJS.ProcessEnv = {}) =>
        run(shell as string, [...flags, script], { cwd: fleet, env: { ...env, ...extra } }),
      cleanup: () => fs.rmSync(scratch, { recursive: true, force: true }),
    };
  }

  test("the status CronJob's command runs here as in its pod: the site's metrics reach the Pushgateway", async () => {
    const device = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { host: "127.0.0.1", port: 0 });
    const pushed: { url: string; method: string; body: string }[] = [];
    const gateway = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        pushed.push({ url: req.url ?? "", method: req.method ?? "", body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
    const pod = await homePod("status", { mac: device.identity.mac, address: device.address });
    try {
      expect(pod.container.args[0]).toContain('status --site "$SITE" --stack "$SITE"');
      const gatewayEnv = { PUSHGATEWAY_URL: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}` };
      const result = await pod.run(gatewayEnv);
      expect(result.code, result.stderr).toBe(0);
      expect(pushed).toHaveLength(1);
      expect(pushed[0]).toMatchObject({ method: "PUT", url: "/metrics/job/shelly_fleet_status/site/home" });
      const samples = parseExposition(pushed[0]?.body ?? "");
      const up = samples.find((s) => s.name === "shelly_fleet_device_up");
      expect(up).toMatchObject({ labels: { site: "home", device: "porch" }, value: 1 });
      // The last apply, from the site's stack through the engine's Secret.
      const applied = samples.find((s) => s.name === "shelly_fleet_device_last_apply_timestamp_seconds");
      expect(applied).toMatchObject({ labels: { device: "porch" }, value: Date.parse(LAST_APPLY) / 1000 });

      // A Pushgateway that is not there fails the Job, naming it.
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
      const failed = await pod.run(gatewayEnv);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^pushgateway: fetch failed/m);
    } finally {
      gateway.close();
      await device.close();
      pod.cleanup();
    }
  });

  test("the report CronJob's command runs here as in its pod: the site's report on its volume", async () => {
    const objects = built.get("home") ?? [];
    const cronJob = objects.find(
      (o) => o.kind === "CronJob" && o.metadata.name.startsWith("shelly-fleet-report"),
    ) as Manifest;
    const claim = objects.find(
      (o) => o.kind === "PersistentVolumeClaim" && o.metadata.name.startsWith("shelly-fleet-reports"),
    ) as Manifest;
    const reportsVolume = podSpecOf(cronJob).volumes.find((v: Manifest) => v.persistentVolumeClaim);
    expect(reportsVolume.persistentVolumeClaim.claimName).toBe(claim.metadata.name);

    const device = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { host: "127.0.0.1", port: 0 });
    const pod = await homePod("report", { mac: device.identity.mac, address: device.address });
    try {
      const reports = pod.container.volumeMounts.find(
        (m: Manifest) => m.name === reportsVolume.name,
      ).mountPath;
      const out = path.join(pod.mounts.get(reports) as string, "home");
      for (const run of ["first", "again: the earlier report replaced"]) {
        const result = await pod.run();
        expect(result.code, `${run}: ${result.stderr}`).toBe(0);
        const index = fs.readFileSync(path.join(out, "index.html"), "utf8");
        expect(index).toContain("porch");
        // The live read (the model) and the stack's last apply are both in the device's page.
        const pages = fs.readdirSync(path.join(out, "devices"));
        expect(pages).toHaveLength(1);
        const page = fs.readFileSync(path.join(out, "devices", pages[0] as string), "utf8");
        expect(page).toContain(`datetime="${LAST_APPLY}"`);
        expect(page).toContain(device.identity.model);
      }
      expect(fs.readdirSync(path.dirname(out))).toEqual(["home"]);

      // No stack for the site: the Job fails on the export, and the last report stays.
      const missing = await pod.run({ SITE: "attic" });
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/attic/);
      expect(fs.existsSync(path.join(out, "index.html"))).toBe(true);
    } finally {
      await device.close();
      pod.cleanup();
    }
  });

  test("the drift check's arguments are the engine command's: preview --stack SITE --expect-no-changes", async () => {
    const cronJob = (built.get("cabin") ?? []).find(
      (o) => o.kind === "CronJob" && o.metadata.name.startsWith("shelly-fleet-drift-check"),
    ) as Manifest;
    const [container] = containersOf(cronJob) as [Manifest];
    expect(container.args).toEqual(["preview", "--stack", "$(SITE)", "--expect-no-changes"]);
    expect(cronJob.spec.schedule).toBe("47 */2 * * *");
    const help = await run(process.execPath, [
      path.join(REPO_ROOT, "bin", "shelly-fleet"),
      "preview",
      "--help",
    ]);
    expect(help.stdout).toContain("--expect-no-changes");
  });
});

describe("deploy/operator", () => {
  const crd = JSON.parse(fs.readFileSync(path.join(OPERATOR, "stack-crd-schema.json"), "utf8"));
  // Kubernetes formats (int64, date-time) are not checked, as the API server does for CRDs.
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    formats: { int32: true, int64: true, "date-time": true },
  });
  const validateStack = ajv.compile(crd.versions.v1);

  test.each(SITES)(
    "stack-%s.yaml: the Stack fits the operator's CRD, the rest the Kubernetes schemas",
    async (site) => {
      const objects = yaml.loadAll(
        fs.readFileSync(path.join(OPERATOR, `stack-${site}.yaml`), "utf8"),
      ) as Manifest[];
      expect(objects.map((o) => o.kind)).toEqual(["ServiceAccount", "ClusterRoleBinding", "Stack"]);
      const stack = objects[2] as Manifest;
      expect(validateStack(stack), ajv.errorsText(validateStack.errors)).toBe(true);
      expect(stack.apiVersion).toBe("pulumi.com/v1");
      expect(stack.spec).toMatchObject({ stack: site, refresh: true, continueResyncOnCommitMatch: true });
      expect(stack.spec.serviceAccountName).toBe(objects[0]?.metadata.name);
      expect(stack.spec.envRefs.PULUMI_CONFIG_PASSPHRASE.type).toBe("Secret");
      for (const object of objects.slice(0, 2)) expect(await kubernetesProblem(object)).toBeUndefined();
    },
  );

  test("the CRD schema refuses a wrong type", () => {
    const objects = yaml.loadAll(
      fs.readFileSync(path.join(OPERATOR, "stack-home.yaml"), "utf8"),
    ) as Manifest[];
    const stack = structuredClone(objects[2]) as Manifest;
    stack.spec.resyncFrequencySeconds = "hourly";
    expect(validateStack(stack)).toBe(false);
    expect(ajv.errorsText(validateStack.errors)).toMatch(/resyncFrequencySeconds must be integer/);
  });
});
