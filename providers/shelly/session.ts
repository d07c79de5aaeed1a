// A DeviceSession over the Shelly clients: what the executor and the lifecycle need from one
// device, in the terms of the planner's requests.

import { assertRunActive } from "../shared/run-guard";
import {
  connect,
  Gen1Client,
  Gen2Client,
  type Gen2SysStatus,
  normalizeMac,
  type ProbeResult,
  probe,
  type ShellyConnection,
  ShellyError,
  ShellyMacMismatchError,
  ShellyRpcError,
} from "./client";
import { type VersionProbe, waitForFirmware } from "./firmware-wait";
import type { DeviceConfig, Generation } from "./model/catalog";
import type { DeviceDocuments } from "./model/normalize";
import type { JsonObject } from "./model/values";
import { type DocumentPart, type DocumentRead, partsToRead } from "./plan/document-parts";
import type { DeviceSession, WritePurpose } from "./plan/executor";
import { firmwareVersion } from "./plan/firmware";
import type { DeviceRequest } from "./plan/types";

export interface SessionOptions {
  timeoutMs?: number;
  /**
   * The MAC the files give the device. Before any request that carries credentials or writes,
   * the device must have shown it without credentials; once it shows another, the session sends
   * nothing more.
   */
  expectedMac?: string;
  /** The login password for a device with auth on. */
  password?: string;
  /** After the plan changes auth: the new password, or null when auth goes off. */
  passwordAfterAuthChange?: string | null;
  /** How long a reboot may take before the device must answer again. */
  rebootTimeoutMs?: number;
  /** How long a firmware download and its reboot may take together (default 300 s). */
  firmwareTimeoutMs?: number;
  /** Progress lines while a firmware update runs. */
  onProgress?: (line: string) => void;
}

/**
 * Counters the device bumps on every configuration change: Gen2+ `cfg_rev`, `schedule_rev` and
 * `webhook_rev` (Sys.GetStatus), Gen1 `cfg_changed_cnt` (/status). Equal revisions mean an
 * unchanged configuration, so a read can stop after two small requests.
 */
export type ConfigRevision = Record<string, number>;

export interface ShellySession extends DeviceSession {
  generation: Generation;
  model: string;
  firmware: string;
  /** The MAC the device reported when the session opened. */
  mac: string;
  /** The device's configuration revision, or undefined when it reports none. */
  readRevision(): Promise<ConfigRevision | undefined>;
  /** Offered firmware versions, read only when the files pin firmware. */
  availableFirmware(desired: DeviceConfig): Promise<{ stable?: string; beta?: string } | undefined>;
  close(): Promise<void>;
}

/** RPC "method not found": devices without Schedule/Webhook support. */
const METHOD_NOT_FOUND = -114;

/** Gen1 write endpoints the planner addresses by path, mapped to the client's wire-named methods. */
function gen1Write(client: Gen1Client, path: string, params: Record<string, unknown>): Promise<unknown> {
  const p = params as Parameters<Gen1Client["setSettings"]>[0];
  const channel = /^\/settings\/(relay|roller|light)\/(\d+)$/.exec(path);
  if (channel) {
    const id = Number(channel[2]);
    if (channel[1] === "relay") return client.setSettingsRelay(id, p);
    if (channel[1] === "roller") return client.setSettingsRoller(id, p);
    return client.setSettingsLight(id, p);
  }
  switch (path) {
    case "/settings":
      return client.setSettings(p);
    case "/settings/sta":
      return client.setSettingsSta(p);
    case "/settings/sta1":
      return client.setSettingsSta1(p);
    case "/settings/ap":
      return client.setSettingsAp(p);
    case "/settings/login":
      return client.setSettingsLogin(p);
    case "/settings/cloud":
      return client.setSettingsCloud(p);
    case "/settings/actions":
      return client.setSettingsActions(p);
    case "/ota":
      return client.ota(p as { update?: boolean; beta?: boolean });
    default:
      // Raw keys may name other documented endpoints (/settings/white/0 on an RGBW2).
      return client.call(path, p);
  }
}

