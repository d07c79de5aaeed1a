// Gen2+ JSON-RPC over HTTP (API.md sections 3 and 4): components come from the capture's config and status keys.
import type { Gen2Capture } from "./capture";
import type { DeviceHost, DeviceOptions, Protocol, SimAnswer, SimRequest } from "./device";
import { DEFAULT_PASSWORD } from "./device";
import {
  challengeHeader,
  digestHa1,
  digestResponse,
  NonceStore,
  parseDigestHeader,
  parseNc,
  RPC_HA2,
  sha256Hex,
} from "./digest";
import { deepEqual, isObject, type Json, type JsonObject, mergeInto } from "./json";
import type { RequestKind } from "./request-log";

/** JSON-RPC error codes (API.md 3.3). */
export const RPC_ERRORS = {
  invalidArgument: -103,
  notFound: -105,
  alreadyExists: -106,
  resourceExhausted: -108,
  failedPrecondition: -109,
  unavailable: -114,
  noHandler: 404,
} as const;

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Keys no SetConfig may change, by component type (besides `id` of every instance). */
const READ_ONLY: Record<string, string[]> = {
  sys: ["cfg_rev", "device.mac", "device.fw_id"],
  wifi: ["ap.ssid", "ap.is_open", "sta.is_open", "sta1.is_open"],
};
/** Secrets: accepted by SetConfig, never returned (API.md 3.4). */
const WRITE_ONLY: Record<string, string[]> = {
  wifi: ["ap.pass", "sta.pass", "sta1.pass"],
  mqtt: ["pass"],
};
/** Changes that only take effect after a reboot (API.md 3.5); "" = any key of the component. */
const RESTART_REQUIRED: Record<string, string[]> = {
  mqtt: [""],
  ws: [""],
  ble: [""],
  eth: [""],
  sys: ["rpc_udp"],
};
const MAX_SCHEDULES = 20;
const MAX_CALLS_PER_JOB = 5;
/** 20 webhooks, 10 on battery devices (G2DOC-WH); a `devicepower` component marks a battery device. */
const MAX_WEBHOOKS = 20;
const MAX_WEBHOOKS_BATTERY = 10;
const SCRIPT_CHUNK = 2048;
const AUTH_FAILURE_WINDOW_MS = 10 * 60_000;
/** Virtual (dynamic) components have ids from 200 on. */
const FIRST_DYNAMIC_ID = 200;
const COMPONENTS_PAGE = 20;

const componentType = (key: string): string => key.split(":")[0] as string;

/** `read` for getters and listings, `write` for everything that can change the device. */
export function rpcKind(method: string): RequestKind {
  const verb = method.slice(method.indexOf(".") + 1).toLowerCase();
  return /^(get|list)/.test(verb) || verb === "checkforupdate" ? "read" : "write";
}

interface Call {
  form: "frame" | "path";
  id?: Json;
  src?: Json;
  method: string;
  params: JsonObject;
  auth?: Json;
}

interface Collection {
  items: JsonObject[];
  rev: number;
  nextId: number;
}

export class Gen2Protocol implements Protocol {
  readonly concurrency = 6;
  private readonly info: JsonObject;
  private readonly config: JsonObject;
  private readonly status: JsonObject;
  private readonly capturedMethods: string[] | undefined;
  private readonly secrets = new Map<string, Json>();
  private ha1: string | null = null;
  private readonly nonces: NonceStore;
  private readonly authFailures: number[] = [];
  private readonly schedules: Collection;
  private readonly webhooks: Collection;
  private readonly kvs = new Map<string, { value: Json; etag: string }>();
  private kvsRev: number;
  private readonly scriptCode = new Map<number, string>();
  private pendingFirmware: { stage: string; version: string } | undefined;
  private inAp: boolean;

  constructor(
    capture: Gen2Capture,
    private readonly host: DeviceHost,
    private readonly options: DeviceOptions,
  ) {
    this.info = capture.info;
    this.config = capture.config;
    this.status = capture.status;
    this.capturedMethods = capture.methods;
    this.nonces = new NonceStore({
      mode: options.authMode ?? "fw2",
      now: host.now,
      ...(options.nonceLifetimeMs !== undefined ? { lifetimeMs: options.nonceLifetimeMs } : {}),
    });
    const sys = this.statusSys();
    this.schedules = { items: [], rev: numberOr(sys.schedule_rev, 0), nextId: 1 };
    this.webhooks = { items: [], rev: numberOr(sys.webhook_rev, 0), nextId: 1 };
    this.kvsRev = numberOr(sys.kvs_rev, 0);
    // A capture with auth on cannot carry the password: the caller's, or the documented default.
    if (options.password !== undefined || this.info.auth_en === true) {
      this.setAuth(digestHa1(this.realm, options.password ?? DEFAULT_PASSWORD));
    }
    this.inAp = host.apMode;
    if (this.inAp) this.startInApMode();
  }

