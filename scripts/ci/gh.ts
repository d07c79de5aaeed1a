// Runs the GitHub CLI (`gh`) for the CI scripts: in the workflows GH_TOKEN authenticates it and
// the checkout tells it the repository.
import { execFileSync } from "node:child_process";

export function gh(args: string[], input?: string): string {
  try {
    return execFileSync("gh", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(`gh ${args.slice(0, 3).join(" ")} failed: ${stderr || (err as Error).message}`);
  }
}

/** Runs a CI script's main; failures print one line and exit 1. */
export function runScript(name: string, main: (argv: string[]) => Promise<void> | void): void {
  Promise.resolve()
    .then(() => main(process.argv.slice(2)))
    .catch((err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      process.exitCode = 1;
    });
}
