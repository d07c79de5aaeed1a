// What `adopt` pins from a live device: the settings a user manages, as the device shows them,
// so that applying the adopted file right away writes nothing. Pure.
import type { DeviceConfig } from "./catalog";
import { type FlatConfig, toDeviceConfig } from "./normalize";

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
    const action = /^(action\[[^\]]*\])/.exec(key)?.[1];
    if (
      action &&
      live.get(`${action}.enabled`) === false &&
      (live.get(`${action}.urls`) as unknown[]).length === 0
    ) {
      continue;
    }
    const station = /^wifi\.(sta1?)\.(ip|netmask|gateway|dns)$/.exec(key);
    if (station && live.get(`wifi.${station[1]}.ipv4_method`) !== "static") continue;
    kept.set(key, value);
  }
  return toDeviceConfig(kept);
}
