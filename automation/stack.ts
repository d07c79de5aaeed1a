// Drives the real Pulumi engine through the Automation API with the program as an inline
// function. The engine then talks to this process over `--client`, so no nodejs language host
// binary is needed (see README, "Development"): the same program also runs under `pulumi`.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LocalWorkspace, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { UsageError } from "../errors";

export const PROJECT_NAME = "shelly-fleet";

/** The package root: where Pulumi.yaml, stacks/ and node_modules/@pulumi/pulumi are. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

export interface StackOptions {
  /** The Pulumi project directory (Pulumi.yaml); the dynamic-provider plugin starts there. */
  projectDir: string;
  stackName: string;
  program: PulumiFn;
  /** Create the stack when it does not exist; without this, an unknown name is a usage error. */
  create?: boolean;
}

/** Stack config given on the command line, as `key: value` (namespaced keys, e.g. `shelly-fleet:site`). */
export interface CommandLineConfig {
  config: Record<string, string>;
  /** The same, stored as secrets (encrypted in the stack file, secret in state). */
  secrets: Record<string, string>;
}

/**
 * The engine rewrites the whole state file after every resource step by default: quadratic in
 * the fleet's size (1,000 devices: minutes of JSON). shelly-fleet saves the state once at the
 * end instead (PULUMI_SKIP_CHECKPOINTS), which is safe for its resources: creating a device or an
 * OPNsense object adopts what exists, updates re-read before writing, and every device write is
 * journaled. A run killed halfway therefore converges on the next one (README, "Interrupted
 * runs"). Set PULUMI_SKIP_CHECKPOINTS=false to keep per-step checkpoints.
 */
export function engineEnvironment(): Record<string, string> {
  return {
    PULUMI_SKIP_CHECKPOINTS: process.env.PULUMI_SKIP_CHECKPOINTS ?? "true",
    // check and diff are pure and fast in every provider here, so they may run in parallel.
    PULUMI_PARALLEL_DIFF: process.env.PULUMI_PARALLEL_DIFF ?? "true",
    NODE_OPTIONS: pluginNodeOptions(process.env.NODE_OPTIONS),
  };
}

/**
 * Node's options for the processes the engine starts (the dynamic-provider hosts, the policy
 * pack). A provider host's live heap stays near 50 MB, but it turns over a request's worth of
 * short-lived objects per device, and V8's default young generation (sized for the machine's
 * memory) let the hosts of a 1,000-device preview reach 540 MB resident. 16 MB semi-spaces kept
 * them near 455 MB, at a CPU cost lost in the noise of five runs. The user's NODE_OPTIONS come
 * first, and a semi-space size they set wins.
 */
export function pluginNodeOptions(userOptions: string | undefined): string {
  const options = (userOptions ?? "").trim();
  if (/--max-semi-space-size/.test(options)) return options;
  return `${options} --max-semi-space-size=16`.trim();
}

/** The fleet program (index.ts), loaded when an engine command runs: it pulls in Pulumi. */
export function loadProgram(): PulumiFn {
  return (require("../index") as typeof import("../index")).default;
}

export async function openStack(options: StackOptions): Promise<Stack> {
  // Loaded on first use: the Automation API takes a second to load, which commands such as
  // validate (a pre-commit hook) should not pay.
  const automation = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  const pulumiCommand = await automation.PulumiCommand.get().catch((err: unknown) => {
    const detail = describeEngineFailure(err)?.message ?? (err as Error).message;
    throw new UsageError(
      /ENOENT/.test(detail)
        ? "the Pulumi CLI is not on PATH: run through the npm scripts, or `source scripts/env.sh` first"
        : `\`pulumi version\` failed: ${detail}`,
      1,
    );
  });
  const args = { projectName: PROJECT_NAME, stackName: options.stackName, program: options.program };
  const workspaceOptions = { workDir: options.projectDir, pulumiCommand, envVars: engineEnvironment() };
  if (options.create) return automation.LocalWorkspace.createOrSelectStack(args, workspaceOptions);
  try {
    return await automation.LocalWorkspace.selectStack(args, workspaceOptions);
  } catch (err) {
    if (!(err instanceof automation.StackNotFoundError)) throw err;
    // A misspelt --stack must not become a new, empty stack (whose up would adopt nothing).
    const workspace = await automation.LocalWorkspace.create({
      ...workspaceOptions,
      program: options.program,
    });
    const names = (await workspace.listStacks()).map((stack) => stack.name);
    throw new UsageError(
      `no stack "${options.stackName}" in this project (${names.length > 0 ? `existing: ${names.join(", ")}` : "none exists yet"}); pass --create to create it`,
    );
  }
}

