// Gen1 HTTP API (API.md section 2): /shelly, /settings, /status and the documented writes.
import type { Gen1Capture } from "./capture";
import { CONTROL_PATH, ControlError, controlActs, Gen1Control } from "./gen1-control";
import {
  BadRequest,
  CHANNEL_RULES,
  convertParam,
  parseBool,
  SETTINGS_RULES,
  STATION_RULES,
} from "./gen1-rules";
import {
  deepEqual,
  getPath,
  isObject,
  type Json,
  type JsonObject,
  mergeInto,
  setPathIfPresent,
} from "./json";
import { fetchImage, Ota } from "./ota";
import type { RequestKind } from "./request-log";
import {
  DEFAULT_PASSWORD,
  type DeviceHost,
  type DeviceOptions,
  type Protocol,
  type SimAnswer,
  type SimRequest,
} from "./types";

/** Groups whose attributes are set through `<group>_<attribute>` parameters on /settings (G1DOC). */
const PREFIXED_GROUPS = ["mqtt", "coiot", "sntp", "ap_roaming"];
/** Parameters whose names do not follow the attribute names (API.md 2.2, 2.3). */
const SETTINGS_ALIASES: Record<string, string> = { coiot_enable: "coiot.enabled" };
const WIFI_ALIASES: Record<string, string> = { netmask: "mask", gateway: "gw" };
/** Volatile or identity attributes that no parameter changes. */
const READ_ONLY_SETTINGS = new Set(["fw", "time", "unixtime", "pin_code"]);
/** Channel attributes that are state, not settings. */
const CHANNEL_STATE = new Set([
  "ison",
  "has_timer",
  "power",
  "state",
  "is_valid",
  "safety_switch",
  "positioning",
  "current_pos",
  "last_direction",
  "stop_reason",
  "calibrating",
]);
/** Attributes that hold numbers but are null in a fresh capture. */
const NUMERIC_WHEN_NULL = new Set(["lat", "lng", "tz_utc_offset"]);
/** /settings/white/N and /settings/color/N are the RGBW2's names for its `lights[]`. */
const CHANNEL_ARRAYS: Record<string, string[]> = {
  relay: ["relays"],
  roller: ["rollers"],
  light: ["lights"],
  white: ["lights"],
  color: ["lights"],
};
/** The rule table (gen1-rules.ts) of each channel endpoint. */
const CHANNEL_RULE_SET: Record<string, string> = {
  relay: "relay",
  roller: "roller",
  light: "light",
  white: "light",
  color: "light",
};

const json = (doc: Json): Pick<SimAnswer, "status" | "body" | "contentType"> => ({
  status: 200,
  body: JSON.stringify(doc),
  contentType: "application/json",
});

export class Gen1Protocol implements Protocol {
  readonly concurrency = 1;
  private readonly shelly: JsonObject;
  private readonly settings: JsonObject;
  private readonly status: JsonObject;
  private readonly actions: Record<string, JsonObject[]> = {};
  /** Write-only values (WiFi keys, MQTT and login passwords): stored, never returned. */
  private readonly secrets = new Map<string, string>();
  readonly ota: Ota;
  private inAp: boolean;
  private readonly control: Gen1Control;

  constructor(
    capture: Gen1Capture,
    private readonly host: DeviceHost,
    options: DeviceOptions,
  ) {
    this.shelly = capture.shelly;
    this.settings = capture.settings;
    this.status = capture.status;
    this.inAp = host.apMode;
    this.control = new Gen1Control(this.settings, this.status, host.now);
    this.ota = new Ota(host);
    this.ota.attach({
      began: () => this.setUpdate({ status: "updating" }),
      progress: () => undefined,
      // Guess (sim/README.md): a failed update leaves the offer standing and the status idle.
      failed: () => this.setUpdate({ status: "idle" }),
      installed: (version) => this.install(version),
    });
    this.initActions();
    const login = this.settings.login;
    if (isObject(login)) {
      if (options.password !== undefined) {
        login.enabled = true;
        login.unprotected = false;
      }
      this.secrets.set("login.password", options.password ?? DEFAULT_PASSWORD);
    }
    this.syncAuthFlag();
    if (this.inAp) this.startInApMode();
  }

