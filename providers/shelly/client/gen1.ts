// Gen1 HTTP client (API.md §2): one method per endpoint, named after its path. Writes are GETs with
// a query string and answer the updated document; HTTP Basic when `/settings/login` enabled it.

import { normalizeMac } from "../../shared/net";
import { ShellyAuthError, ShellyHttpError, ShellyMacMismatchError, ShellyProtocolError } from "./errors";
import { HttpTransport, isRecord, parseJsonBody, type TransportOptions } from "./http";
import type { Gen1Actions, Gen1OtaInfo, Gen1Params, Gen1Shelly, JsonObject } from "./types";

export interface Gen1ClientOptions extends TransportOptions {
  /** Gen1 lets the user choose it (`/settings/login?username=`). Default `admin`. */
  username?: string;
  password?: string;
  /**
   * The MAC the device must have. Gen1 sends the password in clear (Basic), so before the first
   * request that carries it, an unauthenticated GET /shelly must show this MAC.
   */
  expectedMac?: string;
}

/** Encodes Gen1 parameters; keys and values are percent-encoded except the `[]` of list keys, written as the docs show them. */
function encodeQuery(params: Gen1Params): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    const name = encodeURIComponent(key);
    if (Array.isArray(value)) {
      // `urls[]=a&urls[]=b`; an empty list is sent as `urls[]=`, which the device reads as "clear".
      if (value.length === 0) parts.push(`${name}[]=`);
      for (const item of value) parts.push(`${name}[]=${encodeURIComponent(String(item))}`);
    } else {
      parts.push(`${name}=${value === null ? "" : encodeURIComponent(String(value))}`);
    }
  }
  return parts.join("&");
}

/** A Gen1 device (ESP8266): one request in flight at a time. */
export class Gen1Client {
  readonly host: string;
  private readonly transport: HttpTransport;
  private username: string;
  private password: string | undefined;
  private readonly expectedMac: string | undefined;
  /** Whether GET /shelly has shown the expected MAC, so credentials may be sent. */
  private identityShown: boolean;

  constructor(host: string, options: Gen1ClientOptions = {}) {
    this.host = host;
    // Its small TCP stack is the reason for one in flight (API.md §7).
    this.transport = new HttpTransport(host, 1, options);
    this.username = options.username ?? "admin";
    this.password = options.password;
    this.expectedMac =
      options.expectedMac === undefined
        ? undefined
        : (normalizeMac(options.expectedMac) ?? options.expectedMac);
    this.identityShown = this.expectedMac === undefined;
  }

  /** `GET /shelly`: identity, never needs credentials (and never gets them). */
  getShelly(): Promise<Gen1Shelly> {
    return this.read<Gen1Shelly>("/shelly");
  }

  /** Records a MAC just read from GET /shelly (by a probe): credentials may follow if it is the expected one. */
  identityRead(mac: string): void {
    if (mac === this.expectedMac) this.identityShown = true;
  }

  /** `GET /settings`: the whole configuration, mixed with some state. */
  getSettings(): Promise<JsonObject> {
    return this.read("/settings");
  }

  /** `GET /status`. */
  getStatus(): Promise<JsonObject> {
    return this.read("/status");
  }

  /** `/settings?…`: device-wide settings; answers the whole updated `/settings`. Never pass `reset` by accident: it factory-resets. */
  setSettings(params: Gen1Params): Promise<JsonObject> {
    return this.write("/settings", params);
  }

  getSettingsRelay(id: number): Promise<JsonObject> {
    return this.read(`/settings/relay/${id}`);
  }

  /** `/settings/relay/{id}?…`: answers the relay's settings object. */
  setSettingsRelay(id: number, params: Gen1Params): Promise<JsonObject> {
    return this.write(`/settings/relay/${id}`, params);
  }

  getSettingsRoller(id: number): Promise<JsonObject> {
    return this.read(`/settings/roller/${id}`);
  }

  /** `/settings/roller/{id}?…`: note the parameter `btn_type` reads back as `button_type`. */
  setSettingsRoller(id: number, params: Gen1Params): Promise<JsonObject> {
    return this.write(`/settings/roller/${id}`, params);
  }

  getSettingsLight(id: number): Promise<JsonObject> {
    return this.read(`/settings/light/${id}`);
  }

  setSettingsLight(id: number, params: Gen1Params): Promise<JsonObject> {
    return this.write(`/settings/light/${id}`, params);
  }

  getSettingsSta(): Promise<JsonObject> {
    return this.read("/settings/sta");
  }

  /** `/settings/sta?…`: applied at once; the device may drop this very connection. Parameters `gateway`/`netmask` read back as `gw`/`mask`. */
  setSettingsSta(params: Gen1Params): Promise<JsonObject> {
    return this.write("/settings/sta", params);
  }

  getSettingsSta1(): Promise<JsonObject> {
    return this.read("/settings/sta1");
  }

