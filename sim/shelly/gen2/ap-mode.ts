// Unprovisioned devices (API.md section 5): AP on, station off, until a WiFi.SetConfig names a network.
import { isObject, type JsonObject } from "../json";
import type { Gen2Components } from "./components";

export class ApMode {
  private active: boolean;

  constructor(
    private readonly components: Gen2Components,
    startInAp: boolean,
  ) {
    this.active = startInAp;
    if (startInAp) this.start();
  }

  /** True when this wifi config (just written) makes the device leave AP mode; it then has left it. */
  leavesFor(wifi: JsonObject): boolean {
    if (!this.active) return false;
    const sta = wifi.sta;
    const joins = isObject(sta) && sta.enable === true && typeof sta.ssid === "string" && sta.ssid !== "";
    if (joins) this.active = false;
    return joins;
  }

  /** The station network and key last written (the key is write-only on the wire). */
  stationCredentials(): { ssid: string; password: string } {
    const wifi = this.components.config.wifi;
    const sta = isObject(wifi) ? wifi.sta : undefined;
    const ssid = isObject(sta) ? String(sta.ssid ?? "") : "";
    const password = this.components.secrets.get("wifi.sta.pass");
    return { ssid, password: typeof password === "string" ? password : "" };
  }

  /** The station join failed: AP on again, station settings kept, not connected. */
  returnToAp(): void {
    this.active = true;
    const wifi = this.components.config.wifi;
    const ap = isObject(wifi) ? wifi.ap : undefined;
    if (isObject(ap)) ap.enable = true;
    this.disconnect();
  }

  private start(): void {
    const { realm, info, config } = this.components;
    const ssid = `${realm.slice(0, realm.lastIndexOf("-") + 1)}${String(info.mac).toUpperCase()}`;
    const wifi = isObject(config.wifi) ? config.wifi : {};
    wifi.ap = { ...(isObject(wifi.ap) ? wifi.ap : {}), ssid, is_open: true, enable: true };
    wifi.sta = {
      ...(isObject(wifi.sta) ? wifi.sta : { is_open: true, ipv4mode: "dhcp" }),
      ssid: "",
      enable: false,
    };
    config.wifi = wifi;
    this.disconnect();
  }

  private disconnect(): void {
    const status = this.components.status.wifi;
    if (isObject(status)) Object.assign(status, { sta_ip: null, status: "disconnected", ssid: null });
  }
}
