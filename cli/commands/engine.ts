// preview, up, refresh, destroy, demo: the real Pulumi engine on this project's program.
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { Stack } from "@pulumi/pulumi/automation";
import { loadProgram, openStack, PACKAGE_ROOT } from "../../automation/stack";
import { UsageError } from "../../errors";
import { PreviewDigestBuilder } from "../../review/preview-json";
import { type Command, print } from "../command";
import { EXIT_DEVICES_NEED_ATTENTION, previewWithFieldSummary, upWithSummary } from "../engine-runs";

const OPTIONS_HELP = `Options:
  -s, --stack NAME          the stack (one per site); default: demo
  -C, --dir DIR             the Pulumi project directory; default: this package
  -c, --config KEY=VALUE    set a stack config value before running (repeatable; a key
                            without a namespace gets "shelly-fleet:")
      --secret KEY=VALUE    the same, stored encrypted (device passwords, WiFi keys)
  -p, --parallel N          device operations in flight at once (the engine's default: 4 per CPU)
  -h, --help                show this help`;

function parseConfig(pairs: string[], option = "--config"): Record<string, string> {
  const config: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`${option} expects KEY=VALUE, got "${pair}"`);
    const key = pair.slice(0, eq);
    config[key.includes(":") ? key : `shelly-fleet:${key}`] = pair.slice(eq + 1);
  }
  return config;
}

type EngineAct = (
  stack: Stack,
  flags: { expectNoChanges: boolean; json: boolean; parallel?: number },
) => Promise<number | undefined>;

function engineCommand(name: string, summary: string, extraHelp: string, act: EngineAct): Command {
  const help = `Usage: shelly-fleet ${name} [options]\n\n${summary}.\n\n${OPTIONS_HELP}\n${extraHelp}`;
  return {
    name,
    summary,
    help,
    async run(argv) {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          stack: { type: "string", short: "s", default: "demo" },
          dir: { type: "string", short: "C" },
          config: { type: "string", short: "c", multiple: true, default: [] },
          secret: { type: "string", multiple: true, default: [] },
          "expect-no-changes": { type: "boolean", default: false },
          json: { type: "boolean", default: false },
          parallel: { type: "string", short: "p" },
          help: { type: "boolean", short: "h", default: false },
        },
      });
      if (values.help) {
        print(help);
        return 0;
      }
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      if (values["expect-no-changes"] && name !== "preview") {
        throw new UsageError("--expect-no-changes applies to preview only");
      }
      if (values.json && name !== "preview") throw new UsageError("--json applies to preview only");
      const stack = await openStack({
        projectDir: path.resolve(values.dir ?? PACKAGE_ROOT),
        stackName: values.stack,
        program: loadProgram(),
        config: parseConfig(values.config),
        secrets: parseConfig(values.secret, "--secret"),
      });
      const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
      if (parallel !== undefined && !(Number.isInteger(parallel) && parallel > 0)) {
        throw new UsageError(`--parallel expects a positive whole number, got "${values.parallel}"`);
      }
      return (
        (await act(stack, { expectNoChanges: values["expect-no-changes"], json: values.json, parallel })) ?? 0
      );
    },
  };
}

export const engineCommands: Command[] = [
  engineCommand(
    "preview",
    "Show what `up` would change",
    "      --expect-no-changes   exit 7 if there is anything to change; exit 8 if nothing is,\n" +
      "                            but some devices could not be checked (unreachable)\n" +
      "      --json                print `pulumi preview --json`'s document instead of the text\n",
    async (stack, { expectNoChanges, json, parallel }) => {
      if (!json) return previewWithFieldSummary(stack, expectNoChanges, parallel);
      // The document is printed even when the preview fails (drift under --expect-no-changes,
      // an engine error): its steps and diagnostics say why.
      const digest = new PreviewDigestBuilder();
      try {
        await stack.preview({ expectNoChanges, parallel, onEvent: digest.onEvent });
      } finally {
        print(`${JSON.stringify(digest.digest(), null, 2)}\n`);
      }
      return undefined;
    },
  ),
  engineCommand(
    "up",
    "Apply the changes",
    `\nEvery device that answers is applied; one that cannot be reached or fails is reported and
skipped (exit ${EXIT_DEVICES_NEED_ATTENTION}), and the next up picks it up.\n`,
    async (stack, { parallel }) => upWithSummary(stack, parallel),
  ),
  engineCommand("refresh", "Read the live state into the stack's state", "", async (stack, { parallel }) => {
    await stack.refresh({ onOutput: print, parallel });
    return undefined;
  }),
  engineCommand(
    "destroy",
    "Remove the stack's resources from management",
    "",
    async (stack, { parallel }) => {
      await stack.destroy({ onOutput: print, parallel });
      return undefined;
    },
  ),
];
