// What `adopt` pins from a live device: the settings a user manages, as the device shows them,
// so that applying the adopted file right away writes nothing. Pure.
import type { DeviceConfig } from "./catalog";
import { fieldKey, parseKey } from "./keys";
import { type FlatConfig, toDeviceConfig } from "./normalize";

const STATIONS = new Set(["wifi.sta", "wifi.sta1"]);
const STATIC_ADDRESS_FIELDS = new Set(["ip", "netmask", "gateway", "dns"]);

export interface AdoptOptions {
  /** The secret the device's password is referred to by, when its auth is on (the site's login). */
  authSecret?: string;
}

/**
 * Left out: empty values other than names (no MQTT server), static-address fields of a station
 * that uses DHCP, and Gen1 action slots that are off with no URL; they say nothing a user chose.
 * Everything else the model reads is pinned, empty names included, so that drift on it (a
 * channel named later on the device) shows in the next preview. Auth that is on is pinned with
 * its password as a secret reference.
 */
export function adoptedConfig(live: FlatConfig, options: AdoptOptions = {}): DeviceConfig {
  const kept: FlatConfig = new Map();
  for (const [key, value] of live) {
    const parsed = parseKey(key);
    if (value === null || (value === "" && !(parsed.kind === "field" && parsed.field === "name"))) continue;
    if (
      parsed.kind !== "raw" &&
      parsed.section === "action" &&
      parsed.entry !== undefined &&
      live.get(fieldKey("action", "enabled", parsed.entry)) === false &&
      (live.get(fieldKey("action", "urls", parsed.entry)) as unknown[]).length === 0
    ) {
      continue;
    }
    if (
      parsed.kind === "field" &&
      STATIONS.has(parsed.section) &&
      STATIC_ADDRESS_FIELDS.has(parsed.field) &&
      live.get(fieldKey(parsed.section, "ipv4_method")) !== "static"
    ) {
      continue;
    }
    kept.set(key, value);
  }
  if (live.get(fieldKey("auth", "enabled")) === true && options.authSecret !== undefined) {
    kept.set(fieldKey("auth", "password"), { secret: options.authSecret });
  }
  return toDeviceConfig(kept);
}
