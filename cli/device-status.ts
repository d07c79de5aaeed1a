// One row per device file for `shelly-fleet status`: what the files say, what the last apply left in
// the stack's state, and a cheap live read (identity, then one status document). The password goes
// only to a device that showed the file's MAC first (the clients check it before sending).
import * as fs from "node:fs";
import { UsageError } from "../errors";
import type { DesiredDevice, Site } from "../fleet";
import type { MetricFamily } from "../providers/shared/prometheus";
import { secretEnvName } from "../providers/shared/secrets";
import { connect, type ShellyError, ShellyMacMismatchError } from "../providers/shelly/client";
import { mapLimited } from "./bounded";

/** What the stack's state holds for a device: the revision its last read saw, and its last apply. */
export interface AppliedState {
  revision?: Record<string, number>;
  lastApply?: { at: string; result: "ok" | "unverified" | "rolled back" };
  /** The model and firmware the engine's last read saw (the report shows them without a live read). */
  model?: string;
  firmware?: string;
}

export interface StatusRow {
  site: string;
  device: string;
  address: string;
  mac: string;
  reachable: boolean;
  /** Why the device could not be read, one line. */
  problem?: string;
  generation?: number;
  model?: string;
  firmware?: string;
  /** A newer stable firmware the device offers, if any. */
  update?: string;
  uptimeSeconds?: number;
  rssiDbm?: number;
  ip?: string;
  /** Gen2+ `cfg_rev`, Gen1 `cfg_changed_cnt`. */
  revision?: number;
  /** The revision recorded by the last read of the engine; undefined without state. */
  appliedRevision?: number;
  /** The revision moved since the state's read: someone changed the device; undefined when unknown. */
  configChanged?: boolean;
  restartRequired?: boolean;
  lastApply?: AppliedState["lastApply"];
  /**
   * The file asks for firmware the device does not run (cli/campaign-status.ts): the target (`1.9.0`,
   * `>= 1.6.0`), its wave in the site's campaign, whether its latest install failed, and why the
   * campaign holds it now.
   */
  firmwarePending?: { target: string; wave?: string; failed?: string; heldBy?: string };
  /** Why an operator should look; empty when all is well. */
  attention: string[];
}

/** The Shelly devices of a saved `pulumi stack export` document (`option` names it in errors), by MAC. */
export function readStateFile(file: string, option = "--state"): Map<string, AppliedState> {
  let document: unknown;
  try {
    document = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(
      `${option} ${file}: not a readable \`pulumi stack export\` document (${(err as Error).message.split("\n")[0]})`,
    );
  }
  return appliedStateOf(document);
}

/** The Shelly devices in a `pulumi stack export` document, by MAC. */
export function appliedStateOf(deployment: unknown): Map<string, AppliedState> {
  const resources = (deployment as { deployment?: { resources?: unknown[] } })?.deployment?.resources ?? [];
  const byMac = new Map<string, AppliedState>();
  for (const resource of resources as { type?: string; outputs?: Record<string, unknown> }[]) {
    if (!/shelly:Device$/.test(resource.type ?? "") || typeof resource.outputs?.mac !== "string") continue;
    const outputs = resource.outputs;
    const state: AppliedState = {};
    if (outputs.revision && typeof outputs.revision === "object")
      state.revision = outputs.revision as Record<string, number>;
    if (typeof outputs.model === "string") state.model = outputs.model;
    if (typeof outputs.firmware === "string") state.firmware = outputs.firmware;
    const last = outputs.lastApply as
      | { startedAt?: string; verified?: boolean; rolledBack?: boolean }
      | undefined;
    if (last?.startedAt) {
      state.lastApply = {
        at: last.startedAt,
        result: last.rolledBack ? "rolled back" : last.verified ? "ok" : "unverified",
      };
    }
    byMac.set(outputs.mac as string, state);
  }
  return byMac;
}

export interface StatusOptions {
  concurrency: number;
  timeoutMs: number;
  /** Secret name → value (decrypted stack config); the environment is asked after it. */
  secrets?: Map<string, string>;
}

const number = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);
const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};

