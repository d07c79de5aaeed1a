// The nodejs language host of tools/language-host (what plain `pulumi preview` / `up` start when
// the Pulumi install has none): the built host started as the engine starts it, called over gRPC
// on loopback; and the command line, environment and outcome of a program run.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import * as language from "@pulumi/pulumi/proto/language_pb";
import type * as plugin from "@pulumi/pulumi/proto/plugin_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArguments } from "../../tools/language-host/main";
import {
  EXIT_AFTER_USER_MESSAGE,
  locateRunner,
  type ProgramRun,
  providerPackages,
  runnerArguments,
  runnerEnvironment,
  runOutcome,
} from "../../tools/language-host/program";
import { grpcJs } from "../../tools/language-host/runtime";

const ROOT = path.resolve(__dirname, "..", "..");
// The built host (run `tsc -p tsconfig.build.json` first), as the installed shim runs it.
const HOST = path.join(ROOT, "dist", "tools", "language-host", "main.js");

const { LanguageRuntimeClient } =
  require("@pulumi/pulumi/proto/language_grpc_pb") as typeof import("@pulumi/pulumi/proto/language_grpc_pb");

type Client = InstanceType<typeof LanguageRuntimeClient>;
type Unary = (req: unknown, done: (err: Error | null, res: unknown) => void) => unknown;

/** A unary call as a promise. */
function call<Res>(client: Client, method: keyof Client, req: unknown): Promise<Res> {
  const unary = (client[method] as Unary).bind(client);
  return new Promise((resolve, reject) =>
    unary(req, (err, res) => (err ? reject(err) : resolve(res as Res))),
  );
}

