// What the language host needs to run a Pulumi program and report its end, kept free of gRPC so
// that it can be tested alone: the `node` command line and environment for @pulumi/pulumi's
// program runner (cmd/run), and the Run response for the way that process ended.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

/**
 * The runner exits with this code after it has already shown the user an actionable message
 * (a RunError, a failed resource): the engine must then stop without printing anything more.
 * Defined by @pulumi/pulumi's cmd/run (`nodeJSProcessExitedAfterLoggingUserActionableMessage`).
 */
export const EXIT_AFTER_USER_MESSAGE = 32;

/** The parts of a RunRequest that decide how the program is started. */
export interface ProgramRun {
  monitorAddress: string;
  engineAddress?: string;
  organization?: string;
  project: string;
  stack: string;
  rootDirectory: string;
  programDirectory: string;
  /** The file or directory to run, relative to programDirectory ("." for the directory itself). */
  entryPoint: string;
  args: string[];
  dryRun: boolean;
  parallel: number;
  tracing?: string;
  config: Record<string, string>;
  configSecretKeys: string[];
  /** Pulumi.yaml `runtime.options`. */
  options: Record<string, unknown>;
}

/** The runner of the @pulumi/pulumi that the program itself loads, as the official host picks it. */
export function locateRunner(programDirectory: string): string {
  return createRequire(path.join(programDirectory, "package.json")).resolve("@pulumi/pulumi/cmd/run");
}

/** Arguments after `node`: the runner's flags, then the entry point and the program's own arguments. */
export function runnerArguments(run: ProgramRun, runner: string): string[] {
  const options = nodeOptions(run.options);
  const flag = (name: string, value: string | undefined): string[] => (value ? [`--${name}`, value] : []);
  return [
    ...options.nodeArgs,
    runner,
    ...flag("monitor", run.monitorAddress),
    ...flag("engine", run.engineAddress),
    ...flag("organization", run.organization),
    ...flag("project", run.project),
    ...flag("root-directory", run.rootDirectory),
    ...flag("stack", run.stack),
    ...flag("pwd", run.programDirectory),
    ...(run.dryRun ? ["--dry-run"] : []),
    ...flag("parallel", String(run.parallel)),
    ...flag("tracing", run.tracing),
    run.entryPoint || ".",
    ...run.args,
  ];
}

/** The runner reads the stack's config, and which of its keys are secret, from the environment. */
export function runnerEnvironment(run: ProgramRun, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const options = nodeOptions(run.options);
  const env: NodeJS.ProcessEnv = {
    ...base,
    PULUMI_CONFIG: JSON.stringify(run.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(run.configSecretKeys),
  };
  if (options.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (options.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  return env;
}

/** Pulumi.yaml's nodejs runtime options that change how a program starts (TypeScript is on by default). */
function nodeOptions(options: Record<string, unknown>): {
  typescript: boolean;
  tsconfig?: string;
  nodeArgs: string[];
} {
  const nodeargs = typeof options.nodeargs === "string" ? options.nodeargs : "";
  return {
    typescript: options.typescript !== false && options.typescript !== "false",
    tsconfig: typeof options.tsconfig === "string" && options.tsconfig ? options.tsconfig : undefined,
    nodeArgs: nodeargs.split(/\s+/).filter((arg) => arg !== ""),
  };
}

/** The Run response for how the program's process ended. */
export function runOutcome(
  code: number | null,
  signal: NodeJS.Signals | null,
): { error?: string; bail?: boolean } {
  if (code === 0) return {};
  // The runner has shown the error itself (without a stack trace for a RunError): add nothing.
  if (code === EXIT_AFTER_USER_MESSAGE) return { bail: true };
  if (code !== null) return { error: `Program exited with non-zero exit code: ${code}` };
  return { error: `Program was stopped by signal ${signal ?? "unknown"}` };
}

/** A resource-provider package the program depends on (package.json `"pulumi": { "resource": true }`). */
export interface ProviderPackage {
  name: string;
  version: string;
  server: string;
}

/**
 * The resource providers among the packages installed in the program's node_modules, named and
 * versioned the way the official host names them: `@pulumi/aws` → `aws`, `@acme/x` → `acme/x`.
 */
export function providerPackages(programDirectory: string): ProviderPackage[] {
  const modules = path.join(programDirectory, "node_modules");
  const packageDirs = readDirs(modules).flatMap((name) =>
    name.startsWith("@") ? readDirs(path.join(modules, name)).map((sub) => `${name}/${sub}`) : [name],
  );
  return packageDirs.flatMap((dir) => {
    const manifest = readManifest(path.join(modules, dir, "package.json"));
    const pulumi = manifest?.pulumi;
    if (!manifest || !pulumi?.resource) return [];
    const name = pulumi.name ?? manifest.name?.replace(/^@pulumi\//, "").replace(/^@/, "");
    const version = pulumi.version ?? manifest.version;
    if (!name || !version) return [];
    return [
      { name, version: version.startsWith("v") ? version : `v${version}`, server: pulumi.server ?? "" },
    ];
  });
}

interface Manifest {
  name?: string;
  version?: string;
  pulumi?: { resource?: boolean; name?: string; version?: string; server?: string };
}

function readDirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || entry.isSymbolicLink())
      .map((entry) => entry.name)
      .filter((name) => !name.startsWith("."));
  } catch {
    return [];
  }
}

function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}