/** Reads one device: identity first (MAC checked), then one status document. Never throws. */
async function readRow(
  device: DesiredDevice,
  password: string | undefined,
  applied: AppliedState | undefined,
  timeoutMs: number,
): Promise<StatusRow> {
  const row: StatusRow = {
    site: device.site,
    device: device.name,
    address: device.address,
    mac: device.mac,
    reachable: false,
    ...(applied?.lastApply && { lastApply: applied.lastApply }),
    attention: [],
  };
  const host = device.address.replace(/^http:\/\//, "").replace(/\/+$/, "");
  try {
    const connection = await connect(
      host,
      { password },
      { expectedMac: device.mac, timeoutMs, readRetries: 0 },
    );
    const { probe } = connection;
    Object.assign(row, {
      reachable: true,
      generation: probe.generation,
      model: probe.model,
      firmware: probe.firmware,
    });
    if (probe.authRequired && password === undefined) {
      row.problem = "auth on and no password (stack config or environment)";
    } else if (connection.generation === 1) {
      const status = await connection.client.getStatus();
      const wifi = record(status.wifi_sta);
      const update = record(status.update);
      row.uptimeSeconds = number(status.uptime);
      row.rssiDbm = number(wifi.rssi);
      if (typeof wifi.ip === "string") row.ip = wifi.ip;
      if (update.has_update === true && typeof update.new_version === "string")
        row.update = update.new_version;
      row.revision = number(status.cfg_changed_cnt);
      row.appliedRevision = applied?.revision?.cfg_changed_cnt;
    } else {
      const status = await connection.client.shellyGetStatus();
      const sys = record(status.sys);
      const wifi = record(status.wifi);
      const stable = record(record(sys.available_updates).stable);
      row.uptimeSeconds = number(sys.uptime);
      row.rssiDbm = number(wifi.rssi);
      if (typeof wifi.sta_ip === "string") row.ip = wifi.sta_ip;
      if (typeof stable.version === "string") row.update = stable.version;
      row.revision = number(sys.cfg_rev);
      row.appliedRevision = applied?.revision?.cfg_rev;
      if (typeof sys.restart_required === "boolean") row.restartRequired = sys.restart_required;
    }
  } catch (err) {
    row.problem =
      err instanceof ShellyMacMismatchError
        ? `another device answers there (MAC ${err.actualMac})`
        : ((err as ShellyError).message ?? String(err));
  }
  if (row.revision !== undefined && row.appliedRevision !== undefined)
    row.configChanged = row.revision !== row.appliedRevision;
  if (!row.reachable) row.attention.push("unreachable");
  else if (row.problem) row.attention.push("not read");
  if (row.configChanged) row.attention.push("config changed since apply");
  if (row.restartRequired) row.attention.push("restart required");
  if (row.lastApply && row.lastApply.result !== "ok")
    row.attention.push(`last apply ${row.lastApply.result}`);
  return row;
}

/** Every device's row, in the files' order, at most `concurrency` devices read at once. */
export async function readStatus(
  devices: readonly DesiredDevice[],
  sites: readonly Site[],
  applied: Map<string, AppliedState>,
  options: StatusOptions,
): Promise<StatusRow[]> {
  const loginSecret = new Map(sites.map((site) => [site.name, site.credentials?.device_password?.secret]));
  const secret = (name: string | undefined) =>
    name === undefined ? undefined : (options.secrets?.get(name) ?? process.env[secretEnvName(name)]);
  return mapLimited(devices, options.concurrency, (device) =>
    readRow(device, secret(loginSecret.get(device.site)), applied.get(device.mac), options.timeoutMs),
  );
}

/** The rows as Prometheus metric families (one series per device and measurement). */
export function statusMetrics(rows: readonly StatusRow[]): MetricFamily[] {
  const labels = (row: StatusRow) => ({
    site: row.site,
    device: row.device,
    mac: row.mac,
    model: row.model ?? "",
    generation: row.generation === undefined ? "" : String(row.generation),
  });
  const gauge = (
    name: string,
    help: string,
    value: (row: StatusRow) => number | boolean | undefined,
  ): MetricFamily => ({
    name,
    help,
    type: "gauge",
    samples: rows.flatMap((row) => {
      const v = value(row);
      return v === undefined ? [] : [{ labels: labels(row), value: Number(v) }];
    }),
  });
  return [
    gauge(
      "shelly_fleet_device_up",
      "1 when the device answered with the file's MAC, else 0.",
      (r) => r.reachable,
    ),
    gauge(
      "shelly_fleet_device_uptime_seconds",
      "Seconds since the device last started.",
      (r) => r.uptimeSeconds,
    ),
    gauge("shelly_fleet_device_wifi_rssi_dbm", "WiFi signal strength in dBm.", (r) => r.rssiDbm),
    gauge(
      "shelly_fleet_device_config_changed_since_apply",
      "1 when the configuration revision moved since the engine last read it.",
      (r) => r.configChanged,
    ),
    gauge(
      "shelly_fleet_device_restart_required",
      "1 when the device needs a restart to apply its configuration.",
      (r) => r.restartRequired,
    ),
    gauge(
      "shelly_fleet_device_firmware_update_available",
      "1 when the device offers a newer stable firmware.",
      (r) => (r.reachable && r.problem === undefined ? r.update !== undefined : undefined),
    ),
    gauge(
      "shelly_fleet_device_last_apply_timestamp_seconds",
      "When the last apply started (Unix time).",
      (r) => (r.lastApply ? Date.parse(r.lastApply.at) / 1000 : undefined),
    ),
    gauge(
      "shelly_fleet_device_needs_attention",
      "1 when the device needs an operator's look (see shelly-fleet status).",
      (r) => r.attention.length > 0,
    ),
  ];
}