  get identity() {
    const mac = String(this.shelly.mac);
    const hostname = getPath(this.settings, "device.hostname");
    return {
      id: typeof hostname === "string" ? hostname : `${String(this.shelly.type)}-${mac}`,
      mac,
      model: String(this.shelly.type),
      gen: 1,
    };
  }

  classify(req: SimRequest): { kind: RequestKind } {
    const path = trimSlash(req.path);
    const params = this.params(req);
    if (path === "/reboot") return { kind: "write" };
    if (path === "/ota")
      return { kind: ["update", "beta", "url"].some((p) => params.has(p)) ? "write" : "read" };
    if (path.startsWith("/settings")) return { kind: [...params.keys()].length > 0 ? "write" : "read" };
    if (CONTROL_PATH.test(path)) return { kind: controlActs(params) ? "write" : "read" };
    return { kind: "read" };
  }

  handle(req: SimRequest, context: { refuseWrites: boolean }): SimAnswer {
    const { kind } = this.classify(req);
    const path = trimSlash(req.path);
    if (path === "/shelly") return { ...json(this.shelly), kind };
    if (this.shelly.auth === true && !this.authorized(req)) {
      return {
        status: 401,
        body: "401 Unauthorized",
        contentType: "text/plain",
        headers: { "www-authenticate": 'Basic realm="Shelly"' },
        kind,
      };
    }
    if (kind === "write" && context.refuseWrites) {
      return { status: 403, body: "Write refused", contentType: "text/plain", kind };
    }
    try {
      return { ...this.route(path, this.params(req)), kind };
    } catch (err) {
      if (!(err instanceof BadRequest) && !(err instanceof ControlError)) throw err;
      return { status: err.status, body: err.message, contentType: "text/plain", kind };
    }
  }

  onBoot(): void {
    this.ota.onBoot();
  }

  private setUpdate(fields: JsonObject): void {
    const update = this.status.update;
    if (isObject(update)) Object.assign(update, fields);
  }

  /** Back from the update's reboot: `fw` carries the new version in the build-id form of the capture. */
  private install(version: string): void {
    const date = new Date(this.host.now()).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    const fw = /\d+\.\d+\.\d+/.test(version) && !version.includes("/") ? `${date}/v${version}-gsim` : version;
    this.shelly.fw = fw;
    setPathIfPresent(this.settings, "fw", fw);
    setPathIfPresent(this.settings, "build_info.build_id", fw);
    const update = this.status.update;
    if (isObject(update)) {
      const beta = update.beta_version;
      Object.assign(update, { status: "idle", has_update: false, new_version: fw, old_version: fw });
      if (typeof beta === "string" && versionOf(beta) === versionOf(fw)) delete update.beta_version;
    }
    setPathIfPresent(this.status, "has_update", false);
  }

  drift(patch: unknown): void {
    if (!isObject(patch)) throw new Error("a Gen1 drift is a partial /settings document (a JSON object)");
    if (mergeInto(this.settings, patch)) this.configChanged();
    this.syncAuthFlag();
  }

  offerUpdate(update: { stable?: string; beta?: string }): void {
    const current = this.status.update;
    if (!isObject(current)) return;
    if (update.stable !== undefined) {
      Object.assign(current, { status: "pending", has_update: true, new_version: update.stable });
      setPathIfPresent(this.status, "has_update", true);
    }
    if (update.beta !== undefined) current.beta_version = update.beta;
  }

  private params(req: SimRequest): URLSearchParams {
    // Query string or form body, on any HTTP method (API.md 2.1).
    const params = new URLSearchParams(req.query);
    if (req.body.length > 0 && !req.body.trimStart().startsWith("{")) {
      for (const [key, value] of new URLSearchParams(req.body)) params.append(key, value);
    }
    return params;
  }

