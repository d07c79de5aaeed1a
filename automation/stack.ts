// Drives the real Pulumi engine through the Automation API with the program as an inline
// function. The engine then talks to this process over `--client`, so no nodejs language host
// binary is needed (see README, "Development"): the same program also runs under `pulumi`.
import * as path from "node:path";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { UsageError } from "../errors";

export const PROJECT_NAME = "shelly-fleet";

/** The package root: where Pulumi.yaml, stacks/ and node_modules/@pulumi/pulumi are. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

export interface StackOptions {
  /** The Pulumi project directory (Pulumi.yaml); the dynamic-provider plugin starts there. */
  projectDir: string;
  stackName: string;
  program: PulumiFn;
  /** Stack config to set before running, as `key: value` (namespaced keys, e.g. `shelly-fleet:site`). */
  config?: Record<string, string>;
  /** The same, stored as secrets (encrypted in the stack file, secret in state). */
  secrets?: Record<string, string>;
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
  };
}

/** The fleet program (index.ts), loaded when an engine command runs: it pulls in Pulumi. */
export function loadProgram(): PulumiFn {
  return (require("../index") as typeof import("../index")).default;
}

export async function openStack(options: StackOptions): Promise<Stack> {
  // Loaded on first use: the Automation API takes a second to load, which commands such as
  // validate (a pre-commit hook) should not pay.
  const { LocalWorkspace, PulumiCommand } =
    require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  const pulumiCommand = await PulumiCommand.get().catch((err: unknown) => {
    const detail = describeEngineFailure(err)?.message ?? (err as Error).message;
    throw new UsageError(
      /ENOENT/.test(detail)
        ? "the Pulumi CLI is not on PATH: run through the npm scripts, or `source scripts/env.sh` first"
        : `\`pulumi version\` failed: ${detail}`,
      1,
    );
  });
  const stack = await LocalWorkspace.createOrSelectStack(
    { projectName: PROJECT_NAME, stackName: options.stackName, program: options.program },
    { workDir: options.projectDir, pulumiCommand, envVars: engineEnvironment() },
  );
  for (const [key, value] of Object.entries(options.config ?? {})) {
    await stack.setConfig(key, { value });
  }
  for (const [key, value] of Object.entries(options.secrets ?? {})) {
    await stack.setConfig(key, { value, secret: true });
  }
  return stack;
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
