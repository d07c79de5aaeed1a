// Wire shapes as far as the captures in reference/shelly/fixtures show them; `Record<string, unknown>`
// beyond that. Names are the device's own (snake_case) so a reader can grep from code to capture.

/** A JSON object whose members are not typed further. */
export type JsonObject = Record<string, unknown>;

// ---- Gen1 ----

/** Gen1 `GET /shelly` (fixtures/gen1-*-shelly.json). */
export interface Gen1Shelly extends JsonObject {
  type: string;
  mac: string;
  auth: boolean;
  fw: string;
  longid?: number;
  discoverable?: boolean;
  name?: string;
  num_outputs?: number;
  num_meters?: number;
  num_rollers?: number;
  num_inputs?: number;
  /** `relay`/`roller` on the 2.5, `white`/`color` on the RGBW2. */
  mode?: string;
  sleep_mode?: boolean;
}

/** Gen1 `/status` → `update` and `GET /ota` (fixtures/gen1-doc-ota.json). */
export interface Gen1OtaInfo extends JsonObject {
  status: string;
  has_update: boolean;
  new_version: string;
  old_version: string;
  beta_version?: string;
}

/** Gen1 `/settings/actions` (fixtures/gen1-doc-settings-actions.json). */
export interface Gen1Actions extends JsonObject {
  actions: Record<string, Gen1ActionSlot[]>;
}

export interface Gen1ActionSlot extends JsonObject {
  index: number;
  urls: string[];
  enabled: boolean;
}

/**
 * Gen1 query parameters. Booleans go out as `true`/`false`, null as an empty value, and arrays as
 * repeated `name[]=` (an empty array as one `name[]=`, which clears the list).
 */
export type Gen1Params = Record<string, string | number | boolean | null | readonly (string | number)[]>;

// ---- Gen2+ ----

/** `GET /shelly` and `Shelly.GetDeviceInfo` on Gen2+ (API.md §1; fixtures/gen2-*-shelly.json). */
export interface Gen2DeviceInfo extends JsonObject {
  name: string | null;
  id: string;
  mac: string;
  model: string;
  gen: number;
  fw_id: string;
  ver: string;
  app: string;
  auth_en: boolean;
  auth_domain: string | null;
  slot?: number;
  profile?: string;
  discoverable?: boolean;
}

/** Every `*.SetConfig` answers this (API.md §3.4). */
export interface SetConfigResult {
  restart_required: boolean;
}

/** `Sys.GetStatus` = `Shelly.GetStatus` → `sys` (fixtures/gen2-plus1pm-Shelly.GetStatus.json). */
export interface Gen2SysStatus extends JsonObject {
  mac: string;
  restart_required: boolean;
  uptime: number;
  cfg_rev: number;
  kvs_rev?: number;
  schedule_rev?: number;
  webhook_rev?: number;
  available_updates?: { stable?: { version: string }; beta?: { version: string } };
}

/** `Sys.GetConfig` = `Shelly.GetConfig` → `sys`. */
export interface Gen2SysConfig extends JsonObject {
  device?: JsonObject;
  location?: JsonObject;
  sntp?: JsonObject;
  cfg_rev?: number;
}

/** `Shelly.GetConfig`: one config object per component key (`sys`, `wifi`, `switch:0`, …). */
export type Gen2Config = Record<string, JsonObject> & { sys?: Gen2SysConfig };

/** `Shelly.GetStatus`: one status object per component key. */
export type Gen2Status = Record<string, JsonObject> & { sys?: Gen2SysStatus };

/** One page of `Shelly.GetComponents` (fixtures/gen4-mini1g4-Shelly.GetComponents.json). */
export interface Gen2ComponentsPage {
  components: { key: string; config?: JsonObject; status?: JsonObject; attrs?: JsonObject }[];
  cfg_rev: number;
  offset: number;
  total: number;
}

/** A Schedule job (fixtures/gen2-doc-Schedule-job.json). */
export interface Gen2ScheduleJob {
  id: number;
  enable: boolean;
  timespec: string;
  calls: { method: string; params?: JsonObject }[];
}

/** A Webhook hook as written by `Webhook.Create` (API.md §3.4); `Webhook.List` adds `id`. */
export interface Gen2WebhookSpec {
  cid: number;
  enable: boolean;
  /** `<component type>.<event>`, e.g. `switch.on`. */
  event: string;
  name: string | null;
  urls: string[];
  ssl_ca?: string | null;
  active_between?: string[] | null;
  condition?: string | null;
  repeat_period?: number;
}

export interface Gen2Webhook extends Gen2WebhookSpec {
  id: number;
}

/** What `Shelly.CheckForUpdate` finds. */
export interface Gen2AvailableUpdates {
  stable?: { version: string; build_id: string };
  beta?: { version: string; build_id: string };
}
