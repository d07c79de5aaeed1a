// The stack's config as the program sees it, secrets decrypted, for what the CLI does beside the
// engine (reading a device before the plan adopts it). Read from `pulumi config --json
// --show-secrets` on stdout, never through arguments or files of ours.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";

/** `shelly-fleet:key` → value; the run's private config copy when it has one. */
export async function readStackConfig(stack: Stack, configFile?: string): Promise<Map<string, string>> {
  const workspace = stack.workspace as LocalWorkspace;
  const args = ["config", "--json", "--show-secrets", "--stack", stack.name, "--non-interactive"];
  if (configFile) args.push("--config-file", configFile);
  const { stdout } = await promisify(execFile)(workspace.pulumiCommand.command, args, {
    cwd: workspace.workDir,
    env: { ...process.env, ...workspace.envVars },
    maxBuffer: 16 * 1024 * 1024,
  });
  const entries = JSON.parse(stdout) as Record<string, { value?: unknown }>;
  const config = new Map<string, string>();
  for (const [key, { value }] of Object.entries(entries)) {
    if (value !== undefined) config.set(key, typeof value === "string" ? value : JSON.stringify(value));
  }
  return config;
}
