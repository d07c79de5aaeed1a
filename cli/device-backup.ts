// A device's whole configuration as `backup` keeps it and `restore` reads it back: every key the
// device reports (not only the managed ones), scripts' code, schedules, webhooks, KVS; never a
// secret (devices do not return them, and any password-like key is dropped here as well).
import type { ShellyConnection } from "../providers/shelly/client";
import { ShellyHttpError, ShellyRpcError } from "../providers/shelly/client";
import type { DeviceDocuments } from "../providers/shelly/model/normalize";
import type { JsonObject } from "../providers/shelly/model/values";

export const BACKUP_FORMAT = 1;

export interface DeviceBackup {
  "shelly-fleet-backup": typeof BACKUP_FORMAT;
  device: string;
  site: string;
  mac: string;
  address: string;
  model: string;
  firmware: string;
  /** ISO 8601, UTC. */
  taken: string;
  /** What the planner reads (restore plans against these): Gen2+ config, schedules, webhooks; Gen1 settings, actions. */
  documents: DeviceDocuments;
  /** Gen2+: each script's configuration and code. */
  scripts?: { id: number; name: string | null; enable: boolean; code: string }[];
  /** Gen2+: KVS.GetMany's items, key → value. */
  kvs?: Record<string, unknown>;
  /** Gen1: the per-channel endpoints (`/settings/relay/0` …) as they answer. */
  endpoints?: Record<string, JsonObject>;
  /** Key paths dropped because they looked like secrets (their values never written). */
  stripped: string[];
}

/** RPC "method not found" (-114), and the simulator's "no handler" (404): a device without it. */
function absent(err: unknown): boolean {
  return (
    (err instanceof ShellyRpcError && (err.code === -114 || err.code === 404)) ||
    (err instanceof ShellyHttpError && err.status === 404)
  );
}

async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (absent(err)) return undefined;
    throw err;
  }
}

/** Reads everything the device will tell about its configuration. Read-only. */
export async function readBackup(
  connection: ShellyConnection,
  who: { device: string; site: string; address: string },
  now = new Date(),
): Promise<DeviceBackup> {
  const common = {
    "shelly-fleet-backup": BACKUP_FORMAT,
    ...who,
    mac: connection.probe.mac,
    model: connection.probe.model,
    firmware: connection.probe.firmware,
    taken: now.toISOString(),
  } as const;
  if (connection.generation === 1) {
    const client = connection.client;
    const settings = await client.getSettings();
    const documents: DeviceDocuments = {
      generation: "gen1",
      shelly: await client.getShelly(),
      settings,
      ...(await optional(async () => ({ actions: await client.getSettingsActions() }))),
    };
    const endpoints: Record<string, JsonObject> = {};
    for (const [list, endpoint] of [
      ["relays", "relay"],
      ["rollers", "roller"],
      ["lights", "light"],
    ] as const) {
      const channels = settings[list];
      if (!Array.isArray(channels)) continue;
      for (const id of channels.keys()) {
        const doc = await optional(() => client.call(`/settings/${endpoint}/${id}`, {}));
        if (doc) endpoints[`/settings/${endpoint}/${id}`] = doc;
      }
    }
    return withoutSecrets({ ...common, documents, endpoints, stripped: [] });
  }
  const client = connection.client;
  const documents: DeviceDocuments = {
    generation: "gen2",
    deviceInfo: (await client.shellyGetDeviceInfo()) as unknown as JsonObject,
    config: (await client.shellyGetConfig()) as unknown as JsonObject,
  };
  const schedules = await optional(() => client.call<JsonObject>("Schedule.List"));
  const webhooks = await optional(() => client.call<JsonObject>("Webhook.List"));
  if (schedules) documents.schedules = schedules;
  if (webhooks) documents.webhooks = webhooks;
  const listed = await optional(() =>
    client.call<{ scripts: { id: number; name: string | null; enable: boolean }[] }>("Script.List"),
  );
  const scripts = [];
  for (const script of listed?.scripts ?? []) {
    let code = "";
    for (;;) {
      const chunk = await client.call<{ data: string; left: number }>("Script.GetCode", {
        id: script.id,
        offset: code.length,
      });
      code += chunk.data;
      if (chunk.left <= 0 || chunk.data.length === 0) break;
    }
    scripts.push({ id: script.id, name: script.name, enable: script.enable, code });
  }
  const kvsItems = await optional(() =>
    client.call<{ items: { key: string; value: unknown }[] }>("KVS.GetMany", {}),
  );
  const kvs = kvsItems && Object.fromEntries(kvsItems.items.map((item) => [item.key, item.value]));
  return withoutSecrets({
    ...common,
    documents,
    ...(listed && { scripts }),
    ...(kvs && { kvs }),
    stripped: [],
  });
}

/** Names of keys that hold secrets on some firmware (`pass`, `password`, `psk`, `token`, `secret`). */
const SECRET_KEY = /^(pass|passwd|password|psk|token|secret|key_secret|ssl_key)$/i;

/** Drops every secret-looking key that has a value (a string); `null`/booleans say nothing secret. */
export function withoutSecrets(backup: DeviceBackup): DeviceBackup {
  const stripped: string[] = [];
  const walk = (node: unknown, at: string): unknown => {
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${at}[${i}]`));
    if (node === null || typeof node !== "object") return node;
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const where = at === "" ? key : `${at}.${key}`;
      if (SECRET_KEY.test(key) && typeof value === "string" && value !== "") stripped.push(where);
      else kept[key] = walk(value, where);
    }
    return kept;
  };
  const { scripts, ...rest } = backup;
  // Script code is the user's own program, kept as it is.
  const clean = walk(rest, "") as DeviceBackup;
  return { ...clean, ...(scripts && { scripts }), stripped: stripped.sort() };
}