  /** `/settings/sta1?…`: the fallback network. */
  setSettingsSta1(params: Gen1Params): Promise<JsonObject> {
    return this.write("/settings/sta1", params);
  }

  getSettingsAp(): Promise<JsonObject> {
    return this.read("/settings/ap");
  }

  /** `/settings/ap?…`: enabling the AP disables STA at once. */
  setSettingsAp(params: Gen1Params): Promise<JsonObject> {
    return this.write("/settings/ap", params);
  }

  getSettingsLogin(): Promise<JsonObject> {
    return this.read("/settings/login");
  }

  /** `/settings/login?…`; on success later calls of this client use the new username/password. */
  async setSettingsLogin(params: Gen1Params): Promise<JsonObject> {
    const result = await this.write("/settings/login", params);
    if (typeof params.username === "string") this.username = params.username;
    if (typeof params.password === "string") this.password = params.password;
    return result;
  }

  getSettingsCloud(): Promise<JsonObject> {
    return this.read("/settings/cloud");
  }

  /** `/settings/cloud?enabled=…`. */
  setSettingsCloud(params: Gen1Params): Promise<JsonObject> {
    return this.write("/settings/cloud", params);
  }

  /** `GET /settings/actions`: the only place the action URLs appear (`/settings` has a summary). */
  getSettingsActions(): Promise<Gen1Actions> {
    return this.read<Gen1Actions>("/settings/actions");
  }

  /** `/settings/actions?index=&name=&enabled=&urls[]=…` (fw ≥ 1.8.0): one action of one channel per call. */
  setSettingsActions(params: Gen1Params): Promise<Gen1Actions> {
    return this.write<Gen1Actions>("/settings/actions", params);
  }

  /** `GET /ota` without parameters: firmware update state. */
  getOta(): Promise<Gen1OtaInfo> {
    return this.read<Gen1OtaInfo>("/ota");
  }

  /** `/ota?update=true` | `beta=true` | `url=…`: starts an update. */
  ota(params: { update?: boolean; beta?: boolean; url?: string }): Promise<Gen1OtaInfo> {
    return this.write<Gen1OtaInfo>("/ota", params);
  }

  /** `/ota/check`: asks the device to look for updates now. */
  otaCheck(): Promise<JsonObject> {
    return this.write("/ota/check", {});
  }

  /** `/reboot`: never retried, a lost answer does not mean the reboot did not happen. The body is ignored (`{}` or nothing). */
  async reboot(): Promise<void> {
    const call = "GET /reboot";
    await this.transport.withRetries(call, false, () => this.exchange("/reboot", call, false));
  }

  /**
   * Any endpoint: `GET <path>?<params>`, answering its JSON document. The generic form behind the
   * methods above, for callers that hold a path (a plan step). Retried only when `idempotent`.
   */
  call<T extends JsonObject = JsonObject>(
    path: string,
    params: Gen1Params = {},
    options: { idempotent?: boolean } = {},
  ): Promise<T> {
    const query = encodeQuery(params);
    // The call names the path only: the query may carry a WiFi key or a password.
    const call = `GET ${path}`;
    return this.transport.withRetries(call, options.idempotent ?? false, () =>
      this.exchange(query ? `${path}?${query}` : path, call),
    ) as Promise<T>;
  }

  private read<T extends JsonObject = JsonObject>(path: string): Promise<T> {
    return this.call<T>(path, {}, { idempotent: true });
  }

  private write<T extends JsonObject = JsonObject>(path: string, params: Gen1Params): Promise<T> {
    return this.call<T>(path, params);
  }

  private async exchange(pathAndQuery: string, call: string, expectJson = true): Promise<JsonObject> {
    const context = { host: this.host, call };
    const headers: Record<string, string> = {};
    const identityOnly = pathAndQuery === "/shelly";
    if (this.password !== undefined && !identityOnly) {
      if (!this.identityShown) await this.checkIdentity();
      headers.authorization = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString("base64")}`;
    }
    const response = await this.transport.send({ method: "GET", path: pathAndQuery, call, headers });
    if (response.status === 401) {
      throw new ShellyAuthError(
        this.password === undefined
          ? "authentication required and no password given"
          : "credentials rejected",
        context,
      );
    }
    if (response.status !== 200) throw new ShellyHttpError(response.status, response.body, context);
    if (!expectJson) return {};
    const body = parseJsonBody(response.body, context);
    if (!isRecord(body)) throw new ShellyProtocolError("answer is not a JSON object", context);
    return body;
  }

  private async checkIdentity(): Promise<void> {
    const shelly = await this.getShelly();
    const actual = normalizeMac(String(shelly.mac ?? "")) ?? String(shelly.mac);
    if (actual !== this.expectedMac) {
      throw new ShellyMacMismatchError(this.expectedMac as string, actual, {
        host: this.host,
        call: "GET /shelly",
      });
    }
    this.identityShown = true;
  }
}
