// The LanguageRuntime gRPC service for Node.js programs: what `pulumi preview`, `up`, `refresh`,
// `destroy`, `stack output` and `config` ask of a language host. The program itself runs in a
// child `node` process through @pulumi/pulumi's own runner (cmd/run), as with the official host.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import * as language from "@pulumi/pulumi/proto/language_pb";
import * as plugin from "@pulumi/pulumi/proto/plugin_pb";
import {
  locateRunner,
  type ProgramRun,
  providerPackages,
  runnerArguments,
  runnerEnvironment,
  runOutcome,
} from "./program";

/** Loaded through @pulumi/pulumi, so that messages are instances of the classes its generated code checks. */
const protoRequire = createRequire(require.resolve("@pulumi/pulumi/proto/language_grpc_pb"));
export const grpcJs = protoRequire("@grpc/grpc-js") as typeof grpc;
const { LanguageRuntimeService } = protoRequire(
  "./language_grpc_pb",
) as typeof import("@pulumi/pulumi/proto/language_grpc_pb");
const { Empty } = protoRequire(
  "google-protobuf/google/protobuf/empty_pb",
) as typeof import("google-protobuf/google/protobuf/empty_pb");

export { LanguageRuntimeService };

/** How long a cancelled program has to stop after SIGINT before it is killed. */
const CANCEL_GRACE_MS = 5_000;

export interface HostSettings {
  /** The engine's gRPC address: the host's argument, or the Handshake's. */
  engineAddress?: string;
  /** A Zipkin-compatible endpoint (-tracing), passed on to the runner. */
  tracing?: string;
  version: string;
}

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