  get identity() {
    return {
      id: String(this.info.id),
      mac: String(this.info.mac),
      model: String(this.info.model ?? this.info.app ?? "unknown"),
      gen: Number(this.info.gen),
    };
  }

  private get realm(): string {
    return String(this.info.id);
  }

  classify(req: SimRequest): { kind: RequestKind; rpc?: string } {
    const method = this.methodName(req);
    return method ? { kind: rpcKind(method), rpc: method } : { kind: "read" };
  }

  handle(req: SimRequest, context: { refuseWrites: boolean }): SimAnswer {
    const { kind, rpc } = this.classify(req);
    const base = { kind, ...(rpc ? { rpc } : {}) };
    if (req.path === "/shelly") {
      return {
        ...base,
        status: 200,
        body: JSON.stringify(this.deviceInfo()),
        contentType: "application/json",
      };
    }
    let call: Call;
    try {
      call = this.parseCall(req);
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      const form = req.path === "/rpc" ? "frame" : "path";
      return { ...base, ...this.format({ form, method: "", params: {} }, null, err), error: err.code };
    }
    if (this.ha1 !== null && call.method.toLowerCase() !== "shelly.getdeviceinfo") {
      const refused = this.authenticate(req, call);
      if (refused) return { ...base, ...refused };
    }
    let result: Json = null;
    let error: RpcError | undefined;
    let afterwards: SimAnswer["afterwards"];
    try {
      if (kind === "write" && context.refuseWrites) {
        throw new RpcError(RPC_ERRORS.failedPrecondition, "Writes are refused (simulated fault)");
      }
      ({ result, afterwards } = this.dispatch(call.method, call.params));
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      error = err;
    }
    const answer = this.format(call, result, error);
    return {
      ...base,
      ...answer,
      ...(error ? { error: error.code } : {}),
      ...(afterwards ? { afterwards } : {}),
    };
  }

  onBoot(): void {
    this.statusSys().restart_required = false;
    if (this.pendingFirmware) {
      const { stage, version } = this.pendingFirmware;
      this.pendingFirmware = undefined;
      const fwId = `${firmwareDate(this.host.now())}/${version}-gsim`;
      this.info.ver = version;
      this.info.fw_id = fwId;
      const device = this.configSys().device;
      if (isObject(device) && "fw_id" in device) device.fw_id = fwId;
      const available = this.statusSys().available_updates;
      if (isObject(available)) delete available[stage];
    }
  }

  drift(patch: unknown): void {
    if (!isObject(patch))
      throw new Error('a Gen2+ drift is a partial Shelly.GetConfig document, e.g. {"switch:0":{"name":"x"}}');
    const before = structuredClone(this.config);
    mergeInto(this.config, patch);
    if (!deepEqual(before, this.config)) this.configChanged();
  }

  offerUpdate(update: { stable?: string; beta?: string }): void {
    const sys = this.statusSys();
    const available = isObject(sys.available_updates) ? sys.available_updates : {};
    if (update.stable !== undefined) available.stable = { version: update.stable };
    if (update.beta !== undefined) available.beta = { version: update.beta };
    sys.available_updates = available;
  }

  // ---- transport ----

  private methodName(req: SimRequest): string | undefined {
    if (req.path === "/rpc") {
      try {
        const frame = JSON.parse(req.body) as unknown;
        return isObject(frame) && typeof frame.method === "string" ? frame.method : undefined;
      } catch {
        return undefined;
      }
    }
    const match = /^\/rpc\/([^/]+)$/.exec(req.path);
    return match ? decodeURIComponent(match[1] as string) : undefined;
  }

