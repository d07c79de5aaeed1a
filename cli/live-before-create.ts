// Before a plan adopts a device (create = adopt and configure), read what it has now, so the
// plan shows live → files for it as for an update instead of only the files' values. Read-only;
// the login password goes only to a device that showed the file's MAC first.
import type { Stack } from "@pulumi/pulumi/automation";
import { readStackConfig } from "../automation/stack-config";
import { secretEnvName } from "../providers/shared/secrets";
import { fromEngine, toEngine } from "../providers/shelly/engine-inputs";
import { observeBeforeCreate } from "../providers/shelly/lifecycle";
import { type PreviewDigest, type PreviewStep, sanitize } from "../review/preview-json";
import { mapLimited } from "./bounded";

const CONCURRENCY = 8;

function devicesToCreate(digest: PreviewDigest): PreviewStep[] {
  return digest.steps.filter(
    (step) =>
      step.op === "create" &&
      step.newState !== undefined &&
      /\/shelly:Device$/.test(step.newState.type) &&
      typeof step.newState.inputs.address === "string" &&
      typeof step.newState.inputs.mac === "string",
  );
}

/** Device name → where a planned move onto its reservation finds it now (shelly:LeaseMove `from`). */
function addressesBeforeMove(digest: PreviewDigest): Map<string, string> {
  const moves = new Map<string, string>();
  for (const step of digest.steps) {
    const inputs = step.newState?.inputs;
    if (!/\/shelly:LeaseMove$/.test(step.newState?.type ?? "") || !inputs) continue;
    if (typeof inputs.name === "string" && typeof inputs.from === "string")
      moves.set(inputs.name, inputs.from);
  }
  return moves;
}

/** Adds `liveBeforeCreate` to each device step that creates; a device that cannot be read says why. */
export async function readDevicesBeforeCreate(
  digest: PreviewDigest,
  stack: Stack,
  configFile: string | undefined,
): Promise<void> {
  const steps = devicesToCreate(digest);
  if (steps.length === 0) return;
  // This runs after the preview, failed ones included: it must never hide the preview's error.
  let config: Map<string, string>;
  try {
    config = await readStackConfig(stack, configFile);
  } catch {
    for (const step of steps) step.liveBeforeCreate = { unreadable: "the stack's config could not be read" };
    return;
  }
  const secret = (name: string) =>
    config.get(`shelly-fleet:secret.${name}`) ?? process.env[secretEnvName(name)];
  const timeout = Number(config.get("shelly-fleet:timeoutMs"));
  const options = Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : {};
  const moves = addressesBeforeMove(digest);
  await mapLimited(steps, CONCURRENCY, async (step) => {
    const inputs = fromEngine((step.newState as NonNullable<PreviewStep["newState"]>).inputs);
    const password = inputs.loginSecret ? secret(inputs.loginSecret) : undefined;
    // Before its move the device still answers where the files say it is now.
    const address = moves.get(inputs.name) ?? inputs.address;
    const live = await observeBeforeCreate({ ...inputs, address }, password, options).catch(
      (err: unknown) => ({
        unreadable: String(err instanceof Error ? err.message : err).split("\n")[0] ?? "",
      }),
    );
    step.liveBeforeCreate =
      "observed" in live
        ? { inputs: sanitize(toEngine({ ...inputs, desired: live.observed })) as Record<string, unknown> }
        : live;
  });
}