/** Saves command-line config into the stack's config file (stacks/Pulumi.<stack>.yaml). */
export async function saveConfig(stack: Stack, values: CommandLineConfig): Promise<void> {
  await setConfigValues(stack, values, []);
}

/**
 * `pulumi config set` for each value. Plain values go as arguments; a secret goes on the child's
 * standard input (the CLI reads the value from there when none is given), never in its arguments,
 * which every local user can read.
 */
async function setConfigValues(stack: Stack, values: CommandLineConfig, extraArgs: string[]): Promise<void> {
  const workspace = stack.workspace as LocalWorkspace;
  const target = ["--stack", stack.name, ...extraArgs, "--non-interactive"];
  const run = (args: string[], stdin?: string) =>
    runPulumi(workspace, args, stdin).catch((err: Error) => {
      throw new UsageError(`could not use the --config/--secret values: ${err.message}`, 1);
    });
  const plain = Object.entries(values.config).flatMap(([key, value]) => ["--plaintext", `${key}=${value}`]);
  if (plain.length > 0) await run(["config", "set-all", ...target, ...plain]);
  for (const [key, value] of Object.entries(values.secrets)) {
    await run(["config", "set", ...target, "--secret", key], value);
  }
}

/** Runs the workspace's pulumi with `stdin` as its whole input; rejects with its error line. */
function runPulumi(workspace: LocalWorkspace, args: string[], stdin = ""): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(workspace.pulumiCommand.command, args, {
      cwd: workspace.workDir,
      env: { ...process.env, ...workspace.envVars },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(stderr.trim().replace(/^error: /, "") || `pulumi exited with ${code}`));
    });
    child.stdin.end(stdin);
  });
}

/**
 * Runs `run` with the stack's config plus command-line values, leaving the committed stack file
 * untouched: the values go into a private copy of it, which the engine reads instead
 * (`--config-file`). A run killed halfway leaves at most that copy behind, never an edited file.
 */
export async function withCommandLineConfig<T>(
  stack: Stack,
  values: CommandLineConfig,
  run: (configFile: string | undefined) => Promise<T>,
): Promise<T> {
  if (Object.keys(values.config).length + Object.keys(values.secrets).length === 0) return run(undefined);
  const workspace = stack.workspace as LocalWorkspace;
  const committed = await stackConfigFile(workspace, stack.name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-config-"));
  const copy = path.join(dir, path.basename(committed));
  try {
    // The copy keeps the stack's encryption salt, so secrets set into it decrypt as usual.
    if (fs.existsSync(committed)) fs.copyFileSync(committed, copy);
    await setConfigValues(stack, values, ["--config-file", copy]);
    return await run(copy);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** stacks/Pulumi.<stack>.yaml, or wherever the project's `stackConfigDir` puts it. */
async function stackConfigFile(workspace: LocalWorkspace, stackName: string): Promise<string> {
  // stackConfigDir is in Pulumi.yaml but not in the SDK's typings; `config` is its old name.
  const settings = (await workspace.projectSettings()) as { stackConfigDir?: string; config?: string };
  const dir = settings.stackConfigDir ?? settings.config ?? "";
  return path.join(workspace.workDir, dir, `Pulumi.${stackName.split("/").pop()}.yaml`);
}

/** The exit code and the engine's own error text, for a failed engine command. */
export function describeEngineFailure(err: unknown): { exitCode: number; message: string } | undefined {
  // The Automation API's CommandError, recognized by shape so that this module need not load it.
  if (!(err instanceof Error) || !("commandResult" in err)) return undefined;
  // The result is private in the SDK's typings but a plain field at run time. A non-zero exit
  // arrives as the process runner's error, which holds the real exit code and stderr.
  type Failed = { exitCode?: number; stderr?: string };
  const result = (err as unknown as { commandResult?: Failed & { code?: number; err?: Failed } })
    .commandResult;
  const code = result?.err?.exitCode ?? result?.code ?? 1;
  const stderr = result?.err?.stderr ?? result?.stderr;
  const exitCode = code > 0 ? code : 1;
  // The engine's own report is already on stdout; stderr holds only its closing error, if any.
  let message =
    stderr?.trim().replace(/^error: /, "") || `the engine failed (exit ${exitCode}); see its output above`;
  if (/currently locked/.test(message)) {
    message +=
      "\nIf the run that holds the lock was killed, run `shelly-fleet recover` for this stack first.";
  }
  if (/unexpected end of JSON input|could not deserialize deployment|unexpected EOF/.test(message)) {
    // A state save cut short (full disk, power cut): recover restores the last complete state.
    message +=
      "\nThe stack's state file looks cut short: free some space, then run `shelly-fleet recover` for this stack.";
  }
  return { exitCode, message };
}
