// The `shelly-fleet` command: a registry of subcommands, each in cli/commands/.

import { describeEngineFailure } from "../automation/stack";
import { UsageError } from "../errors";
import { ShellyError } from "../providers/shelly/client/errors";
import type { Command } from "./command";
import { print } from "./command";

/** The commands of one module, named here so that none has to load to be found. */
export interface CommandModule {
  names: readonly string[];
  load(): Promise<readonly Command[]>;
}

/**
 * Where each subcommand lives, in the order `--help` lists them. A module loads only when one
 * of its commands runs: loading all of them (undici, isomorphic-git, the simulators) took longer
 * than `validate` itself. Add new commands here; test/unit/cli-registry.test.ts checks the names.
 */
export const COMMAND_MODULES: readonly CommandModule[] = [
  {
    names: ["preview", "up", "refresh", "destroy"],
    load: async () => (await import("./commands/engine.js")).engineCommands,
  },
  { names: ["sim"], load: async () => [(await import("./commands/sim.js")).simCommand] },
  {
    names: ["adopt"],
    load: async () => [(await import("./commands/adopt.js")).adoptCommand],
  },
  {
    names: ["discover"],
    load: async () => [(await import("./commands/discover.js")).discoverCommand],
  },
  {
    names: ["status"],
    load: async () => [(await import("./commands/status.js")).statusCommand],
  },
  {
    names: ["report"],
    load: async () => [(await import("./commands/report.js")).reportCommand],
  },
  {
    names: ["validate"],
    load: async () => [(await import("./commands/validate.js")).validateCommand],
  },
  {
    names: ["explain"],
    load: async () => [(await import("./commands/explain.js")).explainCommand],
  },
  {
    names: ["schema"],
    load: async () => [(await import("./commands/schema.js")).schemaCommand],
  },
  {
    names: ["diff"],
    load: async () => [(await import("./commands/diff.js")).diffCommand],
  },
  {
    names: ["export"],
    load: async () => [(await import("./commands/export.js")).exportCommand],
  },
  {
    names: ["backup"],
    load: async () => [(await import("./commands/backup.js")).backupCommand],
  },
  {
    names: ["restore"],
    load: async () => [(await import("./commands/restore.js")).restoreCommand],
  },
  {
    names: ["pr-comment"],
    load: async () => [(await import("./commands/pr-comment.js")).prCommentCommand],
  },
  {
    names: ["demo"],
    load: async () => [(await import("./commands/demo.js")).demoCommand],
  },
  {
    names: ["recover"],
    load: async () => [(await import("./commands/recover.js")).recoverCommand],
  },
  {
    names: ["wake-listener"],
    load: async () => [(await import("./commands/wake-listener.js")).wakeListenerCommand],
  },
  {
    names: ["provisioner"],
    load: async () => [(await import("./commands/provisioner.js")).provisionerCommand],
  },
];

/** Every subcommand, in the order `--help` lists them; loads every command module. */
export async function allCommands(): Promise<readonly Command[]> {
  return (await Promise.all(COMMAND_MODULES.map((module) => module.load()))).flat();
}

async function mainHelp(): Promise<string> {
  const commands = await allCommands();
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
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
    process.stderr.write(await mainHelp());
    return 2;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    print(await mainHelp());
    return 0;
  }
  if (name === "-v" || name === "--version") {
    print(`${require("../../package.json").version}\n`);
    return 0;
  }
  const module = COMMAND_MODULES.find((entry) => entry.names.includes(name));
  const command = (await module?.load())?.find((c) => c.name === name);
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