  private authorized(req: SimRequest): boolean {
    const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!match) return false;
    const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return (
      decoded.slice(0, colon) === getPath(this.settings, "login.username") &&
      decoded.slice(colon + 1) === this.secrets.get("login.password")
    );
  }

  private route(
    path: string,
    params: URLSearchParams,
  ): Pick<SimAnswer, "status" | "body" | "contentType" | "afterwards"> {
    this.control.settle();
    const control = CONTROL_PATH.exec(path);
    if (control) return json(this.control.route(control[1] as string, Number(control[2]), params));
    if (path === "/status") return json(this.statusDocument());
    if (path === "/settings") {
      this.applySettings(params);
      return json(this.settingsDocument());
    }
    if (path === "/settings/sta" || path === "/settings/sta1")
      return this.applyStation(path === "/settings/sta" ? "sta" : "sta1", params);
    if (path === "/settings/ap") return json(this.applyAccessPoint(params));
    if (path === "/settings/login") return json(this.applyLogin(params));
    if (path === "/settings/cloud") return json(this.applyCloud(params));
    if (path === "/settings/actions") return json(this.applyActions(params));
    const channel = /^\/settings\/(\w+)\/(\d+)$/.exec(path);
    if (channel && CHANNEL_ARRAYS[channel[1] as string]) {
      return json(this.applyChannel(channel[1] as string, Number(channel[2]), params));
    }
    if (path === "/ota") return this.applyOta(params);
    if (path === "/ota/check") return json({ status: "ok" });
    if (path === "/reboot") return { ...json({}), afterwards: "reboot" };
    throw new BadRequest("Not Found", 404);
  }

  private settingsDocument(): JsonObject {
    const doc = structuredClone(this.settings);
    const now = new Date(this.host.now());
    setPathIfPresent(doc, "unixtime", Math.floor(now.getTime() / 1000));
    setPathIfPresent(doc, "time", now.toISOString().slice(11, 16));
    return doc;
  }

  private statusDocument(): JsonObject {
    const doc = structuredClone(this.status);
    const now = new Date(this.host.now());
    setPathIfPresent(doc, "unixtime", Math.floor(now.getTime() / 1000));
    setPathIfPresent(doc, "time", now.toISOString().slice(11, 16));
    setPathIfPresent(doc, "uptime", this.host.uptimeSeconds());
    return doc;
  }

  private configChanged(): void {
    const count = this.status.cfg_changed_cnt;
    if (typeof count === "number") this.status.cfg_changed_cnt = count + 1;
  }

  /** Sets attributes and bumps cfg_changed_cnt once if any value actually changed. */
  private assign(target: JsonObject, changes: [string, Json][]): void {
    let changed = false;
    for (const [key, value] of changes) {
      if (!deepEqual(target[key], value)) {
        target[key] = value;
        changed = true;
      }
    }
    if (changed) this.configChanged();
  }

  private applySettings(params: URLSearchParams): void {
    const changes: [JsonObject, string, Json][] = [];
    for (const [param, raw] of params) {
      if (param === "mqtt_pass") {
        this.secrets.set("mqtt.pass", raw);
        continue;
      }
      const attribute = this.settingsAttribute(param);
      if (attribute === undefined) continue; // unknown parameters are ignored, as real firmware does
      const dot = attribute.indexOf(".");
      const target = dot < 0 ? this.settings : (this.settings[attribute.slice(0, dot)] as JsonObject);
      const key = attribute.slice(dot + 1);
      const rule = SETTINGS_RULES[attribute];
      changes.push([target, key, convertParam(rule, target[key], raw, param, NUMERIC_WHEN_NULL.has(key))]);
    }
    let changed = false;
    for (const [target, key, value] of changes) {
      if (!deepEqual(target[key], value)) {
        target[key] = value;
        changed = true;
      }
    }
    if (changed) this.configChanged();
  }

  private settingsAttribute(param: string): string | undefined {
    const alias = SETTINGS_ALIASES[param];
    if (alias !== undefined) return getPath(this.settings, alias) !== undefined ? alias : undefined;
    const top = this.settings[param];
    if (top !== undefined && !isObject(top) && !Array.isArray(top) && !READ_ONLY_SETTINGS.has(param))
      return param;
    for (const group of PREFIXED_GROUPS) {
      const section = this.settings[group];
      if (!param.startsWith(`${group}_`) || !isObject(section)) continue;
      const key = param.slice(group.length + 1);
      if (key in section && !isObject(section[key])) return `${group}.${key}`;
    }
    return undefined;
  }

  private applyStation(which: "sta" | "sta1", params: URLSearchParams) {
    const station = this.settings[`wifi_${which}`];
    if (!isObject(station)) throw new BadRequest("Not Found", 404);
    const changes: [string, Json][] = [];
    for (const [param, raw] of params) {
      if (param === "key") {
        this.secrets.set(`wifi_${which}.key`, raw);
        continue;
      }
      const key = WIFI_ALIASES[param] ?? param;
      if (key in station && key !== "key")
        changes.push([key, convertParam(STATION_RULES[key], station[key], raw, param)]);
    }
    this.assign(station, changes);
    // "Setting enabled to 1 will automatically disable AP mode" (G1DOC /settings/sta).
    const ap = this.settings.wifi_ap;
    if (which === "sta" && params.has("enabled") && station.enabled === true && isObject(ap))
      ap.enabled = false;
    const joins =
      this.inAp && which === "sta" && station.enabled === true && String(station.ssid ?? "") !== "";
    if (joins) {
      this.inAp = false;
      const status = this.status.wifi_sta;
      if (isObject(status)) Object.assign(status, { connected: true, ssid: station.ssid });
    }
    return { ...json(station), ...(joins ? { afterwards: "joinStation" as const } : {}) };
  }

  private applyAccessPoint(params: URLSearchParams): JsonObject {
    const ap = this.settings.wifi_ap;
    if (!isObject(ap)) throw new BadRequest("Not Found", 404);
    if (params.has("key")) this.secrets.set("wifi_ap.key", params.get("key") as string);
    if (params.has("enabled")) this.assign(ap, [["enabled", parseBool(params.get("enabled") as string)]]);
    const sta = this.settings.wifi_sta;
    if (ap.enabled === true && params.has("enabled") && isObject(sta)) sta.enabled = false;
    return ap;
  }

  private applyLogin(params: URLSearchParams): JsonObject {
    const login = this.settings.login;
    if (!isObject(login)) throw new BadRequest("Not Found", 404);
    for (const field of ["username", "password"]) {
      const value = params.get(field);
      if (value !== null && (value.length < 1 || value.length > 50)) {
        throw new BadRequest(`${field} must be 1 to 50 characters`);
      }
    }
    const changes: [string, Json][] = [];
    for (const field of ["enabled", "unprotected"]) {
      if (params.has(field)) changes.push([field, parseBool(params.get(field) as string)]);
    }
    if (params.has("username")) changes.push(["username", params.get("username") as string]);
    if (params.has("password")) this.secrets.set("login.password", params.get("password") as string);
    this.assign(login, changes);
    this.syncAuthFlag();
    return login;
  }

  private applyCloud(params: URLSearchParams): JsonObject {
    const cloud = this.settings.cloud;
    if (!isObject(cloud)) throw new BadRequest("Not Found", 404);
    if (params.has("enabled")) this.assign(cloud, [["enabled", parseBool(params.get("enabled") as string)]]);
    return { enabled: cloud.enabled ?? false };
  }

  private applyChannel(kind: string, index: number, params: URLSearchParams): JsonObject {
    const arrayName = (CHANNEL_ARRAYS[kind] ?? []).find((name) => Array.isArray(this.settings[name]));
    const channel = arrayName ? (this.settings[arrayName] as Json[])[index] : undefined;
    if (!isObject(channel)) throw new BadRequest("Not Found", 404);
    const changes: [string, Json][] = [];
    for (const param of new Set(params.keys())) {
      const name = param.replace(/\[\]$/, "");
      // Rollers take `btn_type` but report `button_type` (API.md 2.3).
      const key: string = !(name in channel) && name.startsWith("btn_") ? `button_${name.slice(4)}` : name;
      if (!(key in channel) || CHANNEL_STATE.has(key) || isObject(channel[key])) continue;
      if (Array.isArray(channel[key])) {
        const values = params.getAll(param).flatMap((v) => (param.endsWith("[]") ? [v] : v.split(",")));
        changes.push([key, values.filter((v) => v !== "")]);
      } else {
        const rule = CHANNEL_RULES[CHANNEL_RULE_SET[kind] as string]?.[key];
        changes.push([key, convertParam(rule, channel[key], params.get(param) as string, param)]);
      }
    }
    this.assign(channel, changes);
    return channel;
  }

  /** GET /settings/actions holds the URLs; /settings only has a summary (API.md 2.2). */
  private initActions(): void {
    const summary = this.settings.actions;
    const names = isObject(summary) && Array.isArray(summary.names) ? summary.names : [];
    for (const name of names) {
      if (typeof name !== "string") continue;
      const entries = this.actions[name] ?? [];
      entries.push({ index: entries.length, urls: [], enabled: false });
      this.actions[name] = entries;
    }
  }

  private applyActions(params: URLSearchParams): JsonObject {
    const name = params.get("name");
    if (name !== null) {
      const index = Number(params.get("index") ?? "0");
      const entry = this.actions[name]?.find((e) => e.index === index);
      if (entry === undefined) throw new BadRequest(`Unknown action ${name} index ${index}`);
      const changes: [string, Json][] = [];
      if (params.has("enabled")) changes.push(["enabled", parseBool(params.get("enabled") as string)]);
      if (params.has("urls[]")) {
        const urls = params.getAll("urls[]").filter((u) => u !== "");
        if (urls.length > 5 || urls.some((u) => u.length > 256)) {
          throw new BadRequest("At most 5 URLs of at most 256 characters");
        }
        changes.push(["urls", urls]);
      }
      for (const [param, raw] of params) {
        if (param in entry && param.endsWith("_threshold"))
          changes.push([param, convertParam(undefined, entry[param], raw, param)]);
      }
      this.assign(entry, changes);
      const summary = this.settings.actions;
      if (isObject(summary)) {
        summary.active = Object.values(this.actions).some((list) =>
          list.some((e) => e.enabled === true && Array.isArray(e.urls) && e.urls.length > 0),
        );
      }
    }
    return { actions: structuredClone(this.actions) as JsonObject };
  }

  /**
   * `/ota?update=true` (the offered stable version), `?beta=true`, or `?url=` (the image there):
   * answers with the update status, then downloads and reboots (sim/shelly/ota.ts). Without an
   * offer, or while an update runs, it only answers the status.
   */
  private applyOta(params: URLSearchParams) {
    const update = this.status.update;
    if (!isObject(update)) throw new BadRequest("Not Found", 404);
    const flag = (name: string) => params.has(name) && parseBool(params.get(name) as string);
    if (this.ota.busy) return json(update);
    const url = params.get("url");
    if (url) {
      const model = String(this.shelly.type);
      this.ota.start(url, () => fetchImage(url, model));
      return json(update);
    }
    let target: Json | undefined;
    if (flag("beta")) target = update.beta_version;
    else if (flag("update")) target = update.has_update === true ? update.new_version : undefined;
    if (typeof target !== "string") return json(update);
    this.ota.start(target);
    return json(update);
  }

  stationCredentials(): { ssid: string; password: string } {
    const station = this.settings.wifi_sta;
    const ssid = isObject(station) ? String(station.ssid ?? "") : "";
    return { ssid, password: this.secrets.get("wifi_sta.key") ?? "" };
  }

  returnToApMode(): void {
    this.inAp = true;
    const ap = this.settings.wifi_ap;
    if (isObject(ap)) ap.enabled = true;
    const status = this.status.wifi_sta;
    if (isObject(status)) Object.assign(status, { connected: false, ip: null });
  }

  private startInApMode(): void {
    const ap = this.settings.wifi_ap;
    const sta = this.settings.wifi_sta;
    if (isObject(ap)) {
      ap.enabled = true;
      if (!ap.ssid) ap.ssid = this.identity.id;
    }
    if (isObject(sta)) Object.assign(sta, { enabled: false, ssid: "" });
    const staStatus = this.status.wifi_sta;
    if (isObject(staStatus)) Object.assign(staStatus, { connected: false, ssid: "", ip: null });
  }

  private syncAuthFlag(): void {
    const login = this.settings.login;
    this.shelly.auth = isObject(login) && login.enabled === true && login.unprotected !== true;
  }
}

/** `20230913-112003/v1.14.0-gcb84623` → `1.14.0`. */
const versionOf = (fw: string): string | undefined => /v?(\d+\.\d+\.\d+)/.exec(fw)?.[1];

const trimSlash = (path: string): string => (path.length > 1 ? path.replace(/\/+$/, "") : path);