  private parseCall(req: SimRequest): Call {
    if (req.path === "/rpc") {
      let frame: unknown;
      try {
        frame = JSON.parse(req.body);
      } catch {
        throw new RpcError(RPC_ERRORS.invalidArgument, "Invalid JSON frame");
      }
      if (!isObject(frame) || typeof frame.method !== "string") {
        throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'method'");
      }
      if (frame.params !== undefined && frame.params !== null && !isObject(frame.params)) {
        throw new RpcError(RPC_ERRORS.invalidArgument, "'params' must be an object");
      }
      return {
        form: "frame",
        id: frame.id ?? null,
        src: frame.src,
        method: frame.method,
        params: isObject(frame.params) ? frame.params : {},
        auth: frame.auth,
      };
    }
    const method = this.methodName(req);
    if (method === undefined) throw new RpcError(RPC_ERRORS.noHandler, `No handler for ${req.path}`);
    if (req.method === "POST" && req.body.trim() !== "") {
      let params: unknown;
      try {
        params = JSON.parse(req.body);
      } catch {
        throw new RpcError(RPC_ERRORS.invalidArgument, "Invalid JSON params");
      }
      if (!isObject(params)) throw new RpcError(RPC_ERRORS.invalidArgument, "params must be an object");
      return { form: "path", method, params };
    }
    // GET /rpc/Method?k=v: each value is a raw JSON literal (API.md 3.1), so strings must be quoted.
    const params: JsonObject = {};
    for (const pair of req.rawQuery.split("&").filter((p) => p !== "")) {
      const eq = pair.indexOf("=");
      const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      const raw = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, " "));
      try {
        params[key] = JSON.parse(raw) as Json;
      } catch {
        throw new RpcError(RPC_ERRORS.invalidArgument, `Invalid value for '${key}': ${raw} is not JSON`);
      }
    }
    return { form: "path", method, params };
  }

  private format(
    call: Call,
    result: Json,
    error: RpcError | undefined,
  ): Pick<SimAnswer, "status" | "body" | "contentType"> {
    const contentType = "application/json";
    if (call.form === "frame") {
      const frame: JsonObject = { id: call.id ?? null, src: this.realm };
      if (call.src !== undefined) frame.dst = call.src;
      if (error) frame.error = { code: error.code, message: error.message };
      else frame.result = result;
      return { status: 200, body: JSON.stringify(frame), contentType };
    }
    if (!error) return { status: 200, body: JSON.stringify(result), contentType };
    // Upstream Mongoose maps 403 and 404 through and everything else to 500 (API.md 3.1).
    const status = error.code === 403 || error.code === 404 ? error.code : 500;
    return { status, body: JSON.stringify({ code: error.code, message: error.message }), contentType };
  }

  // ---- auth (API.md 4) ----

  /** Undefined when the request carries valid credentials; otherwise the 401 or 429 answer. */
  private authenticate(
    req: SimRequest,
    call: Call,
  ): Pick<SimAnswer, "status" | "body" | "contentType" | "headers"> | undefined {
    const header = parseDigestHeader(req.headers.authorization ?? "");
    let presented:
      | {
          username: Json | undefined;
          realm: Json | undefined;
          nonce: string;
          nc: unknown;
          ncText: string;
          cnonce: string;
          response: string;
          ha2: string;
          algorithm: Json | undefined;
        }
      | undefined;
    if (isObject(call.auth)) {
      const auth = call.auth;
      presented = {
        username: auth.username,
        realm: auth.realm,
        nonce: String(auth.nonce ?? ""),
        nc: auth.nc,
        // The nc is hashed in the textual form it was sent in; without one, upstream hashes "1".
        ncText: auth.nc === undefined ? "1" : String(auth.nc),
        cnonce: String(auth.cnonce ?? ""),
        response: String(auth.response ?? ""),
        ha2: RPC_HA2,
        algorithm: auth.algorithm,
      };
    } else if (header) {
      presented = {
        username: header.username,
        realm: header.realm,
        nonce: header.nonce ?? "",
        nc: header.nc,
        ncText: header.nc ?? "",
        cnonce: header.cnonce ?? "",
        response: header.response ?? "",
        ha2: header.uri === req.url ? sha256Hex(`${req.method}:${header.uri}`) : "uri mismatch",
        algorithm: header.algorithm,
      };
    }
    if (presented === undefined) return this.challenge(false);
    const expected = digestResponse(
      this.ha1 as string,
      presented.nonce,
      presented.ncText,
      presented.cnonce,
      presented.ha2,
    );
    const credentialsMatch =
      presented.username === "admin" &&
      presented.realm === this.realm &&
      presented.algorithm === "SHA-256" &&
      presented.response === expected;
    if (!credentialsMatch) {
      this.authFailures.push(this.host.now());
      return this.challenge(false);
    }
    const nonce = this.nonces.check(presented.nonce, parseNc(presented.nc));
    if (nonce === "ok") return undefined;
    return this.challenge(nonce === "stale");
  }

  private challenge(stale: boolean): Pick<SimAnswer, "status" | "body" | "contentType" | "headers"> {
    const tooMany = { status: 429, body: "", contentType: "text/plain" };
    if (this.authThrottled()) return tooMany;
    const nonce = this.nonces.issue();
    if (nonce === undefined) return tooMany;
    return {
      status: 401,
      body: "",
      contentType: "text/plain",
      headers: { "www-authenticate": challengeHeader(this.realm, nonce, stale) },
    };
  }

  private authThrottled(): boolean {
    if ((this.options.authMode ?? "fw2") !== "fw2") return false;
    const since = this.host.now() - AUTH_FAILURE_WINDOW_MS;
    while ((this.authFailures[0] ?? Number.POSITIVE_INFINITY) < since) this.authFailures.shift();
    return this.authFailures.length >= (this.options.authFailureLimit ?? 10);
  }

  private setAuth(ha1: string | null): void {
    this.ha1 = ha1;
    this.info.auth_en = ha1 !== null;
    this.info.auth_domain = ha1 !== null ? this.realm : null;
  }

  // ---- methods ----

  private dispatch(
    method: string,
    params: JsonObject,
  ): { result: Json; afterwards?: SimAnswer["afterwards"] } {
    const lower = method.toLowerCase();
    const dot = lower.indexOf(".");
    const namespace = lower.slice(0, dot);
    const verb = lower.slice(dot + 1);
    switch (lower) {
      case "shelly.getdeviceinfo":
        return { result: this.deviceInfo() };
      case "shelly.getconfig":
        return { result: structuredClone(this.config) };
      case "shelly.getstatus":
        return { result: this.statusDocument() };
      case "shelly.getcomponents":
        return { result: this.components(params) };
      case "shelly.listmethods":
        return { result: { methods: this.capturedMethods ?? this.derivedMethods() } };
      case "shelly.setauth":
        return { result: this.rpcSetAuth(params) };
      case "shelly.reboot":
        this.host.reboot(Math.max(500, numberOr(params.delay_ms, 1000)));
        return { result: null };
      case "shelly.checkforupdate":
        return { result: this.checkForUpdate() };
      case "shelly.update":
        return this.update(params);
      case "switch.set":
      case "switch.toggle":
        return { result: this.switchSet(params, verb === "toggle") };
      case "cover.open":
      case "cover.close":
      case "cover.stop":
        return { result: this.coverMove(params, verb) };
    }
    if (namespace === "schedule")
      return { result: this.collection(this.schedules, "schedule", verb, params) };
    if (namespace === "webhook") return { result: this.collection(this.webhooks, "webhook", verb, params) };
    if (namespace === "kvs") return { result: this.kvsCall(verb, params) };
    if (
      namespace === "script" &&
      ["create", "delete", "list", "putcode", "getcode", "start", "stop"].includes(verb)
    ) {
      return { result: this.scriptCall(verb, params) };
    }
    if (verb === "getconfig")
      return { result: structuredClone(this.config[this.componentKey(namespace, params)] as Json) };
    if (verb === "getstatus")
      return { result: this.statusDocument()[this.componentKey(namespace, params)] as Json };
    if (verb === "setconfig") return this.setConfig(namespace, params);
    throw new RpcError(RPC_ERRORS.noHandler, `No handler for ${method}`);
  }

  /** The config key of `Type.*` with `id`: a singleton (`wifi`) or an instance (`switch:0`). */
  private componentKey(namespace: string, params: JsonObject): string {
    if (namespace in this.config) return namespace;
    const instances = Object.keys(this.config).filter(
      (key) => componentType(key) === namespace && key.includes(":"),
    );
    if (instances.length === 0) throw new RpcError(RPC_ERRORS.noHandler, `No handler for ${namespace}`);
    if (params.id === undefined) throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'id'");
    const key = `${namespace}:${String(params.id)}`;
    if (!instances.includes(key))
      throw new RpcError(RPC_ERRORS.notFound, `Argument 'id', value ${String(params.id)} not found!`);
    return key;
  }

  private setConfig(
    namespace: string,
    params: JsonObject,
  ): { result: Json; afterwards?: SimAnswer["afterwards"] } {
    const key = this.componentKey(namespace, params);
    if (!isObject(params.config))
      throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required argument 'config'!");
    const type = componentType(key);
    const current = this.config[key];
    // A redacted capture value (a string in place of the object) is replaced as a whole.
    const target: JsonObject = isObject(current) ? structuredClone(current) : {};
    const restart = { needed: false };
    this.patch(target, params.config, type, "", !isObject(current), restart);
    const changed = !deepEqual(target, current);
    if (changed) {
      this.config[key] = target;
      this.configChanged();
      if (restart.needed) this.statusSys().restart_required = true;
      if (key === "sys") this.syncName();
    }
    const joins = key === "wifi" && this.inAp && this.joinsStation(target);
    if (joins) this.inAp = false;
    return {
      result: { restart_required: changed && restart.needed },
      ...(joins ? { afterwards: "joinStation" as const } : {}),
    };
  }

  /** Merges a partial config: read-only keys rejected, secrets kept aside, unknown keys ignored, null clears. */
  private patch(
    target: JsonObject,
    patch: JsonObject,
    type: string,
    prefix: string,
    acceptUnknown: boolean,
    restart: { needed: boolean },
  ): void {
    for (const [key, value] of Object.entries(patch)) {
      const path = prefix + key;
      if (WRITE_ONLY[type]?.includes(path)) {
        this.secrets.set(`${type}.${path}`, value);
        if ("is_open" in target) target.is_open = value === null || value === "";
        continue;
      }
      if (READ_ONLY[type]?.includes(path) || (path === "id" && "id" in target)) {
        if (!deepEqual(target[key], value))
          throw new RpcError(RPC_ERRORS.invalidArgument, `Read-only key '${path}' cannot be changed`);
        continue;
      }
      if (!(key in target) && !acceptUnknown) continue;
      const current = target[key];
      if (isObject(current) && isObject(value)) {
        this.patch(current, value, type, `${path}.`, acceptUnknown, restart);
        continue;
      }
      if (!deepEqual(current, value)) {
        target[key] = structuredClone(value);
        if (RESTART_REQUIRED[type]?.some((p) => p === "" || path === p || path.startsWith(`${p}.`)))
          restart.needed = true;
      }
    }
  }

  private joinsStation(wifi: JsonObject): boolean {
    const sta = wifi.sta;
    return isObject(sta) && sta.enable === true && typeof sta.ssid === "string" && sta.ssid !== "";
  }

  private configChanged(): void {
    const sys = this.configSys();
    const rev = numberOr(sys.cfg_rev, 0) + 1;
    if ("cfg_rev" in sys) sys.cfg_rev = rev;
    if ("cfg_rev" in this.statusSys()) this.statusSys().cfg_rev = rev;
  }

  private syncName(): void {
    const device = this.configSys().device;
    if (isObject(device) && "name" in device && "name" in this.info) this.info.name = device.name as Json;
  }

  private configSys(): JsonObject {
    return isObject(this.config.sys) ? this.config.sys : {};
  }

  private statusSys(): JsonObject {
    if (!isObject(this.status.sys)) this.status.sys = {};
    return this.status.sys as JsonObject;
  }

  private deviceInfo(): JsonObject {
    return structuredClone(this.info);
  }

  private statusDocument(): JsonObject {
    const doc = structuredClone(this.status);
    const sys = doc.sys;
    if (isObject(sys)) {
      const now = new Date(this.host.now());
      if ("unixtime" in sys) sys.unixtime = Math.floor(now.getTime() / 1000);
      if ("time" in sys) sys.time = now.toISOString().slice(11, 16);
      if ("uptime" in sys) sys.uptime = this.host.uptimeSeconds();
    }
    return doc;
  }

  private components(params: JsonObject): JsonObject {
    const include = Array.isArray(params.include) ? params.include : [];
    const wanted = Array.isArray(params.keys) ? new Set(params.keys) : undefined;
    const keys = Object.keys(this.config).filter((key) => {
      if (wanted && !wanted.has(key)) return false;
      return params.dynamic_only !== true || Number(key.split(":")[1]) >= FIRST_DYNAMIC_ID;
    });
    const offset = numberOr(params.offset, 0);
    const page = keys.slice(offset, offset + COMPONENTS_PAGE).map((key) => {
      const component: JsonObject = { key };
      if (include.includes("status")) component.status = structuredClone(this.status[key] ?? {});
      if (include.includes("config")) component.config = structuredClone(this.config[key] ?? {});
      return component;
    });
    return { components: page, cfg_rev: numberOr(this.configSys().cfg_rev, 0), offset, total: keys.length };
  }

  private derivedMethods(): string[] {
    const types = [...new Set(Object.keys(this.config).map(componentType))];
    const name = (type: string) => type.charAt(0).toUpperCase() + type.slice(1);
    const methods = types.flatMap((type) =>
      ["GetConfig", "SetConfig", "GetStatus"].map((verb) => `${name(type)}.${verb}`),
    );
    if (types.includes("switch")) methods.push("Switch.Set", "Switch.Toggle");
    if (types.includes("cover")) methods.push("Cover.Open", "Cover.Close", "Cover.Stop");
    const services: Record<string, string[]> = {
      Shelly: [
        "GetDeviceInfo",
        "GetConfig",
        "GetStatus",
        "GetComponents",
        "ListMethods",
        "SetAuth",
        "Reboot",
        "CheckForUpdate",
        "Update",
      ],
      Schedule: ["Create", "Update", "Delete", "DeleteAll", "List"],
      Webhook: ["Create", "Update", "Delete", "DeleteAll", "List"],
      KVS: ["Set", "Get", "GetMany", "List", "Delete"],
      Script: ["Create", "Delete", "List", "PutCode", "GetCode", "Start", "Stop"],
    };
    for (const [service, verbs] of Object.entries(services))
      methods.push(...verbs.map((verb) => `${service}.${verb}`));
    return methods;
  }

  private rpcSetAuth(params: JsonObject): Json {
    if (params.user !== "admin") throw new RpcError(RPC_ERRORS.invalidArgument, "user must be admin");
    if (params.ha1 === null) {
      this.setAuth(null);
      return null;
    }
    if (params.realm !== this.realm)
      throw new RpcError(RPC_ERRORS.invalidArgument, `realm must be ${this.realm}`);
    if (typeof params.ha1 !== "string" || !/^[0-9a-f]{64}$/i.test(params.ha1)) {
      throw new RpcError(RPC_ERRORS.invalidArgument, "ha1 must be a SHA-256 hex digest or null");
    }
    this.setAuth(params.ha1.toLowerCase());
    return null;
  }

  private checkForUpdate(): JsonObject {
    const available = this.statusSys().available_updates;
    const result: JsonObject = {};
    if (!isObject(available)) return result;
    for (const [stage, offer] of Object.entries(available)) {
      if (isObject(offer) && typeof offer.version === "string") {
        result[stage] = {
          version: offer.version,
          build_id: `${firmwareDate(this.host.now())}/${offer.version}-gsim`,
        };
      }
    }
    return result;
  }

  private update(params: JsonObject): { result: Json; afterwards: "reboot" } {
    const offers = this.checkForUpdate();
    const stage =
      typeof params.stage === "string"
        ? params.stage
        : params.url !== undefined
          ? Object.keys(offers)[0]
          : "stable";
    const offer = stage === undefined ? undefined : offers[stage];
    if (!isObject(offer))
      throw new RpcError(RPC_ERRORS.failedPrecondition, `No ${stage ?? ""} update available`);
    this.pendingFirmware = { stage: stage as string, version: String(offer.version) };
    return { result: null, afterwards: "reboot" };
  }

  private switchSet(params: JsonObject, toggle: boolean): JsonObject {
    const key = this.componentKey("switch", params);
    const state = this.status[key];
    if (!isObject(state)) throw new RpcError(RPC_ERRORS.notFound, `${key} has no status`);
    const wasOn = state.output === true;
    if (!toggle && typeof params.on !== "boolean")
      throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'on'");
    state.output = toggle ? !wasOn : (params.on as boolean);
    return { was_on: wasOn };
  }

  private coverMove(params: JsonObject, verb: string): Json {
    const key = this.componentKey("cover", params);
    const state = this.status[key];
    if (isObject(state)) {
      state.state = verb === "open" ? "open" : verb === "close" ? "closed" : "stopped";
      if (verb !== "stop" && "current_pos" in state) state.current_pos = verb === "open" ? 100 : 0;
    }
    return null;
  }

  // ---- Schedule.* and Webhook.* (API.md 3.4): same shape, each with its own rev ----

  private collection(
    store: Collection,
    kind: "schedule" | "webhook",
    verb: string,
    params: JsonObject,
  ): Json {
    const bump = () => {
      store.rev++;
      const sys = this.statusSys();
      if (`${kind}_rev` in sys) sys[`${kind}_rev`] = store.rev;
      return store.rev;
    };
    const find = (): JsonObject => {
      const item = store.items.find((i) => i.id === params.id);
      if (!item)
        throw new RpcError(RPC_ERRORS.notFound, `Argument 'id', value ${String(params.id)} not found!`);
      return item;
    };
    switch (verb) {
      case "list":
        return kind === "schedule"
          ? { jobs: structuredClone(store.items), rev: store.rev }
          : { hooks: structuredClone(store.items), rev: store.rev };
      case "create": {
        const limit = kind === "schedule" ? MAX_SCHEDULES : this.webhookLimit();
        if (store.items.length >= limit)
          throw new RpcError(RPC_ERRORS.resourceExhausted, `At most ${limit} ${kind}s`);
        const { id: _ignored, ...fields } = params;
        const item = kind === "schedule" ? this.validJob(fields) : this.validHook(fields, undefined);
        const id = store.nextId++;
        store.items.push({ id, ...item });
        return { id, rev: bump() };
      }
      case "update": {
        const item = find();
        const { id, ...fields } = params;
        const merged = { ...item, ...fields };
        Object.assign(item, kind === "schedule" ? this.validJob(merged) : this.validHook(merged, id));
        return { rev: bump() };
      }
      case "delete":
        store.items.splice(store.items.indexOf(find()), 1);
        return { rev: bump() };
      case "deleteall":
        store.items.length = 0;
        return { rev: bump() };
    }
    throw new RpcError(RPC_ERRORS.noHandler, `No handler for ${kind}.${verb}`);
  }

  private validJob(fields: JsonObject): JsonObject {
    // A 6-field cron with seconds; sunrise/sunset forms start with "@" (G2DOC-SCHED).
    if (
      typeof fields.timespec !== "string" ||
      !(fields.timespec.startsWith("@") || fields.timespec.trim().split(/\s+/).length === 6)
    ) {
      throw new RpcError(RPC_ERRORS.invalidArgument, "timespec must be a 6-field cron expression");
    }
    const calls = fields.calls;
    if (!Array.isArray(calls) || calls.length === 0 || calls.length > MAX_CALLS_PER_JOB) {
      throw new RpcError(RPC_ERRORS.invalidArgument, `calls must hold 1 to ${MAX_CALLS_PER_JOB} calls`);
    }
    if (!calls.every((c) => isObject(c) && typeof c.method === "string")) {
      throw new RpcError(RPC_ERRORS.invalidArgument, "every call needs a method");
    }
    return { enable: fields.enable ?? true, ...fields };
  }

  private validHook(fields: JsonObject, ownId: Json | undefined): JsonObject {
    if (typeof fields.event !== "string" || !fields.event.includes(".")) {
      throw new RpcError(RPC_ERRORS.invalidArgument, "event must be <component>.<event>, e.g. switch.on");
    }
    const cid = numberOr(fields.cid, 0);
    const type = fields.event.split(".")[0] as string;
    if (!(type in this.config) && !(`${type}:${cid}` in this.config)) {
      throw new RpcError(RPC_ERRORS.invalidArgument, `No component ${type}:${cid} for event ${fields.event}`);
    }
    if (!Array.isArray(fields.urls) || !fields.urls.every((u) => typeof u === "string")) {
      throw new RpcError(RPC_ERRORS.invalidArgument, "urls must be an array of strings");
    }
    const name = fields.name ?? null;
    if (name !== null && this.webhooks.items.some((h) => h.name === name && h.id !== ownId)) {
      throw new RpcError(RPC_ERRORS.alreadyExists, `A webhook named ${String(name)} already exists`);
    }
    return { cid, enable: fields.enable ?? true, name, ssl_ca: "ca.pem", ...fields };
  }

  private webhookLimit(): number {
    return Object.keys(this.config).some((key) => componentType(key) === "devicepower")
      ? MAX_WEBHOOKS_BATTERY
      : MAX_WEBHOOKS;
  }

  // ---- KVS.* ----

  private kvsCall(verb: string, params: JsonObject): Json {
    const bump = () => {
      this.kvsRev++;
      const sys = this.statusSys();
      if ("kvs_rev" in sys) sys.kvs_rev = this.kvsRev;
      return this.kvsRev;
    };
    const key = params.key;
    const existing = typeof key === "string" ? this.kvs.get(key) : undefined;
    const etagMatches = () => params.etag === undefined || params.etag === existing?.etag;
    const glob = (pattern: Json | undefined) => {
      const source = String(pattern ?? "*")
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
      return new RegExp(`^${source}$`);
    };
    switch (verb) {
      case "set": {
        if (typeof key !== "string" || key === "")
          throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'key'");
        if (params.value === undefined)
          throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'value'");
        if (existing && !etagMatches()) throw new RpcError(RPC_ERRORS.failedPrecondition, "etag mismatch");
        const rev = bump();
        const etag = sha256Hex(`${key}:${rev}`).slice(0, 28);
        this.kvs.set(key, { value: params.value, etag });
        return { etag, rev };
      }
      case "get":
        if (!existing) throw new RpcError(RPC_ERRORS.notFound, `Key ${String(key)} not found`);
        return { etag: existing.etag, value: existing.value };
      case "getmany": {
        const match = glob(params.match);
        const items = [...this.kvs]
          .filter(([k]) => match.test(k))
          .map(([k, v]) => ({ key: k, etag: v.etag, value: v.value }));
        return { items, offset: 0, total: items.length };
      }
      case "list": {
        const match = glob(params.match);
        const keys: JsonObject = {};
        for (const [k, v] of this.kvs) if (match.test(k)) keys[k] = { etag: v.etag };
        return { keys, rev: this.kvsRev };
      }
      case "delete":
        if (!existing) throw new RpcError(RPC_ERRORS.notFound, `Key ${String(key)} not found`);
        if (!etagMatches()) throw new RpcError(RPC_ERRORS.failedPrecondition, "etag mismatch");
        this.kvs.delete(key as string);
        return { rev: bump() };
    }
    throw new RpcError(RPC_ERRORS.noHandler, `No handler for KVS.${verb}`);
  }

  // ---- Script.* (scripts are `script:N` components; their config goes through Script.SetConfig) ----

  private scriptCall(verb: string, params: JsonObject): Json {
    if (verb === "list") {
      const scripts = Object.keys(this.config)
        .filter((key) => componentType(key) === "script")
        .map((key) => {
          const config = this.config[key] as JsonObject;
          const status = this.status[key];
          return {
            id: config.id ?? null,
            name: config.name ?? null,
            enable: config.enable ?? false,
            running: isObject(status) && status.running === true,
          };
        });
      return { scripts };
    }
    if (verb === "create") {
      const ids = Object.keys(this.config)
        .filter((key) => componentType(key) === "script")
        .map((key) => Number(key.split(":")[1]));
      const id = Math.max(0, ...ids) + 1;
      this.config[`script:${id}`] = {
        id,
        name: typeof params.name === "string" ? params.name : null,
        enable: false,
      };
      this.status[`script:${id}`] = { id, running: false };
      this.scriptCode.set(id, "");
      this.configChanged();
      return { id };
    }
    const key = this.componentKey("script", params);
    const id = Number(params.id);
    const status = this.status[key] as JsonObject;
    const code = this.scriptCode.get(id) ?? "";
    switch (verb) {
      case "delete":
        if (status.running === true) throw new RpcError(RPC_ERRORS.failedPrecondition, "Script is running");
        delete this.config[key];
        delete this.status[key];
        this.scriptCode.delete(id);
        this.configChanged();
        return null;
      case "putcode": {
        if (typeof params.code !== "string")
          throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'code'");
        const next = params.append === true ? code + params.code : params.code;
        this.scriptCode.set(id, next);
        return { len: next.length };
      }
      case "getcode": {
        const offset = numberOr(params.offset, 0);
        const data = code.slice(offset, offset + numberOr(params.len, SCRIPT_CHUNK));
        return { data, left: Math.max(0, code.length - offset - data.length) };
      }
      default: {
        const wasRunning = status.running === true;
        status.running = verb === "start";
        return { was_running: wasRunning };
      }
    }
  }

  stationCredentials(): { ssid: string; password: string } {
    const sta = isObject(this.config.wifi) ? this.config.wifi.sta : undefined;
    const ssid = isObject(sta) ? String(sta.ssid ?? "") : "";
    const password = this.secrets.get("wifi.sta.pass");
    return { ssid, password: typeof password === "string" ? password : "" };
  }

  returnToApMode(): void {
    this.inAp = true;
    const ap = isObject(this.config.wifi) ? this.config.wifi.ap : undefined;
    if (isObject(ap)) ap.enable = true;
    const status = this.status.wifi;
    if (isObject(status)) Object.assign(status, { sta_ip: null, status: "disconnected", ssid: null });
  }

  private startInApMode(): void {
    const ssid = `${this.realm.slice(0, this.realm.lastIndexOf("-") + 1)}${String(this.info.mac).toUpperCase()}`;
    const wifi = isObject(this.config.wifi) ? this.config.wifi : {};
    wifi.ap = { ...(isObject(wifi.ap) ? wifi.ap : {}), ssid, is_open: true, enable: true };
    wifi.sta = {
      ...(isObject(wifi.sta) ? wifi.sta : { is_open: true, ipv4mode: "dhcp" }),
      ssid: "",
      enable: false,
    };
    this.config.wifi = wifi;
    const status = this.status.wifi;
    if (isObject(status)) Object.assign(status, { sta_ip: null, status: "disconnected", ssid: null });
  }
}

const numberOr = (value: Json | undefined, fallback: number): number =>
  typeof value === "number" ? value : fallback;

/** `YYYYMMDD-HHMMSS`, the build-date prefix of fw ids. */
const firmwareDate = (now: number): string =>
  new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
