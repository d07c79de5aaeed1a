// What the plain-script peer compares: each managed key of a device file as the place its value
// sits in the device's own configuration document (Gen1 GET /settings, Gen2+ Shelly.GetConfig).
// Written as a user would for the keys their files use (the bench's: the device name and each
// output's name); any other key is refused, so the peer never silently compares less than us.
import type { DeviceConfig } from "../../providers/shelly/model/catalog";

export interface WireCheck {
  /** The file's key, as `validate` names it (`device.name`, `switch.0.name`). */
  key: string;
  /** Where the value is in the configuration document. */
  path: (string | number)[];
  want: unknown;
}

/** The checks for one device file's settings on a device of generation `gen`. */
export function wireChecks(config: DeviceConfig, gen: number): WireCheck[] {
  const checks: WireCheck[] = [];
  for (const [section, value] of Object.entries(config)) {
    if (section === "device") {
      for (const [field, want] of Object.entries(value as Record<string, unknown>)) {
        if (field !== "name") throw new Error(`the script peer does not compare device.${field}`);
        checks.push({ key: "device.name", path: gen === 1 ? ["name"] : ["sys", "device", "name"], want });
      }
    } else if (section === "switch") {
      for (const channel of value as { id: number; [field: string]: unknown }[]) {
        for (const [field, want] of Object.entries(channel)) {
          if (field === "id") continue;
          if (field !== "name")
            throw new Error(`the script peer does not compare switch.${channel.id}.${field}`);
          checks.push({
            key: `switch.${channel.id}.${field}`,
            path: gen === 1 ? ["relays", channel.id, field] : [`switch:${channel.id}`, field],
            want,
          });
        }
      }
    } else {
      throw new Error(`the script peer does not compare [${section}]`);
    }
  }
  return checks;
}

/** The keys whose value on the device differs from the file's (an absent value differs). */
export function differingKeys(document: unknown, checks: WireCheck[]): string[] {
  return checks
    .filter(({ path, want }) => {
      let here: unknown = document;
      for (const step of path) here = (here as Record<string | number, unknown> | undefined)?.[step];
      return here !== want;
    })
    .map(({ key }) => key);
}
