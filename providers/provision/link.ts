// A WiFi link: how this host reaches a device's access point. `direct` assumes it is reachable
// already; `nmcli` joins it with NetworkManager and goes back to the previous network afterwards.

export interface AccessPointTarget {
  mac: string;
  /** The SSID the file names, if any. */
  ssid?: string;
  /** Where the device answers once joined. */
  address: string;
}

export interface WifiLink {
  /** For messages: "direct", "nmcli on wlan0". */
  readonly description: string;
  /** Resolves once the AP is in range: its SSID, or undefined when this link cannot see SSIDs. */
  findAccessPoint(target: AccessPointTarget, signal: AbortSignal): Promise<string | undefined>;
  joinAccessPoint(ssid: string | undefined, signal: AbortSignal): Promise<void>;
  /** Back to the network this host was on before joining; harmless when not joined. */
  leaveAccessPoint(signal: AbortSignal): Promise<void>;
}

/** Shelly AP SSIDs (API.md section 5, after shelly-go `discovery/wifi.go`). */
const SHELLY_SSID = /^shelly[a-z0-9]*[-_]?[a-f0-9]+$/i;

/**
 * True when `ssid` is the AP of the device with this MAC: the file's SSID exactly, or a Shelly
 * SSID ending in the MAC (old Gen1 devices: its last 6 hex digits).
 */
export function isDeviceSsid(ssid: string, target: Pick<AccessPointTarget, "mac" | "ssid">): boolean {
  if (target.ssid !== undefined) return ssid === target.ssid;
  if (!SHELLY_SSID.test(ssid)) return false;
  const upper = ssid.toUpperCase();
  return upper.endsWith(target.mac) || upper.endsWith(`-${target.mac.slice(6)}`);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