describe("the language host over gRPC", () => {
  let host: ChildProcess;
  let port: number;
  let client: Client;

  beforeAll(async () => {
    host = spawn(process.execPath, [HOST, "-root", ROOT, "-tracing", "", "127.0.0.1:1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    host.stderr?.resume(); // the runner's usage message, in the run test below
    const firstLine = await new Promise<string>((resolve) =>
      createInterface({ input: host.stdout as NodeJS.ReadableStream }).once("line", resolve),
    );
    port = Number(firstLine);
    client = new LanguageRuntimeClient(`127.0.0.1:${port}`, grpcJs.credentials.createInsecure());
  });

  afterAll(() => {
    client?.close();
    host?.kill();
  });

  it("prints the port it serves on, and only that, on its first line", () => {
    expect(port).toBeGreaterThan(0);
    expect(Number.isInteger(port)).toBe(true);
  });

  it("answers GetPluginInfo with the version of @pulumi/pulumi", async () => {
    const info = await call<plugin.PluginInfo>(client, "getPluginInfo", new Empty());
    const sdk = JSON.parse(
      fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8"),
    );
    expect(info.getVersion()).toBe(sdk.version);
  });

  it("requires no plugin for this project: its only provider is the dynamic one", async () => {
    const info = new language.ProgramInfo()
      .setRootDirectory(ROOT)
      .setProgramDirectory(ROOT)
      .setEntryPoint(".");
    const plugins = await call<language.GetRequiredPluginsResponse>(
      client,
      "getRequiredPlugins",
      new language.GetRequiredPluginsRequest().setProject("shelly-fleet").setInfo(info),
    );
    expect(plugins.getPluginsList()).toEqual([]);
    const packages = await call<language.GetRequiredPackagesResponse>(
      client,
      "getRequiredPackages",
      new language.GetRequiredPackagesRequest().setInfo(info),
    );
    expect(packages.getPackagesList()).toEqual([]);
  });

  it("accepts the engine's handshake and offers no runtime options to prompt for", async () => {
    const handshake = new language.LanguageHandshakeRequest()
      .setEngineAddress("127.0.0.1:2")
      .setRootDirectory(ROOT)
      .setProgramDirectory(ROOT);
    await expect(
      call<language.LanguageHandshakeResponse>(client, "handshake", handshake),
    ).resolves.toBeInstanceOf(language.LanguageHandshakeResponse);
    const prompts = await call<language.RuntimeOptionsResponse>(
      client,
      "runtimeOptionsPrompts",
      new language.RuntimeOptionsRequest(),
    );
    expect(prompts.getPromptsList()).toEqual([]);
  });

  it("reports the program's dependencies with their installed versions", async () => {
    const info = new language.ProgramInfo()
      .setRootDirectory(ROOT)
      .setProgramDirectory(ROOT)
      .setEntryPoint(".");
    const deps = await call<language.GetProgramDependenciesResponse>(
      client,
      "getProgramDependencies",
      new language.GetProgramDependenciesRequest().setInfo(info),
    );
    const names = deps.getDependenciesList().map((d) => `${d.getName()}@${d.getVersion()}`);
    expect(names).toContain("@pulumi/pulumi@3.270.0");
  });

  it("runs the program through its runner and reports how that ended", async () => {
    fs.mkdirSync(path.join(ROOT, ".tmp"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, ".tmp", "langhost-"));
    try {
      // The runner needs a resource monitor; without one it exits before loading the program.
      // What matters here: the host starts it from the program's @pulumi/pulumi and reports the end.
      const info = new language.ProgramInfo()
        .setRootDirectory(dir)
        .setProgramDirectory(dir)
        .setEntryPoint(".");
      const request = new language.RunRequest().setProject("p").setStack("s").setInfo(info);
      const response = await call<language.RunResponse>(client, "run", request);
      expect(response.getError()).toMatch(/non-zero exit code/);
      expect(response.getBail()).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a program run", () => {
  const run: ProgramRun = {
    monitorAddress: "127.0.0.1:100",
    engineAddress: "127.0.0.1:200",
    organization: "",
    project: "shelly-fleet",
    stack: "home",
    rootDirectory: "/fleet",
    programDirectory: "/fleet",
    entryPoint: "dist/program/entry.js",
    args: [],
    dryRun: true,
    parallel: 8,
    config: { "shelly-fleet:site": "home", "shelly-fleet:secret.wifi": "s3cret" },
    configSecretKeys: ["shelly-fleet:secret.wifi"],
    options: { typescript: false },
  };

  it("starts @pulumi/pulumi's runner with the engine's addresses, the stack and the entry point", () => {
    expect(runnerArguments(run, "/sdk/cmd/run/index.js")).toEqual([
      "/sdk/cmd/run/index.js",
      "--monitor",
      "127.0.0.1:100",
      "--engine",
      "127.0.0.1:200",
      "--project",
      "shelly-fleet",
      "--root-directory",
      "/fleet",
      "--stack",
      "home",
      "--pwd",
      "/fleet",
      "--dry-run",
      "--parallel",
      "8",
      "dist/program/entry.js",
    ]);
  });

  it("puts Node.js options first, and leaves --dry-run out of an update", () => {
    const args = runnerArguments(
      { ...run, dryRun: false, options: { nodeargs: "--max-old-space-size=4096" } },
      "r",
    );
    expect(args.slice(0, 2)).toEqual(["--max-old-space-size=4096", "r"]);
    expect(args).not.toContain("--dry-run");
  });

  it("passes the config and its secret keys in the environment; TypeScript only when asked", () => {
    const env = runnerEnvironment(run, { PATH: "/bin" });
    expect(JSON.parse(env.PULUMI_CONFIG as string)).toEqual(run.config);
    expect(JSON.parse(env.PULUMI_CONFIG_SECRET_KEYS as string)).toEqual(["shelly-fleet:secret.wifi"]);
    expect(env.PATH).toBe("/bin");
    expect(env.PULUMI_NODEJS_TYPESCRIPT).toBeUndefined();
    expect(runnerEnvironment({ ...run, options: {} }, {}).PULUMI_NODEJS_TYPESCRIPT).toBe("true");
  });

  it("bails quietly when the program has already shown its error, and names any other exit", () => {
    expect(runOutcome(0, null)).toEqual({});
    expect(runOutcome(EXIT_AFTER_USER_MESSAGE, null)).toEqual({ bail: true });
    expect(runOutcome(1, null)).toEqual({ error: "Program exited with non-zero exit code: 1" });
    expect(runOutcome(null, "SIGKILL")).toEqual({ error: "Program was stopped by signal SIGKILL" });
  });

  it("uses the runner of the program's own @pulumi/pulumi", () => {
    expect(locateRunner(ROOT)).toBe(path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/run/index.js"));
  });

  it("finds resource-provider packages in the program's node_modules, named as Pulumi names them", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "langhost-"));
    try {
      const pkg = (name: string, manifest: object) => {
        fs.mkdirSync(path.join(dir, "node_modules", name), { recursive: true });
        fs.writeFileSync(path.join(dir, "node_modules", name, "package.json"), JSON.stringify(manifest));
      };
      pkg("@pulumi/random", { name: "@pulumi/random", version: "4.16.0", pulumi: { resource: true } });
      pkg("@acme/widget", {
        name: "@acme/widget",
        version: "v1.0.0",
        pulumi: { resource: true, server: "https://x" },
      });
      pkg("left-pad", { name: "left-pad", version: "1.3.0" });
      expect(providerPackages(dir).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: "acme/widget", version: "v1.0.0", server: "https://x" },
        { name: "random", version: "v4.16.0", server: "" },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the engine's arguments", () => {
  it("takes Go-style flags, then the engine's address", () => {
    expect(parseArguments(["-root=/fleet", "-tracing", "http://zipkin", "127.0.0.1:5"])).toEqual({
      engineAddress: "127.0.0.1:5",
      tracing: "http://zipkin",
    });
    expect(parseArguments(["-typescript=false", "127.0.0.1:6"])).toEqual({ engineAddress: "127.0.0.1:6" });
    expect(parseArguments([])).toEqual({});
  });
});
