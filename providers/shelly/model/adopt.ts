// What `adopt` pins from a live device: the settings a user manages, as the device shows them,
// so that applying the adopted file right away writes nothing. Pure.
import type { DeviceConfig } from "./catalog";
import { fieldKey, parseKey } from "./keys";
import { type FlatConfig, toDeviceConfig } from "./normalize";

const STATIONS = new Set(["wifi.sta", "wifi.sta1"]);
const STATIC_ADDRESS_FIELDS = new Set(["ip", "netmask", "gateway", "dns"]);

/**
 * Left out: empty values (an unnamed channel, no MQTT server), static-address fields of a
 * station that uses DHCP, and Gen1 action slots that are off with no URL; they say nothing a
 * user chose. Everything else the model reads is pinned, so that drift on it shows in the next
 * preview.
 */
export function adoptedConfig(live: FlatConfig): DeviceConfig {
  const kept: FlatConfig = new Map();
  for (const [key, value] of live) {
    if (value === "" || value === null) continue;
    const parsed = parseKey(key);
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
  return toDeviceConfig(kept);
}
