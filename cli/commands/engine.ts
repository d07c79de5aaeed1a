// preview, up, refresh, destroy, demo: the real Pulumi engine on this project's program.
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { countOutcomes, DeviceOutcomeCollector, renderOutcomes } from "../../review/device-outcomes";
import { analyzePreview } from "../../review/preview-changes";
import { PreviewDigestBuilder } from "../../review/preview-json";
import { renderPreviewFieldSummary } from "../../review/render";
import { type Command, print } from "../command";
import { loadProgram, openStack, PACKAGE_ROOT } from "../engine";
import { UsageError } from "../errors";

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

/**
 * Exit code when the run went on without some devices (unreachable, or failed and rolled back):
 * the others were read or applied, and the lines above say which ones need attention.
 */
export const EXIT_DEVICES_NEED_ATTENTION = 8;

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

/**
 * A preview in the engine's compact form, then each changed field per resource (the engine's own
 * `--diff` repeats whole objects for dynamic providers). The summary is printed when the preview
 * fails too: under --expect-no-changes, drift is a failure.
 */
export async function previewWithFieldSummary(
  stack: Stack,
  expectNoChanges: boolean,
  parallel?: number,
): Promise<number | undefined> {
  const digest = new PreviewDigestBuilder();
  const devices = new DeviceOutcomeCollector();
  const onEvent = (event: EngineEvent) => {
    digest.onEvent(event);
    devices.onEvent(event);
  };
  try {
    await stack.preview({ onOutput: print, expectNoChanges, parallel, onEvent });
  } finally {
    print(renderPreviewFieldSummary(analyzePreview(digest.digest(), stack.name)));
    print(renderOutcomes(devices.outcomes(), "preview"));
  }
  // Nothing to change among the devices that answered, but some could not be checked.
  return expectNoChanges && needAttention(devices) ? EXIT_DEVICES_NEED_ATTENTION : undefined;
}

function needAttention(devices: DeviceOutcomeCollector): boolean {
  const counts = countOutcomes(devices.outcomes());
  return counts.unreachable + counts.failed > 0;
}

/**
 * up with every reachable device applied, even when some fail or cannot be reached (the engine's
 * continue-on-error), then a summary per device.
 */
async function upWithSummary(stack: Stack, parallel?: number): Promise<number | undefined> {
  const devices = new DeviceOutcomeCollector();
  let failure: unknown;
  try {
    await stack.up({ onOutput: print, parallel, continueOnError: true, onEvent: devices.onEvent });
  } catch (err) {
    failure = err;
  }
  print(renderOutcomes(devices.outcomes(), "up"));
  // The device failures are reported above; anything else is the engine's own error.
  if (needAttention(devices)) return EXIT_DEVICES_NEED_ATTENTION;
  if (failure) throw failure;
  return undefined;
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
