// The semantic difference between two fleets: per device and field of the merged desired config.
// Devices are matched by MAC, so a renamed file (same MAC) is a rename, not a removal and an
// addition; a profile change shows on every device whose merged config it changes.
import type { DesiredDevice, Fleet } from "../fleet";
import { tryParseKey } from "../providers/shelly/model/keys";
import { changedFields, type FieldChange, type RiskClass, reviewFields, risksOf } from "./fields";

export type DeviceDiffKind = "added" | "removed" | "renamed" | "changed";

export interface FieldDiff extends FieldChange {
  /** The file that set the value that wins now (or, for a removed value, that set it before). */
  setIn?: string;
}

export interface DeviceDiff {
  kind: DeviceDiffKind;
  site: string;
  name: string;
  file: string;
  mac: string;
  /** For renamed devices: the old site/name and file. */
  previous?: { site: string; name: string; file: string };
  /** Empty for a rename that changes nothing else. For added and removed devices: every field. */
  fields: FieldDiff[];
  risks: RiskClass[];
}

export interface FleetDiff {
  devices: DeviceDiff[];
  counts: Record<DeviceDiffKind, number>;
}

/** Nothing is written to a removed device; a new one's address and MAC say where it is, not what changes. */
const IDENTITY_KEYS = new Set(["address", "mac"]);

/** A device's reviewable fields as its files declare them. */
export function deviceFields(device: DesiredDevice): Map<string, unknown> {
  return reviewFields(device.config, {
    address: device.address,
    mac: device.mac,
    network: device.network as Record<string, unknown> | undefined,
    profiles: device.profiles,
  });
}

/** `switch[0].name` → the provenance key `switch.0.name`; other keys are their own. */
function provenanceKey(key: string): string {
  const parsed = tryParseKey(key);
  if (parsed === undefined || parsed.kind === "raw" || parsed.entry === undefined) return key;
  const entry = `${parsed.section}.${parsed.entry}`;
  return parsed.kind === "field" ? `${entry}.${parsed.field}` : entry;
}

function withOrigins(fields: FieldChange[], before?: DesiredDevice, after?: DesiredDevice): FieldDiff[] {
  return fields.map((field) => {
    const owner = field.after !== undefined ? after : before;
    const origin = owner?.provenance[provenanceKey(field.key)]?.file;
    return { ...field, ...(origin && { setIn: origin }) };
  });
}

function deviceDiff(
  kind: DeviceDiffKind,
  before: DesiredDevice | undefined,
  after: DesiredDevice | undefined,
): DeviceDiff {
  const current = (after ?? before) as DesiredDevice;
  const fields = withOrigins(
    changedFields(before ? deviceFields(before) : new Map(), after ? deviceFields(after) : new Map()),
    before,
    after,
  );
  return {
    kind,
    site: current.site,
    name: current.name,
    file: current.file,
    mac: current.mac,
    ...(kind === "renamed" &&
      before && { previous: { site: before.site, name: before.name, file: before.file } }),
    fields,
    risks:
      kind === "removed"
        ? []
        : risksOf(kind === "added" ? fields.filter((f) => !IDENTITY_KEYS.has(f.key)) : fields),
  };
}

export function diffFleets(base: Fleet, head: Fleet): FleetDiff {
  const baseByMac = new Map(base.devices.map((d) => [d.mac, d]));
  const baseByFile = new Map(base.devices.map((d) => [d.file, d]));
  const matched = new Set<DesiredDevice>();
  const devices: DeviceDiff[] = [];
  for (const after of head.devices) {
    // Same MAC first; else the same file with a new MAC (a replaced device).
    let before = baseByMac.get(after.mac);
    if (before === undefined || matched.has(before)) before = baseByFile.get(after.file);
    if (before !== undefined && matched.has(before)) before = undefined;
    if (before === undefined) {
      devices.push(deviceDiff("added", undefined, after));
      continue;
    }
    matched.add(before);
    const diff = deviceDiff(before.file === after.file ? "changed" : "renamed", before, after);
    if (diff.kind === "renamed" || diff.fields.length > 0) devices.push(diff);
  }
  for (const before of base.devices) {
    if (!matched.has(before)) devices.push(deviceDiff("removed", before, undefined));
  }
  devices.sort((a, b) => a.site.localeCompare(b.site) || a.name.localeCompare(b.name));
  const counts = { added: 0, removed: 0, renamed: 0, changed: 0 };
  for (const device of devices) counts[device.kind]++;
  return { devices, counts };
}
