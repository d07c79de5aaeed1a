// No secret in any process's arguments: `up` and `preview` take secrets from standard input, a
// file and the environment, and hand them to `pulumi config set` on its standard input. Every
// process the command starts is sampled from /proc while it runs; `--secret KEY=VALUE` is refused.
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { type CliResult, makeScratchProject, REPO_ROOT, runCli } from "../support/cli";
import { watchCommandLines } from "../support/processes";

const ADMIN = "admin-stdin-7f3a91";
const WIFI = "wifi-file-c2d84e";
const MQTT = "mqtt-env-5b0e17";

describe("secrets never in a process's arguments", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let garage: SimDevice;
  let fleetRoot: string;

  /** The command with `stdin` fed in, and every command line of it and its descendants. */
  function watched(args: string[], stdin: string): Promise<CliResult & { commandLines: string[] }> {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "shelly-fleet"), ...args], {
      env: { ...process.env, ...project.env, E2E_MQTT_PASSWORD: MQTT },
    });
    const watch = watchCommandLines(child.pid as number);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.stdin.end(stdin);
    return new Promise((resolve) => {
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr, commandLines: watch.stop() }));
    });
  }

  beforeAll(async () => {
    project = await makeScratchProject("e2e-secret-argv");
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 300, password: ADMIN });
    fleetRoot = path.join(project.dir, "fleet");
    await fs.mkdir(path.join(fleetRoot, "devices", "site"), { recursive: true });
    await fs.writeFile(
      path.join(fleetRoot, "devices", "site", "site.toml"),
      '[credentials]\ndevice_password = { secret = "device-admin" }\n',
    );
    await fs.writeFile(
      path.join(fleetRoot, "devices", "site", "garage.toml"),
      `mac = "${garage.identity.mac}"\naddress = "${garage.address}"\n\n[device]\nname = "Garage"\n`,
    );
    await fs.writeFile(path.join(project.dir, "wifi-secret"), `${WIFI}\n`, { mode: 0o600 });
  });

  afterAll(async () => {
    await garage?.close();
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  const base = () => ["--stack", "site", "--dir", project.dir, "-c", `root=${fleetRoot}`, "-c", "site=site"];
  const common = () => [
    ...base(),
    "--secret",
    "secret.device-admin",
    "--secret-file",
    `secret.wifi=${path.join(project.dir, "wifi-secret")}`,
    "--secret-env",
    "secret.mqtt=E2E_MQTT_PASSWORD",
  ];

  test("up: from stdin, a file and the environment; no value in any argv; stored encrypted", async () => {
    const up = await watched(["up", "--yes", "--create", ...common()], `${ADMIN}\n`);
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    // The sampling saw the engine and the `pulumi config set` children, so it was looking.
    expect(
      up.commandLines.some((line) => /pulumi.* config set .*--secret shelly-fleet:secret\.wifi/.test(line)),
    ).toBe(true);
    for (const line of up.commandLines) {
      for (const secret of [ADMIN, WIFI, MQTT]) expect(line).not.toContain(secret);
    }
    const stackFile = await fs.readFile(path.join(project.dir, "stacks", "Pulumi.site.yaml"), "utf8");
    expect(stackFile).toMatch(/shelly-fleet:secret\.wifi:\n\s+secure: /);
    for (const secret of [ADMIN, WIFI, MQTT]) expect(stackFile).not.toContain(secret);
    // The values arrived whole: one final newline dropped, nothing else.
    const get = (key: string) =>
      new Promise<string>((resolve) => {
        const child = spawn("pulumi", ["config", "get", key, "--stack", "site"], {
          cwd: project.dir,
          env: { ...process.env, ...project.env },
        });
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString("utf8");
        });
        child.on("close", () => resolve(out));
      });
    expect(await get("shelly-fleet:secret.device-admin")).toBe(`${ADMIN}\n`);
    expect(await get("shelly-fleet:secret.wifi")).toBe(`${WIFI}\n`);
    expect(await get("shelly-fleet:secret.mqtt")).toBe(`${MQTT}\n`);
  });

  test("preview: the run-only copy of the stack file is made the same way", async () => {
    const preview = await watched(["preview", "--expect-no-changes", ...common()], ADMIN);
    expect(preview.stderr).toBe("");
    expect(preview.code).toBe(0);
    expect(preview.commandLines.some((line) => /config set .*--config-file .*--secret/.test(line))).toBe(
      true,
    );
    for (const line of preview.commandLines) {
      for (const secret of [ADMIN, WIFI, MQTT]) expect(line).not.toContain(secret);
    }
  });

  test("on a terminal, --secret KEY asks without echoing what is typed", async () => {
    const command = [process.execPath, path.join(REPO_ROOT, "bin", "shelly-fleet"), "preview"];
    const args = [...command, "--expect-no-changes", ...base(), "--secret", "secret.device-admin"];
    const quoted = args.map((arg) => `'${arg}'`).join(" ");
    // `script` gives the command a pseudo-terminal for stdin and stdout.
    const child = spawn("script", ["-qec", quoted, "/dev/null"], { env: { ...process.env, ...project.env } });
    let output = "";
    let typed = false;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (!typed && output.includes("secret.device-admin: ")) {
        typed = true;
        child.stdin.write(`${ADMIN}\r`);
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const stuck = setTimeout(() => child.kill("SIGKILL"), 120_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearTimeout(stuck);
    expect(typed).toBe(true);
    expect(output).not.toContain(ADMIN);
    expect(code, output).toBe(0);
  });

  test("--secret KEY=VALUE is refused in one line that does not repeat the value; nothing runs", async () => {
    const refused = await runCli(
      ["up", "--yes", "--stack", "site", "--dir", project.dir, "--secret", `secret.device-admin=${ADMIN}`],
      project.env,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      "shelly-fleet: --secret secret.device-admin=… would show the value to every local user (ps); use --secret KEY (reads standard input), --secret-file KEY=PATH or --secret-env KEY=VARIABLE\n",
    );
    expect(refused.stdout).toBe("");
  });

  test("two --secret KEY without a terminal, an unset variable, a missing file: one line each", async () => {
    const cases: [string[], string][] = [
      [
        ["--secret", "secret.a", "--secret", "secret.b"],
        "only one --secret KEY can read standard input (got secret.a, secret.b); give the others with --secret-file or --secret-env",
      ],
      [
        ["--secret-env", "secret.a=E2E_NOT_SET"],
        "--secret-env secret.a: the variable E2E_NOT_SET is not set",
      ],
      [
        ["--secret-file", `secret.a=${path.join(project.dir, "missing")}`],
        `--secret-file secret.a: cannot read ${path.join(project.dir, "missing")}: ENOENT`,
      ],
      [["--secret", "secret.a"], "--secret secret.a (standard input) gives an empty value for secret.a"],
    ];
    for (const [args, message] of cases) {
      const run = await watched(["preview", "--stack", "site", "--dir", project.dir, ...args], "");
      expect(run.stderr).toBe(`shelly-fleet: ${message}\n`);
      expect(run.code).toBe(2);
    }
  });
});
