// A scratch project that plain `pulumi` runs as a user types it: the repository's Pulumi.yaml
// (its `main`, the built program) and a fleet directory beside it.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { type CliResult, makeScratchProject, REPO_ROOT, runCli, secretFiles } from "./cli";

export interface PlainProject {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** The fleet's root: `shelly-fleet:root` in the stacks the tests make. */
  fleetRoot: string;
  /** `pulumi <args> --non-interactive` in the project, with `extra` added to its environment. */
  pulumi(args: string[], extra?: NodeJS.ProcessEnv, input?: string): Promise<CliResult>;
  /** `shelly-fleet <args> --stack STACK --dir <project>`, each secret (`secret.NAME`) by --secret-file. */
  shellyFleet(stack: string, args: string[], secrets?: Record<string, string>): Promise<CliResult>;
  /** Writes a file under the fleet's root. */
  writeFleetFile(relative: string, text: string): Promise<void>;
  remove(): Promise<void>;
}

export async function makePlainProject(label: string): Promise<PlainProject> {
  const { dir, env } = await makeScratchProject(label);
  const settings = await fs.readFile(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
  const main = /^main: (.*)$/m.exec(settings)?.[1] as string;
  await fs.writeFile(
    path.join(dir, "Pulumi.yaml"),
    settings.replace(/^main:.*$/m, `main: ${path.relative(dir, path.join(REPO_ROOT, main))}`),
  );
  const fleetRoot = path.join(dir, "fleet");
  return {
    dir,
    env,
    fleetRoot,
    pulumi: (args, extra = {}, input = "") =>
      new Promise((resolve) => {
        execFile(
          "pulumi",
          [...args, "--non-interactive"],
          { cwd: dir, env: { ...process.env, ...env, ...extra }, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        ).stdin?.end(input);
      }),
    shellyFleet: (stack, args, secrets = {}) =>
      runCli([...args, "--stack", stack, "--dir", dir, ...secretFiles(secrets)], env),
    async writeFleetFile(relative, text) {
      const file = path.join(fleetRoot, relative);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, text);
    },
    remove: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
