// Shelly.ListMethods for a capture without one: what the method table answers for its components,
// spelled as real devices spell their namespaces (fixtures/gen3-2pmg3-Shelly.ListMethods.json).
import { componentType, type Gen2Components } from "./components";

/** Namespaces a device spells otherwise than by capitalizing the component type (captured, or docs where marked). */
const NAMESPACES: Record<string, string> = {
  ble: "BLE",
  bthome: "BTHome",
  bthomedevice: "BTHomeDevice",
  bthomesensor: "BTHomeSensor",
  ws: "WS",
  wifi: "Wifi",
  mqtt: "Mqtt",
  kvs: "KVS",
  knx: "KNX",
  http: "HTTP",
  sys: "Sys",
  // Not in any captured list; spelled as in the API docs' method names.
  em: "EM",
  em1: "EM1",
  emdata: "EMData",
  em1data: "EM1Data",
  pm1: "PM1",
  ui: "UI",
  ht_ui: "HT_UI",
  devicepower: "DevicePower",
};

/** Methods beyond Get/SetConfig and GetStatus, per component type. */
const CONTROL_VERBS: Record<string, string[]> = {
  switch: ["Set", "Toggle", "ResetCounters"],
  light: ["Set", "Toggle"],
  cover: ["Open", "Close", "Stop", "GoToPosition"],
  em: ["GetCTTypes"],
  pm1: ["ResetCounters"],
  wifi: ["Scan"],
};

const SERVICES: Record<string, string[]> = {
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
  Webhook: ["Create", "Update", "Delete", "DeleteAll", "List", "ListSupported"],
  KVS: ["Set", "Get", "GetMany", "List", "Delete"],
  Script: ["Create", "Delete", "List", "PutCode", "GetCode", "Start", "Stop"],
};

export const namespaceOf = (type: string): string =>
  NAMESPACES[type] ?? type.charAt(0).toUpperCase() + type.slice(1);

export function derivedMethods(components: Gen2Components): string[] {
  const types = [...new Set(Object.keys(components.config).map(componentType))];
  const methods = types.flatMap((type) =>
    ["GetConfig", "SetConfig", "GetStatus", ...(CONTROL_VERBS[type] ?? [])].map(
      (verb) => `${namespaceOf(type)}.${verb}`,
    ),
  );
  const device = components.configSys().device;
  const profiles = typeof device === "object" && device !== null && "profile" in device;
  for (const [service, verbs] of Object.entries(SERVICES)) {
    const all = service === "Shelly" && profiles ? [...verbs, "ListProfiles", "SetProfile"] : verbs;
    methods.push(...all.map((verb) => `${service}.${verb}`));
  }
  return methods;
}