async function optionalList(call: () => Promise<JsonObject>): Promise<JsonObject | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ShellyRpcError && err.code === METHOD_NOT_FOUND) return undefined;
    throw err;
  }
}

/** `http://127.0.0.1:8080/` → `127.0.0.1:8080`: the clients take a host with an optional port. */
export function hostOf(address: string): string {
  return address.replace(/^http:\/\//, "").replace(/\/+$/, "");
}

/**
 * The refresh fast path: one request (plus a digest challenge when auth is on) that gives the
 * MAC and the configuration revision, without probing: the generation is known from the state.
 * Gen1 `/status` and Gen2+ `Sys.GetStatus` both carry the MAC.
 */
export async function readDeviceStatus(
  deviceAddress: string,
  generation: Generation,
  options: Pick<SessionOptions, "timeoutMs" | "password" | "expectedMac"> = {},
): Promise<{ mac: string; revision?: ConfigRevision }> {
  const host = hostOf(deviceAddress);
  const transport = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
  // With a password and an expected MAC, the clients check the identity before sending it.
  const identity = { password: options.password, expectedMac: options.expectedMac };
  if (generation === "gen1") {
    const status = await new Gen1Client(host, { ...transport, ...identity }).getStatus();
    const count = status.cfg_changed_cnt;
    return {
      mac: normalizeMac(String(status.mac ?? "")) ?? String(status.mac),
      revision: typeof count === "number" ? { cfg_changed_cnt: count } : undefined,
    };
  }
  const sys = await new Gen2Client(host, { ...transport, ...identity }).sysGetStatus();
  return { mac: normalizeMac(String(sys.mac ?? "")) ?? String(sys.mac), revision: revisionOf(sys) };
}

export function revisionOf(sys: Gen2SysStatus): ConfigRevision | undefined {
  if (typeof sys.cfg_rev !== "number") return undefined;
  const revision: ConfigRevision = { cfg_rev: sys.cfg_rev };
  if (typeof sys.schedule_rev === "number") revision.schedule_rev = sys.schedule_rev;
  if (typeof sys.webhook_rev === "number") revision.webhook_rev = sys.webhook_rev;
  return revision;
}

export async function openSession(
  deviceAddress: string,
  options: SessionOptions = {},
): Promise<ShellySession> {
  const address = hostOf(deviceAddress);
  const transport = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
  const identity =
    options.expectedMac === undefined ? transport : { ...transport, expectedMac: options.expectedMac };
  let connection: ShellyConnection = await connect(address, { password: options.password }, identity);
  const generation: Generation = connection.generation === 1 ? "gen1" : "gen2";

  let connectMacUnread = true;
  // The last documents read, and every request sent since: a read after writes takes from it
  // what they cannot have changed (plan/document-parts.ts).
  let lastRead: DeviceDocuments | undefined;
  let sentSinceRead: DeviceRequest[] = [];
  // The revision as read after the last write, for readRevision.
  let revisionAfterWrites: { revision: ConfigRevision | undefined } | undefined;
  // The latest `GET /shelly`, until a write or its use: the documents' identity part (Gen2+: the
  // same object as Shelly.GetDeviceInfo, API.md §1), so a read right after a probe skips it.
  let unusedProbe: ProbeResult | undefined = connection.probe;
  let currentPassword = options.password;
  const reconnect = async (password: string | undefined) => {
    currentPassword = password;
    connection = await connect(address, { password }, identity);
    unusedProbe = connection.probe;
  };

  // The identity as last seen without credentials: fresh right after a probe, stale after a
  // write (a device can be swapped or readdressed under a running apply), lost for good once
  // another MAC answered.
  let identityFresh = true;
  let lostTo: string | undefined;
  const seen = (mac: string): string => {
    if (options.expectedMac !== undefined && mac !== options.expectedMac) lostTo ??= mac;
    else identityFresh = true;
    return mac;
  };
  const beforeWrite = async (purpose: WritePurpose) => {
    assertRunActive(purpose);
    revisionAfterWrites = undefined;
    if (options.expectedMac === undefined) return;
    if (!identityFresh && lostTo === undefined) seen((await probe(address, transport)).mac);
    unusedProbe = undefined;
    if (lostTo !== undefined) {
      throw new ShellyMacMismatchError(options.expectedMac, lostTo, { host: address, call: "GET /shelly" });
    }
    identityFresh = false;
  };

  const waitUntilBack = async () => {
    const deadline = Date.now() + (options.rebootTimeoutMs ?? 90_000);
    // The device keeps answering for a moment after it accepts the reboot.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (;;) {
      try {
        await probe(address, { ...transport, timeoutMs: 2_000 });
        return;
      } catch (err) {
        if (!(err instanceof ShellyError) || Date.now() > deadline) {
          throw new Error(
            `${address}: did not come back within ${(options.rebootTimeoutMs ?? 90_000) / 1000} s of a reboot`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };

  /** The MAC and the configuration revision, in one request (Gen1 /status, Gen2+ Sys.GetStatus). */
  const readStatus = async (): Promise<{ mac: string; revision: ConfigRevision | undefined }> => {
    if (connection.generation === 1) {
      const status = await connection.client.getStatus();
      const count = status.cfg_changed_cnt;
      return {
        mac: normalizeMac(String(status.mac ?? "")) ?? String(status.mac),
        revision: typeof count === "number" ? { cfg_changed_cnt: count } : undefined,
      };
    }
    const sys = await connection.client.sysGetStatus();
    return { mac: normalizeMac(String(sys.mac ?? "")) ?? String(sys.mac), revision: revisionOf(sys) };
  };

  const versionProbe: VersionProbe = async (timeoutMs) => {
    const seen = await probe(address, { ...transport, timeoutMs });
    return { mac: seen.mac, version: seen.generation === 1 ? firmwareVersion(seen.firmware) : seen.version };
  };

  let firmware = connection.generation === 1 ? connection.probe.firmware : connection.probe.version;
  return {
    generation,
    model: connection.probe.model,
    get firmware() {
      return firmware;
    },
    mac: connection.probe.mac,

    async readRevision() {
      if (revisionAfterWrites) return revisionAfterWrites.revision;
      return (await readStatus()).revision;
    },

    async readMac() {
      // The probe that opened the session just read it; later calls (after writes, a reboot)
      // ask the device again.
      if (connectMacUnread) {
        connectMacUnread = false;
        return seen(connection.probe.mac);
      }
      // The status read shows the MAC and the revision in one request, where it sends no
      // credentials before the identity is shown: not with Gen1's Basic auth, whose password
      // goes with every request (Gen2+ answers a digest challenge whose realm has the MAC).
      if (connection.generation !== 1 || currentPassword === undefined) {
        const status = await readStatus();
        revisionAfterWrites = { revision: status.revision };
        return seen(status.mac);
      }
      unusedProbe = await probe(address, transport);
      return seen(unusedProbe.mac);
    },

    async readDocuments(read?: DocumentRead): Promise<DeviceDocuments> {
      const parts = partsToRead(read, lastRead === undefined ? undefined : sentSinceRead);
      // A part not read is the last read's when only changes were asked for, else left out (a
      // list the settings do not manage).
      const part = async <T>(name: DocumentPart, fetch: () => Promise<T>, before: T | undefined) =>
        parts.has(name) ? fetch() : read?.changedOnly ? before : undefined;
      const probed = unusedProbe;
      unusedProbe = undefined;
      let documents: DeviceDocuments;
      if (connection.generation === 1) {
        const client = connection.client;
        const previous = lastRead?.generation === "gen1" ? lastRead : undefined;
        const shelly = await part(
          "identity",
          async () => (probed?.generation === 1 ? probed.shelly : client.getShelly()),
          previous?.shelly,
        );
        const settings = await part("config", () => client.getSettings(), previous?.settings);
        const actions = await part("actions", () => client.getSettingsActions(), previous?.actions);
        documents = {
          generation: "gen1",
          shelly: shelly as JsonObject,
          settings: settings as JsonObject,
          ...(actions !== undefined && { actions }),
        };
      } else {
        const client: Gen2Client = connection.client;
        const previous = lastRead?.generation === "gen2" ? lastRead : undefined;
        const deviceInfo = await part(
          "identity",
          async () =>
            (probed !== undefined && probed.generation !== 1
              ? probed.shelly
              : await client.shellyGetDeviceInfo()) as unknown as JsonObject,
          previous?.deviceInfo,
        );
        const config = await part(
          "config",
          async () => (await client.shellyGetConfig()) as unknown as JsonObject,
          previous?.config,
        );
        const schedules = await part(
          "schedules",
          () => optionalList(() => client.scheduleList() as unknown as Promise<JsonObject>),
          previous?.schedules,
        );
        const webhooks = await part(
          "webhooks",
          () => optionalList(() => client.webhookList() as unknown as Promise<JsonObject>),
          previous?.webhooks,
        );
        documents = {
          generation: "gen2",
          deviceInfo: deviceInfo as JsonObject,
          config: config as JsonObject,
          ...(schedules !== undefined && { schedules }),
          ...(webhooks !== undefined && { webhooks }),
        };
      }
      lastRead = documents;
      sentSinceRead = [];
      return documents;
    },

    async send(request: DeviceRequest, purpose: WritePurpose = "write") {
      await beforeWrite(purpose);
      sentSinceRead.push(request);
      let result: unknown;
      if (request.kind === "gen1") {
        if (connection.generation !== 1) throw new Error(`${address}: a Gen1 request for a Gen2+ device`);
        result = await gen1Write(connection.client, request.path, request.params);
        if (request.path === "/settings/login" && options.passwordAfterAuthChange !== undefined) {
          await reconnect(options.passwordAfterAuthChange ?? undefined);
        }
      } else {
        if (connection.generation === 1) throw new Error(`${address}: an RPC request for a Gen1 device`);
        result = await connection.client.call(request.method, request.params);
        if (request.method === "Shelly.SetAuth")
          await reconnect(options.passwordAfterAuthChange ?? undefined);
      }
      return result;
    },

    async reboot(purpose: WritePurpose = "write") {
      await beforeWrite(purpose);
      if (connection.generation === 1) await connection.client.reboot();
      else await connection.client.shellyReboot();
      await waitUntilBack();
    },

    async awaitFirmware(update) {
      const ms = await waitForFirmware(versionProbe, {
        ...update,
        expectedMac: options.expectedMac ?? connection.probe.mac,
        ...(options.firmwareTimeoutMs !== undefined && { timeoutMs: options.firmwareTimeoutMs }),
        ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
      });
      // Back on the new firmware: a new connection (Gen2+ digest nonces did not survive the reboot).
      connection = await connect(address, { password: currentPassword }, identity);
      unusedProbe = connection.probe;
      // Another firmware: nothing read before it stands.
      lastRead = undefined;
      revisionAfterWrites = undefined;
      firmware = connection.generation === 1 ? connection.probe.firmware : connection.probe.version;
      identityFresh = true;
      connectMacUnread = true;
      return ms;
    },

    async availableFirmware(desired) {
      if (!desired.firmware) return undefined;
      if (connection.generation === 1) {
        const ota = await connection.client.getOta();
        return { stable: firmwareVersion(ota.new_version), beta: firmwareVersion(ota.beta_version) };
      }
      const offered = await connection.client.shellyCheckForUpdate();
      return { stable: offered.stable?.version, beta: offered.beta?.version };
    },

    async close() {
      // Clients share a pooled transport; nothing is held per session.
    },
  };
}
