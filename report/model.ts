// The fleet report's model, as a pure function: what the files say about each device, what the
// stack state recorded of its last apply, what a preview found to differ and, when read, what the
// device says now; one state per device, and per site the counts, firmware, models and network.
import type { DesiredDevice, Fleet, Origin, Site } from "../fleet";
import { planOpnsense } from "../providers/opnsense/plan";
import { isSecretRef } from "../providers/shared/secrets";
import type { FieldChange } from "../review/fields";
import type { ChangeOp, StackPreview } from "../review/preview-changes";

/**
 * Worst first: a device shows the first that applies. `unchecked`: no preview of its stack and no
 * live read, so nothing says whether it is in sync.
 */
export const DEVICE_STATES = [
  "failed",
  "unreachable",
  "drift",
  "pending",
  "sleeping",
  "in-sync",
  "unchecked",
] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** How each state reads, and the symbol shown beside its colour (colour is never the only signal). */
export const STATE_LABELS: Record<DeviceState, { label: string; symbol: string }> = {
  failed: { label: "failed last apply", symbol: "✖" },
  unreachable: { label: "unreachable", symbol: "⚠" },
  drift: { label: "drift", symbol: "≠" },
  pending: { label: "pending change", symbol: "…" },
  sleeping: { label: "sleeping", symbol: "☾" },
  "in-sync": { label: "in sync", symbol: "✔" },
  unchecked: { label: "not checked", symbol: "?" },
};

/** What the stack's state recorded for a device (structurally the status command's AppliedState). */
export interface ReportApplied {
  lastApply?: { at: string; result: "ok" | "unverified" | "rolled back" };
  model?: string;
  firmware?: string;
}

/** A live read of a device (structurally a subset of the status command's StatusRow). */
export interface ReportLive {
  reachable: boolean;
  problem?: string;
  model?: string;
  firmware?: string;
  update?: string;
  ip?: string;
  rssiDbm?: number;
  uptimeSeconds?: number;
  configChanged?: boolean;
  restartRequired?: boolean;
}

export interface ReportInput {
  fleet: Pick<Fleet, "sites" | "devices">;
  /** The stack states' records, by MAC (12 upper-case hex digits); undefined: no state read. */
  applied?: Map<string, ReportApplied>;
  /** Analyzed `preview --json` documents, one per stack (the stack is the site). */
  previews?: StackPreview[];
  /** Live reads by `site/device`; undefined: no live read. */
  live?: Map<string, ReportLive>;
  /** ISO time the report was made. */
  generatedAt: string;
}

export interface Setting {
  /** Dotted key path, as `explain` and the provenance name it: `switch.0.name`. */
  key: string;
  /** The value as shown: JSON, or `secret "name"` for a secret reference. */
  value: string;
  origin?: Origin;
}

export interface DeviceReport {
  /** Unique across the report, safe as a file name: the device page is `devices/<id>.html`. */
  id: string;
  site: string;
  name: string;
  file: string;
  mac: string;
  address: string;
  model?: string;
  generation?: number;
  /** The full firmware id, and its version (after the build date). */
  firmware?: string;
  firmwareVersion?: string;
  firmwareUpdate?: string;
  sleeping: boolean;
  profiles: string[];
  tags: string[];
  state: DeviceState;
  /** Every signal found, worst first; empty when in sync or unchecked. */
  reasons: string[];
  lastApply?: ReportApplied["lastApply"];
  reservation?: { ip: string; hostname: string; backend: string };
  aliases: string[];
  settings: Setting[];
  /** Fields the preview found to differ: before is the live device, after the files. */
  drift: FieldChange[];
  /** The preview's step for the device when it is not a plain update (create, replace…). */
  pendingOp?: ChangeOp;
  live?: ReportLive;
}

export interface Tally {
  name: string;
  count: number;
}

export interface SiteReport {
  name: string;
  subnet?: string;
  dhcpPool?: { start: string; end: string };
  dhcpBackend?: string;
  devices: DeviceReport[];
  counts: Record<DeviceState, number>;
  /** Firmware versions, most devices first; "unknown" when neither state nor a live read says. */
  firmware: Tally[];
  models: Tally[];
  /** The latest apply of any device of the site. */
  lastApply?: { at: string; result: string; device: string };
  aliases: { name: string; members: string[] }[];
  /** Resources in the preview that are not a device of the files (removed devices, aliases). */
  otherChanges: { name: string; op: ChangeOp; fields: FieldChange[] }[];
  /** Whether a preview of this site's stack was read. */
  previewed: boolean;
}

export interface ReportModel {
  generatedAt: string;
  sites: SiteReport[];
  totals: Record<DeviceState, number>;
  deviceCount: number;
  sources: { state: boolean; preview: boolean; live: boolean };
}

export function emptyCounts(): Record<DeviceState, number> {
  return Object.fromEntries(DEVICE_STATES.map((s) => [s, 0])) as Record<DeviceState, number>;
}

