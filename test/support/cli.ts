// Runs the built `shelly-fleet` command as a user would, in a child process.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO_ROOT, "bin", "shelly-fleet");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A scratch Pulumi project for one test: its own Pulumi.yaml, stacks/ and file backend, under
 * the repository's .tmp/ so that the dynamic-provider plugin, which starts in the project
 * directory, resolves @pulumi/pulumi from the repository's node_modules.
 */
export async function makeScratchProject(label: string): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const parent = path.join(REPO_ROOT, ".tmp");
  await fs.mkdir(parent, { recursive: true });
  const dir = await fs.mkdtemp(path.join(parent, `${label}-`));
  await fs.mkdir(path.join(dir, "stacks"));
  await fs.mkdir(path.join(dir, "state"));
  // The project's own settings, less `main`: inline programs have no entry file, and the engine
  // checks that `main` exists relative to the project directory.
  const settings = await fs.readFile(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
  await fs.writeFile(path.join(dir, "Pulumi.yaml"), settings.replace(/^main:.*\n/m, ""));
  return {
    dir,
    env: {
      PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "e2e-test-passphrase",
    },
  };
}

let secretDir: string | undefined;

/**
 * `--secret-file KEY=PATH` arguments for these secrets: each value in its own owner-only file, so
 * that it never appears in any process's arguments (removed when the test process ends).
 */
export function secretFiles(values: Record<string, string>): string[] {
  if (!secretDir) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-secrets-"));
    secretDir = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return Object.entries(values).flatMap(([key, value]) => {
    const file = path.join(secretDir as string, `${key.replace(/[^\w.-]/g, "_")}-${randomUUID()}`);
    writeFileSync(file, value, { mode: 0o600 });
    return ["--secret-file", `${key}=${file}`];
  });
}

/** A stack of one site: where its fleet files are, and the simulated firewall it manages. */
export interface SiteStack {
  project: { dir: string; env: NodeJS.ProcessEnv };
  stack: string;
  fleetRoot: string;
  opnsense: { address: string; key: string; secret: string };
  /** More `key=value` stack config. */
  config?: string[];
}

/** Runs the command on the stack named after its site, with the fleet root and the firewall in its config. */
export function runSiteCli(args: string[], site: SiteStack): Promise<CliResult> {
  const { project, stack, fleetRoot, opnsense, config = [] } = site;
  return runCli(
    [
      ...args,
      "--stack",
      stack,
      "--dir",
      project.dir,
      ...[`root=${fleetRoot}`, `site=${stack}`, ...config].flatMap((entry) => ["-c", entry]),
      "-c",
      `opnsense.url=${opnsense.address}`,
      "-c",
      `opnsense.key=${opnsense.key}`,
      ...secretFiles({ "opnsense.secret": opnsense.secret }),
    ],
    project.env,
  );
}

/** Writes `text` to `relative` under `root` (a fleet's files), making its directories. */
export async function writeUnder(root: string, relative: string, text: string): Promise<void> {
  const file = path.join(root, relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
}
