// The safety policies before an engine run (`preview`, `up`): the same rules as `validate` and
// the policy pack, with the stack's secrets (WiFi key lengths) and its state (how many devices
// change WiFi secret). `up` stops here on a mandatory violation: no device is read or written.
import { createHash } from "node:crypto";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import type { CommandLineConfig } from "../automation/stack";
import { isSecretRef, loadFleet, secretConfigKey, secretEnvName } from "../fleet";
import { checkFleetPolicies, policyDevice } from "../policies/fleet";
import { formatViolation, type Violation, type WifiSecretChange } from "../policies/rules";
import { fromEngine } from "../providers/shelly/engine-inputs";
import { print } from "./command";
import { programConfig } from "./tag-targets";

/** The policy pack's directory: `pulumi preview --policy-pack` takes it too. */
export const POLICY_PACK_DIR = path.resolve(__dirname, "..", "..", "policies");

const DEVICE_TYPE = "pulumi-nodejs:dynamic/shelly:Device";
const WIFI_KEYS = [
  ["sta", "password"],
  ["sta1", "password"],
] as const;

export interface PolicyCheck {
  root: string;
  violations: Violation[];
  mandatory: number;
}

/**
 * Runs the rules over the stack's site and prints the violations first, per device (`show`:
 * standard error under --json, whose standard output is one JSON document).
 */
export async function checkPolicies(
  stack: Stack,
  projectDir: string,
  commandLine: CommandLineConfig,
  acknowledged: boolean,
  show: (text: string) => void = print,
): Promise<PolicyCheck> {
  const { site, root } = await programConfig(stack, projectDir, commandLine.config);
  const fleet = loadFleet({ root, site });
  const config = await stack.getAllConfig().catch(() => ({}) as Record<string, { value: string }>);
  // This run's --secret, --secret-file and --secret-env first: a preview keeps them out of the
  // stack file, and an up saves them only after this check.
  const secret = (name: string) =>
    commandLine.secrets[secretConfigKey(name)] ??
    config[secretConfigKey(name)]?.value ??
    process.env[secretEnvName(name)];
  const wifiChanges = await wifiSecretChanges(stack, fleet.devices.map(policyDevice), secret);
  const violations = checkFleetPolicies(fleet, { secrets: secret, wifiChanges, acknowledged });
  const mandatory = violations.filter((v) => v.level === "mandatory").length;
  if (violations.length > 0) {
    show(`Policy violations (${mandatory} mandatory, ${violations.length - mandatory} advisory):\n`);
    for (const violation of violations) show(`  ${formatViolation(violation)}\n`);
    show("\n");
  }
  return { root, violations, mandatory };
}

/** The devices whose WiFi secret (its name or its value) differs from what the state last applied. */
async function wifiSecretChanges(
  stack: Stack,
  devices: ReturnType<typeof policyDevice>[],
  secret: (name: string) => string | undefined,
): Promise<WifiSecretChange[]> {
  const state = await stack.exportStack().catch(() => undefined);
  const resources = (state?.deployment?.resources ?? []) as {
    type: string;
    inputs?: Record<string, unknown>;
  }[];
  const before = new Map(
    resources
      .filter((r) => r.type === DEVICE_TYPE && r.inputs)
      .map((r) => fromEngine(r.inputs as Record<string, unknown>))
      .map((inputs) => [`${inputs.site}/${inputs.name}`, inputs]),
  );
  const digest = (name: string) => {
    const value = secret(name);
    return value === undefined || value === "" ? "unset" : createHash("sha256").update(value).digest("hex");
  };
  const changes: WifiSecretChange[] = [];
  for (const device of devices) {
    const old = before.get(`${device.site}/${device.name}`);
    if (!old) continue;
    const keys = WIFI_KEYS.filter(([section, field]) => {
      const now = (device.config.wifi?.[section] as Record<string, unknown> | undefined)?.[field];
      const then = (old.desired.wifi?.[section] as Record<string, unknown> | undefined)?.[field];
      if (!isSecretRef(now)) return false;
      if (!isSecretRef(then) || then.secret !== now.secret) return true;
      // secretDigests is a secret in the state: only compare it when it was exported in the clear.
      const oldDigest = (old.secretDigests as Record<string, unknown> | undefined)?.[now.secret];
      return typeof oldDigest === "string" && oldDigest !== digest(now.secret);
    }).map(([section, field]) => `wifi.${section}.${field}`);
    if (keys.length > 0) changes.push({ device, keys });
  }
  return changes;
}