/** The version part of a firmware id: `20231107-162425/1.1.0-g34b5d4f` → `1.1.0-g34b5d4f`. */
export function firmwareVersion(firmware: string): string {
  return firmware.split("/").pop() ?? firmware;
}

function showSetting(value: unknown): string {
  if (isSecretRef(value)) return `secret ${JSON.stringify(value.secret)}`;
  return JSON.stringify(value);
}

/**
 * The merged configuration as flat settings, each with the file and line it came from. Entries of
 * a list that carry an `id` (channels) or a `name` (schedules, webhooks) are keyed by it, as the
 * provenance keys them.
 */
export function settingsOf(device: Pick<DesiredDevice, "config" | "provenance">): Setting[] {
  const out: Setting[] = [];
  const walk = (value: unknown, key: string): void => {
    const entryKey = (item: unknown) => {
      const entry = item as Record<string, unknown> | null;
      return entry && typeof entry === "object" ? (entry.id ?? entry.name) : undefined;
    };
    if (Array.isArray(value) && value.length > 0 && value.every((item) => entryKey(item) !== undefined)) {
      // The key field is in the path already (`switch.0`), so it is not listed again.
      for (const item of value) {
        const { [(item as Record<string, unknown>).id !== undefined ? "id" : "name"]: _, ...fields } = item;
        walk(fields, `${key}.${String(entryKey(item))}`);
      }
      return;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value) && !isSecretRef(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, key === "" ? k : `${key}.${k}`);
      return;
    }
    const origin = device.provenance[key];
    out.push({ key, value: showSetting(value), ...(origin && { origin }) });
  };
  walk(device.config, "");
  return out;
}

function tally(values: string[]): Tally[] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** A file name for each device, unique even where two names differ only in unsafe characters. */
function deviceIds(devices: readonly DesiredDevice[]): string[] {
  const used = new Set<string>();
  return devices.map((device) => {
    const base = `${device.site}-${device.name}`.replace(/[^A-Za-z0-9._-]/g, "_");
    let id = base;
    for (let n = 2; used.has(id.toLowerCase()); n++) id = `${base}-${n}`;
    used.add(id.toLowerCase());
    return id;
  });
}

interface DeviceFindings {
  drift: FieldChange[];
  pendingOp?: ChangeOp;
}

/** The preview's device and reservation changes by `site/device`, and the rest by site. */
function previewFindings(previews: readonly StackPreview[], fleet: ReportInput["fleet"]) {
  const byDevice = new Map<string, DeviceFindings>();
  const other = new Map<string, SiteReport["otherChanges"]>();
  const known = new Set(fleet.devices.map((d) => `${d.site}/${d.name}`));
  for (const preview of previews) {
    for (const change of preview.changes) {
      const deviceName =
        change.kind === "device"
          ? change.name
          : change.kind === "reservation"
            ? change.name.replace(/-dhcp$/, "")
            : undefined;
      const key = `${preview.stack}/${deviceName}`;
      if (deviceName === undefined || !known.has(key) || change.op === "delete") {
        const list = other.get(preview.stack) ?? [];
        list.push({ name: change.name, op: change.op, fields: change.fields });
        other.set(preview.stack, list);
        continue;
      }
      const findings = byDevice.get(key) ?? { drift: [] };
      const prefix = change.kind === "reservation" ? "reservation." : "";
      findings.drift.push(...change.fields.map((f) => ({ ...f, key: `${prefix}${f.key}` })));
      if (change.op !== "update" && change.kind === "device") findings.pendingOp = change.op;
      byDevice.set(key, findings);
    }
  }
  return { byDevice, other };
}

/** The device's state and every reason for it, worst first. */
function classify(
  device: DesiredDevice,
  applied: ReportApplied | undefined,
  stateRead: boolean,
  findings: DeviceFindings | undefined,
  live: ReportLive | undefined,
  previewed: boolean,
): { state: DeviceState; reasons: string[] } {
  const found: [DeviceState, string][] = [];
  const result = applied?.lastApply?.result;
  if (result !== undefined && result !== "ok") found.push(["failed", `last apply ${result}`]);
  if (live && !live.reachable) {
    found.push(
      device.sleeping
        ? ["sleeping", "asleep: not answering, its changes wait for it to wake"]
        : ["unreachable", live.problem ?? "not answering"],
    );
  }
  const drifted = findings?.drift.filter((f) => f.origin !== "change") ?? [];
  if (drifted.length > 0) found.push(["drift", `${drifted.length} field(s) differ from the files`]);
  if (live?.configChanged) found.push(["drift", "configuration changed on the device since the apply"]);
  const changed = findings?.drift.filter((f) => f.origin === "change") ?? [];
  if (findings?.pendingOp) found.push(["pending", `the next apply will ${findings.pendingOp} it`]);
  if (changed.length > 0) found.push(["pending", `${changed.length} field(s) changed in the files`]);
  if (stateRead && !applied) found.push(["pending", "not in the stack's state: never applied"]);
  if (live?.restartRequired) found.push(["pending", "restart required"]);
  const rank = (state: DeviceState) => DEVICE_STATES.indexOf(state);
  found.sort((a, b) => rank(a[0]) - rank(b[0]));
  const first = found[0];
  if (first) return { state: first[0], reasons: found.map(([, reason]) => reason) };
  if (previewed || live?.reachable) return { state: "in-sync", reasons: [] };
  return { state: device.sleeping ? "sleeping" : "unchecked", reasons: [] };
}

