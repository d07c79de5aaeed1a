// The `shelly-fleet` command: a registry of subcommands, each in cli/commands/.

import { describeEngineFailure } from "../automation/stack";
import { UsageError } from "../errors";
import { ShellyError } from "../providers/shelly/client/errors";
import type { Command } from "./command";
import { print } from "./command";
import { adoptCommand } from "./commands/adopt";
import { backupCommand } from "./commands/backup";
import { demoCommand } from "./commands/demo";
import { diffCommand } from "./commands/diff";
import { discoverCommand } from "./commands/discover";
import { engineCommands } from "./commands/engine";
import { explainCommand } from "./commands/explain";
import { exportCommand } from "./commands/export";
import { prCommentCommand } from "./commands/pr-comment";
import { provisionerCommand } from "./commands/provisioner";
import { recoverCommand } from "./commands/recover";
import { restoreCommand } from "./commands/restore";
import { schemaCommand } from "./commands/schema";
import { simCommand } from "./commands/sim";
import { statusCommand } from "./commands/status";
import { validateCommand } from "./commands/validate";
import { wakeListenerCommand } from "./commands/wake-listener";

/** Every subcommand, in the order `--help` lists them. Add new ones here. */
export const COMMANDS: readonly Command[] = [
  ...engineCommands,
  simCommand,
  adoptCommand,
  discoverCommand,
  statusCommand,
  validateCommand,
  explainCommand,
  schemaCommand,
  diffCommand,
  exportCommand,
  backupCommand,
  restoreCommand,
  prCommentCommand,
  demoCommand,
  recoverCommand,
  provisionerCommand,
  wakeListenerCommand,
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `shelly-fleet: Shelly device fleets as code

Usage: shelly-fleet <command> [options]

Commands:
${list}

Run \`shelly-fleet <command> --help\` for a command's options.

Environment: source scripts/env.sh first, or run through the npm scripts, to get Node >= 22,
the Pulumi CLI and the local defaults (file backend, passphrase) described in the README.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(mainHelp());
    return 2;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    print(mainHelp());
    return 0;
  }
  if (name === "-v" || name === "--version") {
    print(`${require("../../package.json").version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    throw new UsageError(`unknown command "${name}"; run \`shelly-fleet --help\``);
  }
  return command.run(rest);
}

/**
 * Pulumi's closure serializer loads every builtin module to name them, node:sqlite included,
 * whose first load prints an ExperimentalWarning that says nothing about this tool.
 */
function quietSqliteWarning(): void {
  const defaultHandlers = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (warning.name === "ExperimentalWarning" && /SQLite/.test(warning.message)) return;
    for (const handler of defaultHandlers) handler(warning);
  });
}

/** Runs the command line and sets the process exit code; user mistakes never print a stack trace. */
export async function run(argv: string[]): Promise<void> {
  quietSqliteWarning();
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    const engineFailure = describeEngineFailure(err);
    if (engineFailure) {
      process.stderr.write(`shelly-fleet: ${engineFailure.message}\n`);
      process.exitCode = engineFailure.exitCode;
    } else if (err instanceof ShellyError) {
      // A device that does not answer, or refuses the password: the message names it and the call.
      process.stderr.write(`shelly-fleet: ${err.message}\n`);
      process.exitCode = 1;
    } else if (err instanceof UsageError) {
      process.stderr.write(`shelly-fleet: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else if (String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`shelly-fleet: ${(err as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`shelly-fleet: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  }
}

if (require.main === module) void run(process.argv.slice(2));
