// The engine runs that end with a summary per device and field: shared by the engine commands
// and the demo, which must not import each other (one module per command in cli/commands/).
import * as path from "node:path";
import type { EngineEvent, OpType, PreviewOptions, Stack } from "@pulumi/pulumi/automation";
import { UsageError } from "../errors";
import { countOutcomes, DeviceOutcomeCollector, renderOutcomes } from "../review/device-outcomes";
import { analyzePreview } from "../review/preview-changes";
import { type PreviewDigest, PreviewDigestBuilder } from "../review/preview-json";
import { renderPreviewFieldSummary } from "../review/render";
import { baseFieldsOf, loadBase } from "./base-commit";
import { renderCampaign, stackCampaign } from "./campaign-status";
import { print } from "./command";
import { foldEngineOutput } from "./engine-output";
import { readDevicesBeforeCreate } from "./live-before-create";

/**
 * Exit code when the run went on without some devices (unreachable, or failed and rolled back):
 * the others were read or applied, and the lines above say which ones need attention.
 */
export const EXIT_DEVICES_NEED_ATTENTION = 8;

/** What every engine run takes from the command line. */
export interface EngineRun {
  parallel?: number;
  /** Every line of the engine's progress (default: folded, see engine-output.ts). */
  verbose?: boolean;
  /** URN patterns: only these resources (`--tag`); default: the whole stack. */
  target?: string[];
  /** Policy pack directories the engine runs (policies/, unless --no-policies). */
  policyPacks?: string[];
  /** This run's own copy of the stack config (preview's --config, up's --force-firmware). */
  configFile?: string;
}

/** Runs an engine command with its progress printed, folded unless `verbose`. */
export async function folded<T>(
  verbose: boolean | undefined,
  run: (onOutput: (text: string) => void) => Promise<T>,
): Promise<T> {
  const output = foldEngineOutput(print, verbose);
  try {
    return await run(output.write);
  } finally {
    output.end();
  }
}

/**
 * A preview in the engine's compact form, then each changed field per resource (the engine's own
 * `--diff` repeats whole objects for dynamic providers). The summary is printed when the preview
 * fails too: under --expect-no-changes, drift is a failure.
 */
export async function previewWithFieldSummary(
  stack: Stack,
  run: EngineRun & { expectNoChanges?: boolean; baseRef?: string },
): Promise<number | undefined> {
  const { expectNoChanges = false, parallel, configFile, baseRef, verbose, target, policyPacks } = run;
  const { devices } = await showPreview(
    stack,
    { expectNoChanges, parallel, configFile, target, policyPacks },
    { baseRef, verbose },
  );
  // Nothing to change among the devices that answered, but some could not be checked.
  return expectNoChanges && needAttention(devices) ? EXIT_DEVICES_NEED_ATTENTION : undefined;
}

/** The preview with its field summary, printed; whether it plans any change. */
async function showPreview(
  stack: Stack,
  options: PreviewOptions,
  { baseRef, verbose }: { baseRef?: string; verbose?: boolean },
): Promise<{ changes: boolean; devices: DeviceOutcomeCollector }> {
  const digest = new PreviewDigestBuilder();
  const devices = new DeviceOutcomeCollector();
  const onEvent = (event: EngineEvent) => {
    digest.onEvent(event);
    devices.onEvent(event);
  };
  let changeSummary: Partial<Record<OpType, number>> = {};
  try {
    ({ changeSummary } = await folded(verbose, (onOutput) =>
      stack.preview({ ...options, onOutput, onEvent }),
    ));
  } finally {
    const document = digest.digest();
    await readDevicesBeforeCreate(document, stack, options.configFile);
    const campaign = await stackCampaign(stack, options.configFile).catch(() => undefined);
    print(
      renderPreviewFieldSummary(
        analyzePreview(document, stack.name, await baseOf(document, stack, baseRef)),
        campaign?.devices,
      ),
    );
    print(renderOutcomes(devices.outcomes(), "preview"));
  }
  const unchanged: string[] = ["same", "read", "refresh"];
  const changes = Object.entries(changeSummary).some(([op, count]) => !unchanged.includes(op) && count > 0);
  return { changes, devices };
}

function needAttention(devices: DeviceOutcomeCollector): boolean {
  const counts = countOutcomes(devices.outcomes());
  return counts.unreachable + counts.failed > 0;
}

/**
 * `up` as `pulumi up` runs it: the preview with its field summary first, then, when there is
 * something to change, the question (unless `confirm` is undefined: --yes), then the apply.
 */
export async function previewThenUp(
  stack: Stack,
  run: EngineRun,
  confirm: (() => Promise<boolean>) | undefined,
): Promise<number | undefined> {
  const { changes, devices } = await showPreview(
    stack,
    { parallel: run.parallel, target: run.target, policyPacks: run.policyPacks, configFile: run.configFile },
    { verbose: run.verbose },
  );
  if (!changes) {
    if (!needAttention(devices)) {
      print("\nNothing to change: every device matches its file.\n");
      return undefined;
    }
    print("\nNothing to change on the devices that answered; the ones listed above were not checked.\n");
    return EXIT_DEVICES_NEED_ATTENTION;
  }
  if (confirm && !(await confirm())) throw new UsageError("up declined: nothing was applied", 1);
  return upWithSummary(stack, run);
}

/**
 * up with every reachable device applied, even when some fail or cannot be reached (the engine's
 * continue-on-error), then a summary per device.
 */
export async function upWithSummary(
  stack: Stack,
  { parallel, verbose, target, policyPacks, configFile }: EngineRun,
): Promise<number | undefined> {
  const devices = new DeviceOutcomeCollector();
  let failure: unknown;
  try {
    await folded(verbose, (onOutput) =>
      stack.up({
        onOutput,
        parallel,
        target,
        policyPacks,
        configFile,
        continueOnError: true,
        onEvent: devices.onEvent,
      }),
    );
  } catch (err) {
    failure = err;
  }
  print(renderOutcomes(devices.outcomes(), "up"));
  // Where the site's firmware campaign is now, and why it stopped (the ledger the provider wrote).
  print(renderCampaign(await stackCampaign(stack, configFile).catch(() => undefined)));
  // The device failures are reported above; anything else is the engine's own error.
  if (needAttention(devices)) return EXIT_DEVICES_NEED_ATTENTION;
  if (failure) throw failure;
  return undefined;
}

/** With --base: the fields of the fleet at that commit, so each change says drift or change. */
/** The base the field list marks drift and change against: --base, else the merge base. */
async function baseOf(document: PreviewDigest, stack: Stack, ref: string | undefined) {
  const root = document.config?.["shelly-fleet:root"] ?? stack.workspace.workDir;
  const base = await loadBase(path.resolve(stack.workspace.workDir, root), ref, { quietOutsideGit: true });
  return base && baseFieldsOf(base, document, stack.name);
}