function siteReport(
  site: Site,
  devices: DeviceReport[],
  input: ReportInput,
): Omit<SiteReport, "otherChanges"> {
  const counts = emptyCounts();
  for (const device of devices) counts[device.state]++;
  const applies = devices
    .filter((d) => d.lastApply)
    .map((d) => ({ ...(d.lastApply as NonNullable<DeviceReport["lastApply"]>), device: d.name }))
    .sort((a, b) => b.at.localeCompare(a.at));
  const aliases = new Map<string, string[]>();
  for (const device of devices) {
    for (const alias of device.aliases) aliases.set(alias, [...(aliases.get(alias) ?? []), device.name]);
  }
  return {
    name: site.name,
    ...(site.subnet && { subnet: site.subnet }),
    ...(site.dhcpPool && { dhcpPool: site.dhcpPool }),
    ...(site.dhcpBackend && { dhcpBackend: site.dhcpBackend }),
    devices,
    counts,
    firmware: tally(devices.map((d) => d.firmwareVersion ?? "unknown")),
    models: tally(devices.map((d) => d.model ?? "unknown")),
    ...(applies[0] && { lastApply: applies[0] }),
    aliases: [...aliases]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, members]) => ({ name, members: members.sort() })),
    previewed: (input.previews ?? []).some((p) => p.stack === site.name),
  };
}

/** The whole report's model. Pure: the same input gives the same model. */
export function buildReportModel(input: ReportInput): ReportModel {
  const { fleet } = input;
  const ids = deviceIds(fleet.devices);
  const previews = input.previews ?? [];
  const { byDevice, other } = previewFindings(previews, fleet);
  const previewedSites = new Set(previews.map((p) => p.stack));
  const reservations = new Map<string, DeviceReport["reservation"]>();
  for (const site of fleet.sites) {
    const siteDevices = fleet.devices.filter((d) => d.site === site.name);
    for (const spec of planOpnsense(site, siteDevices).reservations) {
      reservations.set(`${site.name}/${spec.device}`, {
        ip: spec.ip,
        hostname: spec.hostname,
        backend: spec.backend,
      });
    }
  }
  const reports = fleet.devices.map((device, i): DeviceReport => {
    const key = `${device.site}/${device.name}`;
    const applied = input.applied?.get(device.mac);
    const live = input.live?.get(key);
    const findings = byDevice.get(key);
    const { state, reasons } = classify(
      device,
      applied,
      input.applied !== undefined,
      findings,
      live,
      previewedSites.has(device.site),
    );
    const firmware = (live?.reachable && live.firmware) || applied?.firmware;
    const model = (live?.reachable && live.model) || applied?.model || device.model;
    const reservation = reservations.get(key);
    return {
      id: ids[i] as string,
      site: device.site,
      name: device.name,
      file: device.file,
      mac: device.mac,
      address: device.address,
      ...(model && { model }),
      ...(device.generation && { generation: device.generation }),
      ...(firmware && { firmware, firmwareVersion: firmwareVersion(firmware) }),
      ...(live?.update && { firmwareUpdate: live.update }),
      sleeping: device.sleeping === true,
      profiles: device.profiles,
      tags: device.tags,
      state,
      reasons,
      ...(applied?.lastApply && { lastApply: applied.lastApply }),
      ...(reservation && { reservation }),
      aliases: [...new Set(device.network?.aliases ?? [])].sort(),
      settings: settingsOf(device),
      drift: findings?.drift ?? [],
      ...(findings?.pendingOp && { pendingOp: findings.pendingOp }),
      ...(live && { live }),
    };
  });
  const sites = fleet.sites
    .map((site) => ({
      ...siteReport(
        site,
        reports.filter((d) => d.site === site.name),
        input,
      ),
      otherChanges: other.get(site.name) ?? [],
    }))
    .filter((site) => site.devices.length > 0 || site.otherChanges.length > 0);
  const totals = emptyCounts();
  for (const device of reports) totals[device.state]++;
  return {
    generatedAt: input.generatedAt,
    sites,
    totals,
    deviceCount: reports.length,
    sources: {
      state: input.applied !== undefined,
      preview: previews.length > 0,
      live: input.live !== undefined,
    },
  };
}
