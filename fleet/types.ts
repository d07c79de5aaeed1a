import type { ProvisionSettings } from "../providers/provision/types";
import type { DeviceConfig, SecretRef } from "../providers/shelly/model/catalog";
import type { CampaignSpec } from "../providers/shelly/plan/campaign";
import type { TagRule } from "./tags";

export type { ProvisionSettings, TagRule };

/** A mistake in the fleet files. Collected across the whole run, never thrown. */
export interface FleetError {
  /** Relative to the fleet root, with "/" separators. */
  file: string;
  /** Dotted key path (`mqtt.server`, `switch.0.name`, `profiles[1]`); "" for the whole file. */
  keyPath: string;
  line?: number;
  message: string;
}

/** Where a merged value was written. */
export interface Origin {
  file: string;
  line?: number;
}

export type DeviceGeneration = 1 | 2 | 3 | 4;

export interface Expectation {
  generation?: DeviceGeneration;
  model?: string;
}

export interface NetworkSettings {
  ip?: string;
  hostname?: string;
  aliases?: string[];
}

export interface SiteCredentials {
  device_user?: string;
  device_password?: SecretRef;
}

/** A site's `[policy]` table (README, "Safety policies"). */
export interface SitePolicy {
  allow_cloud?: boolean;
  allow_beta?: boolean;
  firmware_minimum?: string;
  wifi_change_limit?: number;
  /** Rule id → its level at this site; a lowered level carries the reason. */
  rules?: Record<string, { level: "advisory" | "mandatory" | "disabled"; reason?: string }>;
}

export interface Site {
  name: string;
  /** `devices/<site>/site.toml`, when the site has one. */
  file?: string;
  /** `stacks/Pulumi.<site>.yaml`, when it exists. */
  stackFile?: string;
  subnet?: string;
  dhcpPool?: { start: string; end: string };
  dhcpBackend?: "kea" | "dnsmasq";
  credentials?: SiteCredentials;
  /** Profiles applied to every device of the site, before the device's own. */
  profiles: string[];
  /** `[[by_tag]]`: profiles and aliases for the devices that carry a tag. */
  tagRules: TagRule[];
  /** `[firmware_campaign]`: how firmware updates roll out over the site. */
  campaign?: CampaignSpec;
  /** The `[policy]` table: what the safety rules allow here, and the levels changed. */
  policy?: SitePolicy;
}

export interface DesiredDevice {
  /** The file name without `.toml`. */
  name: string;
  site: string;
  file: string;
  /** 12 upper-case hex digits. */
  mac: string;
  /** How to reach the device: `address`, or `network.ip` when no address is given. */
  address: string;
  expect?: Expectation;
  /** The model id the file names (`model`, else `expect.model`). */
  model?: string;
  /** From `expect.generation`, or inferred from the model. */
  generation?: DeviceGeneration;
  network?: NetworkSettings;
  provision?: ProvisionSettings;
  /** A battery device that sleeps: its changes are applied when it next wakes. */
  sleeping?: boolean;
  /** Every profile merged into the device, in merge order (site defaults, by tag, then its own). */
  profiles: string[];
  /** The file's tags and those of every profile merged into it, sorted. */
  tags: string[];
  config: DeviceConfig;
  /** Dotted key path of every merged value (and channel or named entry) → where it was written. */
  provenance: Record<string, Origin>;
  /** The device file's line of each identity key it writes (`mac`, `address`, `network.ip`, `network.hostname`). */
  identityLines?: Record<string, number>;
}

export interface Fleet {
  sites: Site[];
  devices: DesiredDevice[];
  errors: FleetError[];
  /** What is accepted but worth a look: a value the catalog does not know, an unknown model. */
  warnings: FleetError[];
}
