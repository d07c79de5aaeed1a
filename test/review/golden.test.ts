// Golden pull-request comments: each reviewer's case once, from the captured drift step (a real
// engine document) edited to the case, against a base commit's fields. Update the files in
// golden/ with `vitest run test/review/golden.test.ts -u` and read the diff before committing.
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { fromEngine, toEngine } from "../../providers/shelly/engine-inputs";
import type { DeviceConfig } from "../../providers/shelly/model/catalog";
import { flattenObject, type ResourceKind, reviewFields } from "../../review/fields";
import { analyzePreview, type BaseFields } from "../../review/preview-changes";
import type { PreviewDigest, PreviewStep } from "../../review/preview-json";
import { renderPreviewComment, renderPreviewFieldSummary } from "../../review/render";
import { loadFixture } from "./support";

const drift = loadFixture("drift");
const porchStep = drift.steps[0] as PreviewStep;
function present<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("the drift fixture has no porch update");
  return value;
}
const porchOld = present(porchStep.oldState);
const porchNew = present(porchStep.newState);
const porchInputs = porchNew.inputs;
const porchDesired = fromEngine(porchInputs).desired;

/** The porch step with the live (old) and files' (new) desired configs replaced. */
function porch(live: DeviceConfig, files: DeviceConfig, op = "update"): PreviewStep {
  const state = (desired: DeviceConfig) => ({
    ...porchNew,
    inputs: toEngine({ ...fromEngine(porchInputs), desired }),
  });
  return {
    ...porchStep,
    op,
    ...(op === "create" ? { oldState: undefined } : { oldState: { ...porchOld, ...state(live) } }),
    newState: state(files),
  };
}

const RESERVATION =
  "urn:pulumi:lab::shelly-fleet::pulumi-nodejs:dynamic/opnsense:DhcpReservation::porch-dhcp";
const ALIAS = "urn:pulumi:lab::shelly-fleet::pulumi-nodejs:dynamic/opnsense:FirewallAlias::alias-iot";
const reservation = {
  device: "porch",
  backend: "kea",
  subnet: "10.0.30.0/24",
  dhcpPool: { start: "10.0.30.100", end: "10.0.30.200" },
  mac: "c0:ff:ee:00:00:02",
  ip: "10.0.30.12",
  hostname: "porch",
  description: "shelly-fleet: porch",
  providerVersion: 1,
};
const alias = {
  name: "iot",
  content: ["10.0.30.10", "10.0.30.11", "10.0.30.12"],
  members: ["garage", "porch", "shed"],
  description: "shelly-fleet: iot",
  providerVersion: 1,
};

function step(
  urn: string,
  type: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): PreviewStep {
  const state = (inputs: Record<string, unknown>) => ({ urn, type, inputs, outputs: inputs });
  return { op: "update", urn, oldState: state(before), newState: state(after), detailedDiff: null };
}

/** The base commit's files: porch as `config`, the reservation and alias as above. */
function base(config: DeviceConfig | undefined): BaseFields {
  const fields: Record<ResourceKind, Map<string, Map<string, unknown>>> = {
    device: new Map(config ? [["c0ffee000002", reviewFields(config, porchInputs)]] : []),
    reservation: new Map([["c0ffee000002", flattenObject(reservation)]]),
    alias: new Map([["iot", flattenObject(alias)]]),
  };
  return {
    commit: { commit: "0123456789abcdef0123456789abcdef01234567", label: "merge base with origin/main" },
    fieldsOf: (kind, identity) => fields[kind].get(identity),
  };
}

function comment(steps: PreviewStep[], baseConfig: DeviceConfig | undefined): string {
  const digest: PreviewDigest = { ...drift, steps };
  return renderPreviewComment([analyzePreview(digest, "lab", base(baseConfig))]);
}

const golden = (name: string) => path.join(__dirname, "golden", `${name}.md`);
const renamed = (name: string) => ({ ...porchDesired, device: { ...porchDesired.device, name } });

describe("golden pull-request comments", () => {
  test("drift only: the device changed by hand, the files did not", async () => {
    const live = renamed("hand C");
    await expect(comment([porch(live, porchDesired)], porchDesired)).toMatchFileSnapshot(
      golden("drift-only"),
    );
  });

  test("change only: the pull request renames the device", async () => {
    await expect(comment([porch(porchDesired, renamed("Front porch"))], porchDesired)).toMatchFileSnapshot(
      golden("change-only"),
    );
  });

  test("both on one device", async () => {
    const live = { ...porchDesired, cloud: { enabled: true } };
    await expect(comment([porch(live, renamed("Front porch"))], porchDesired)).toMatchFileSnapshot(
      golden("drift-and-change"),
    );
  });

  test("a new device over an existing one: its values overwrite the device's", async () => {
    // Read before the plan (cli/live-before-create.ts): the device's own name and switch name.
    const live = { ...porchDesired, device: { ...porchDesired.device, name: "shellyplus1pm-c0ffee" } };
    const created = porch({}, porchDesired, "create");
    created.liveBeforeCreate = {
      inputs: toEngine({ ...fromEngine(porchInputs), desired: { ...live, switch: [{ id: 0, name: "" }] } }),
    };
    await expect(comment([created], undefined)).toMatchFileSnapshot(golden("new-device"));
  });

  test("a secret's new value: named, never shown", () => {
    const wifi = {
      ...porchDesired,
      wifi: { sta: { enabled: true, ssid: "iot", password: { secret: "wifi-iot" } } },
    };
    const text = comment([porch(wifi, wifi)], wifi);
    // The porch also logs in with the site's device password: either may be the one.
    expect(text).toContain("a secret changed (value not shown): one of `device-admin`, `wifi-iot`");
    const summary = renderPreviewFieldSummary(
      analyzePreview({ ...drift, steps: [porch(wifi, wifi)] }, "lab"),
    );
    expect(summary).toContain("~ update device porch\n      a secret changed (value not shown): one of");
  });

  test("a new device that could not be read first: the files' values, and why", async () => {
    const created = porch({}, porchDesired, "create");
    created.liveBeforeCreate = { unreadable: "no answer within 5000 ms (identity at 10.0.20.32)" };
    const text = comment([created], undefined);
    expect(text).toContain(
      "The preview could not read the device (no answer within 5000 ms (identity at 10.0.20.32)) before adopting it",
    );
    expect(text).toMatch(/\| `device\.name` \| "Porch" \|/);
  });

  test("a reservation IP change: the device moves at its next lease renewal", async () => {
    const moved = { ...reservation, ip: "10.0.30.16" };
    const s = step(RESERVATION, "pulumi-nodejs:dynamic/opnsense:DhcpReservation", reservation, moved);
    await expect(comment([s], porchDesired)).toMatchFileSnapshot(golden("reservation-ip"));
  });

  test("a password change: a new secret for the WiFi key", async () => {
    const wifi = (secret: string) => ({
      ...porchDesired,
      wifi: { sta: { enabled: true, ssid: "iot", password: { secret } } },
    });
    await expect(comment([porch(wifi("wifi-old"), wifi("wifi-new"))], wifi("wifi-old"))).toMatchFileSnapshot(
      golden("password"),
    );
  });

  test("an alias membership change: the IPs added and removed", async () => {
    const after = { ...alias, content: ["10.0.30.10", "10.0.30.11", "10.0.30.16"] };
    const s = step(ALIAS, "pulumi-nodejs:dynamic/opnsense:FirewallAlias", alias, after);
    const text = comment([s], porchDesired);
    expect(text).toContain("+10.0.30.16 (2 items unchanged)");
    await expect(text).toMatchFileSnapshot(golden("alias-membership"));
  });
});