/** The service's handlers; methods not listed answer UNIMPLEMENTED (templates, codegen, packing). */
export function languageRuntime(settings: HostSettings): grpc.UntypedServiceImplementation {
  const running = new Set<ChildProcess>();

  const handshake: Unary<language.LanguageHandshakeRequest, language.LanguageHandshakeResponse> = (
    call,
    done,
  ) => {
    settings.engineAddress = call.request.getEngineAddress() || settings.engineAddress;
    done(null, new language.LanguageHandshakeResponse());
  };

  const getPluginInfo: Unary<unknown, plugin.PluginInfo> = (_call, done) => {
    done(null, new plugin.PluginInfo().setVersion(settings.version));
  };

  const getRequiredPlugins: Unary<language.GetRequiredPluginsRequest, language.GetRequiredPluginsResponse> = (
    call,
    done,
  ) => {
    const plugins = providerPackages(programDirectory(call.request.getInfo(), call.request.getProgram())).map(
      (p) =>
        new plugin.PluginDependency()
          .setName(p.name)
          .setKind("resource")
          .setVersion(p.version)
          .setServer(p.server),
    );
    done(null, new language.GetRequiredPluginsResponse().setPluginsList(plugins));
  };

  const getRequiredPackages: Unary<
    language.GetRequiredPackagesRequest,
    language.GetRequiredPackagesResponse
  > = (call, done) => {
    const packages = providerPackages(programDirectory(call.request.getInfo())).map((p) =>
      new plugin.PackageDependency()
        .setName(p.name)
        .setKind("resource")
        .setVersion(p.version)
        .setServer(p.server),
    );
    done(null, new language.GetRequiredPackagesResponse().setPackagesList(packages));
  };

  const run: Unary<language.RunRequest, language.RunResponse> = (call, done) => {
    const request = call.request;
    const info = request.getInfo();
    const programRun: ProgramRun = {
      monitorAddress: request.getMonitorAddress(),
      engineAddress: settings.engineAddress,
      organization: request.getOrganization(),
      project: request.getProject(),
      stack: request.getStack(),
      rootDirectory: info?.getRootDirectory() || request.getPwd(),
      programDirectory: programDirectory(info, request.getPwd()),
      entryPoint: info?.getEntryPoint() || request.getProgram() || ".",
      args: request.getArgsList(),
      dryRun: request.getDryrun(),
      parallel: request.getParallel(),
      tracing: settings.tracing,
      config: Object.fromEntries(request.getConfigMap().toObject()),
      configSecretKeys: request.getConfigsecretkeysList(),
      options: (info?.getOptions()?.toJavaScript() ?? {}) as Record<string, unknown>,
    };
    const respond = (outcome: { error?: string; bail?: boolean }) =>
      done(null, new language.RunResponse().setError(outcome.error ?? "").setBail(outcome.bail ?? false));

    let runner: string;
    try {
      runner = locateRunner(programRun.programDirectory);
    } catch {
      respond({
        error: `@pulumi/pulumi is not installed for the program in ${programRun.programDirectory}: run \`npm ci\` (or \`npm install\`) there first`,
      });
      return;
    }
    // The program writes straight to the host's stdout and stderr, which the engine shows.
    const child = spawn(process.execPath, runnerArguments(programRun, runner), {
      env: runnerEnvironment(programRun, process.env),
      stdio: ["ignore", "inherit", "inherit"],
    });
    running.add(child);
    child.on("error", (err) => {
      running.delete(child);
      respond({ error: `could not start the program with ${process.execPath}: ${err.message}` });
    });
    child.on("exit", (code, signal) => {
      running.delete(child);
      respond(runOutcome(code, signal));
    });
  };

  const cancel: Unary<unknown, unknown> = (_call, done) => {
    for (const child of running) {
      child.kill("SIGINT");
      setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), CANCEL_GRACE_MS).unref();
    }
    done(null, new Empty());
  };

  const getProgramDependencies: Unary<
    language.GetProgramDependenciesRequest,
    language.GetProgramDependenciesResponse
  > = (call, done) => {
    const dir = programDirectory(call.request.getInfo(), call.request.getPwd());
    const dependencies = installedDependencies(dir).map(({ name, version }) =>
      new language.DependencyInfo().setName(name).setVersion(version),
    );
    done(null, new language.GetProgramDependenciesResponse().setDependenciesList(dependencies));
  };

  // Dependencies are installed by the project's own scripts (`npm ci`): nothing to stream.
  const installDependencies: grpc.handleServerStreamingCall<
    language.InstallDependenciesRequest,
    language.InstallDependenciesResponse
  > = (call) => call.end();

  const about: Unary<language.AboutRequest, language.AboutResponse> = (_call, done) => {
    done(null, new language.AboutResponse().setExecutable(process.execPath).setVersion(process.version));
  };

  const runtimeOptionsPrompts: Unary<language.RuntimeOptionsRequest, language.RuntimeOptionsResponse> = (
    _call,
    done,
  ) => done(null, new language.RuntimeOptionsResponse());

  // Policy packs (kind "analyzer"): since CLI 3.221 the engine asks the language host to start
  // them, in place of the old `pulumi-analyzer-policy` shim. As the official host does: node runs
  // @pulumi/pulumi/cmd/run-policy-pack from the pack's own dependencies, in the pack's directory,
  // with the engine's address and then the pack's directory; its output is streamed back, and the
  // engine reads the analyzer's port from its first line.
  const runPlugin: grpc.handleServerStreamingCall<language.RunPluginRequest, language.RunPluginResponse> = (
    call,
  ) => {
    const request = call.request;
    const dir = programDirectory(request.getInfo(), request.getPwd());
    const fail = (message: string) => {
      call.write(new language.RunPluginResponse().setStderr(Buffer.from(`${message}\n`)));
      call.write(new language.RunPluginResponse().setExitcode(1));
      call.end();
    };
    if (request.getKind() !== "analyzer") {
      fail(
        `pulumi-language-nodejs (shelly-fleet): only policy packs run as plugins here, not "${request.getKind()}"`,
      );
      return;
    }
    let entry: string;
    try {
      entry = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
    } catch {
      fail(`@pulumi/pulumi is not installed for the policy pack in ${dir}: run \`npm ci\` there first`);
      return;
    }
    const env = Object.fromEntries(
      request
        .getEnvList()
        .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
    );
    const child = spawn(process.execPath, [entry, ...request.getArgsList(), dir], {
      cwd: dir,
      env: request.getEnvList().length > 0 ? env : process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    child.stdout?.on("data", (chunk: Buffer) =>
      call.write(new language.RunPluginResponse().setStdout(chunk)),
    );
    child.stderr?.on("data", (chunk: Buffer) =>
      call.write(new language.RunPluginResponse().setStderr(chunk)),
    );
    // The engine cancels the call when it is done with the pack.
    call.on("cancelled", () => child.kill("SIGTERM"));
    child.on("error", (err) => {
      running.delete(child);
      fail(`could not start the policy pack with ${process.execPath}: ${err.message}`);
    });
    child.on("close", (code, signal) => {
      running.delete(child);
      if (call.cancelled) return;
      call.write(new language.RunPluginResponse().setExitcode(code ?? (signal ? 1 : 0)));
      call.end();
    });
  };

  return {
    handshake,
    runPlugin,
    getPluginInfo,
    getRequiredPlugins,
    getRequiredPackages,
    run,
    cancel,
    getProgramDependencies,
    installDependencies,
    about,
    runtimeOptionsPrompts,
  } as grpc.UntypedServiceImplementation;
}

/** Where the program lives: the engine's ProgramInfo, else the directory it names in older requests. */
function programDirectory(info: language.ProgramInfo | undefined, fallback = process.cwd()): string {
  return info?.getProgramDirectory() || fallback || process.cwd();
}

/** The program's direct dependencies (package.json) with the versions installed for it. */
function installedDependencies(dir: string): { name: string; version: string }[] {
  const read = (file: string): { version?: string; dependencies?: Record<string, string> } | undefined => {
    try {
      return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      return undefined;
    }
  };
  const manifest = read(path.join(dir, "package.json"));
  return Object.entries(manifest?.dependencies ?? {}).map(([name, wanted]) => ({
    name,
    version: read(path.join(dir, "node_modules", name, "package.json"))?.version ?? wanted,
  }));
}
