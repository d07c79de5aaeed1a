// The `shelly-fleet` command.
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { Stack } from "@pulumi/pulumi/automation";
import program from "../index";
import { describeEngineFailure, openStack, PACKAGE_ROOT } from "./engine";
import { UsageError } from "./errors";

const HELP = `shelly-fleet: Shelly device fleets as code

Usage: shelly-fleet <command> [options]

Commands (run the real Pulumi engine on this project's program):
  preview    show what \`up\` would change
  up         apply the changes
  refresh    read the live state into the stack's state
  destroy    remove the stack's resources from management
  demo       run the built-in demo: up, then a preview that must show no changes

Options:
  -s, --stack NAME          the stack (one per site); default: demo
  -C, --dir DIR             the Pulumi project directory; default: this package
      --expect-no-changes   (preview) exit non-zero if there is anything to change
  -c, --config KEY=VALUE    set a stack config value before running (repeatable)
  -h, --help                show this help
  -v, --version             print the version

Environment: source scripts/env.sh first, or run through the npm scripts, to get Node >= 22,
the Pulumi CLI and the local defaults (file backend, passphrase) described in the README.
`;

const COMMANDS = ["preview", "up", "refresh", "destroy", "demo"] as const;
type Command = (typeof COMMANDS)[number];

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      stack: { type: "string", short: "s", default: "demo" },
      dir: { type: "string", short: "C" },
      "expect-no-changes": { type: "boolean", default: false },
      config: { type: "string", short: "c", multiple: true, default: [] },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", short: "v", default: false },
    },
  });
  return { values, positionals };
}

function parseConfig(pairs: string[]): Record<string, string> {
  const config: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--config expects KEY=VALUE, got "${pair}"`);
    const key = pair.slice(0, eq);
    config[key.includes(":") ? key : `shelly-fleet:${key}`] = pair.slice(eq + 1);
  }
  return config;
}

const print = (text: string) => process.stdout.write(text);

async function runCommand(command: Command, stack: Stack, expectNoChanges: boolean): Promise<void> {
  switch (command) {
    case "preview":
      await stack.preview({ onOutput: print, expectNoChanges, diff: true });
      return;
    case "up":
      await stack.up({ onOutput: print });
      return;
    case "refresh":
      await stack.refresh({ onOutput: print });
      return;
    case "destroy":
      await stack.destroy({ onOutput: print });
      return;
    case "demo":
      print("== shelly-fleet demo: pulumi up\n");
      await stack.up({ onOutput: print });
      print("\n== shelly-fleet demo: pulumi preview --expect-no-changes\n");
      await stack.preview({ onOutput: print, expectNoChanges: true });
      print("\n== shelly-fleet demo: done; the stack is in sync\n");
      return;
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    print(HELP);
    return 0;
  }
  if (values.version) {
    print(`${require("../package.json").version}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (command === undefined) {
    process.stderr.write(HELP);
    return 2;
  }
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}"; run \`shelly-fleet --help\``);
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);

  const stack = await openStack({
    projectDir: path.resolve(values.dir ?? PACKAGE_ROOT),
    stackName: values.stack,
    program,
    config: parseConfig(values.config),
  });
  await runCommand(command as Command, stack, values["expect-no-changes"]);
  return 0;
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
    } else if (err instanceof UsageError) {
      process.stderr.write(`shelly-fleet: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else if ((err as { code?: unknown }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      process.stderr.write(`shelly-fleet: ${(err as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`shelly-fleet: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  }
}

if (require.main === module) void run(process.argv.slice(2));
