// The safety rules: pure functions over a fleet's devices, shared by `shelly-fleet validate`
// (the loaded fleet, no engine), `shelly-fleet preview/up` (checked before the engine runs) and
// the Pulumi policy pack (policies/pack.ts, over the resources' inputs). Free of Pulumi and I/O.
import { inRange, inSubnet, parseSubnet } from "../providers/shared/net";
import type { DeviceConfig } from "../providers/shelly/model/catalog";

export type EnforcementLevel = "advisory" | "mandatory" | "disabled";

/** A device as the rules see it: what the resource's inputs carry, plus what the files add. */
export interface PolicyDevice {
  name: string;
  site: string;
  /** The device file, relative to the fleet root. */
  file: string;
  mac: string;
  address: string;
  config: DeviceConfig;
  generation?: number;
  network?: { ip?: string; hostname?: string };
  /** Profiles merged into the device and tags it carries (profiles' included). */
  profiles?: string[];
  tags?: string[];
  /** Dotted key path → where it was written (file, line); else the device file. */
  provenance?: Record<string, { file: string; line?: number }>;
}

/** What a site's `[policy]` table and its addressing give the rules. */
export interface PolicySite {
  name: string;
  file?: string;
  subnet?: string;
  dhcpPool?: { start: string; end: string };
  allowCloud?: boolean;
  allowBeta?: boolean;
  firmwareMinimum?: string;
  /** More devices than this changing their WiFi secret at once needs an acknowledgement. */
  wifiChangeLimit?: number;
  /** Rule id → the site's level (lowering one needs a reason, checked by the loader). */
  levels?: Record<string, EnforcementLevel>;
}

export interface Violation {
  rule: string;
  level: Exclude<EnforcementLevel, "disabled">;
  device: string;
  file: string;
  line?: number;
  /** Dotted key path in the file. */
  key: string;
  message: string;
  fix: string;
}

export interface RuleInfo {
  id: string;
  why: string;
  level: Exclude<EnforcementLevel, "disabled">;
  /** Stack-level rules look at every device together (duplicates, pools, mass changes). */
  scope: "device" | "fleet";
}

/** Every rule, in the order reports list them. */
export const RULES: RuleInfo[] = [
  {
    id: "device-auth",
    why: "a device without a login can be switched and reconfigured by anyone on its network",
    level: "mandatory",
    scope: "device",
  },
  {
    id: "access-point-closed",
    why: "an open access point lets anyone nearby join the device and take it over",
    level: "mandatory",
    scope: "device",
  },
  {
    id: "cloud-off",
    why: "the Shelly cloud is a path into the network the site does not control",
    level: "mandatory",
    scope: "device",
  },
  {
    id: "ble-rpc-off",
    why: "RPC over Bluetooth accepts commands from anyone in radio range",
    level: "mandatory",
    scope: "device",
  },
  {
    id: "unique-identity",
    why: "two devices with one IP, host name, MAC or address fight over it and one is written by mistake",
    level: "mandatory",
    scope: "fleet",
  },
  {
    id: "reservation-placement",
    why: "a reservation inside the dynamic pool or outside the subnet gives a device an address it cannot keep",
    level: "mandatory",
    scope: "fleet",
  },
  {
    id: "firmware-minimum",
    why: "firmware older than the site's minimum has known security fixes missing",
    level: "mandatory",
    scope: "device",
  },
  {
    id: "firmware-stable",
    why: "beta firmware can break a device in ways a stable release would not",
    level: "mandatory",
    scope: "device",
  },
  {
    id: "tls-servers",
    why: "MQTT and WebSocket traffic without TLS shows credentials and commands to the network",
    level: "advisory",
    scope: "device",
  },
  {
    id: "wifi-password-length",
    why: "WPA2 accepts 8 to 63 characters: a key outside that takes the device off the network",
    level: "mandatory",
    scope: "device",
  },
  {
    id: "wifi-secret-mass-change",
    why: "a wrong WiFi password given to many devices at once takes a whole floor offline",
    level: "mandatory",
    scope: "fleet",
  },
];

export const RULE_IDS = RULES.map((rule) => rule.id);

export function ruleInfo(id: string): RuleInfo {
  const rule = RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`unknown policy rule "${id}"`);
  return rule;
}

/** The level a rule has at a site: the site's override, else the rule's own. */
export function levelAt(site: PolicySite | undefined, id: string): EnforcementLevel {
  return site?.levels?.[id] ?? ruleInfo(id).level;
}

/** Secret values where the caller can see them (stack config, environment); undefined: unknown. */
export type SecretLookup = (name: string) => string | undefined;

interface Finding {
  rule: string;
  key: string;
  message: string;
  fix: string;
}

/** A device's findings, turned into violations with the site's level and the key's file and line. */
function violations(device: PolicyDevice, site: PolicySite | undefined, findings: Finding[]): Violation[] {
  return findings.flatMap((finding) => {
    const level = levelAt(site, finding.rule);
    if (level === "disabled") return [];
    const origin = originOf(device, finding.key);
    return [
      {
        rule: finding.rule,
        level,
        device: device.name,
        file: origin.file,
        ...(origin.line !== undefined && { line: origin.line }),
        key: finding.key,
        message: finding.message,
        fix: finding.fix,
      },
    ];
  });
}

/** Where a key was written: itself, else its section, else the device file. */
function originOf(device: PolicyDevice, key: string): { file: string; line?: number } {
  const parts = key.split(".");
  const provenance = device.provenance ?? {};
  for (let n = parts.length; n > 0; n--) {
    const prefix = parts.slice(0, n).join(".");
    const origin = provenance[prefix];
    if (origin) return origin;
    // A key that is absent (a missing password): where its section was written.
    if (n < parts.length) {
      const sibling = Object.keys(provenance).find((k) => k.startsWith(`${prefix}.`));
      if (sibling) return provenance[sibling] as { file: string; line?: number };
    }
  }
  return { file: device.file };
}

const secretName = (value: unknown): string | undefined =>
  value && typeof value === "object" && typeof (value as { secret?: unknown }).secret === "string"
    ? (value as { secret: string }).secret
    : undefined;

/** The per-device rules. */
export function checkDevice(
  device: PolicyDevice,
  site: PolicySite | undefined,
  secrets: SecretLookup = () => undefined,
): Violation[] {
  const { config } = device;
  const findings: Finding[] = [];

  // device-auth: a login, with its password from a secret. A file that does not manage auth is
  // not judged (sparse desired state: the device keeps what it has).
  if (config.auth?.enabled === false) {
    findings.push({
      rule: "device-auth",
      key: "auth.enabled",
      message: "auth is turned off",
      fix: 'set [auth] enabled = true and password = { secret = "…" } (profiles/base.toml does)',
    });
  } else if (config.auth?.enabled === true && secretName(config.auth.password) === undefined) {
    findings.push({
      rule: "device-auth",
      key: "auth.password",
      message: "auth is on, but no password secret is named",
      fix: 'set [auth] password = { secret = "…" } and store the value with `pulumi config set --secret`',
    });
  }

  // access-point-closed: once on the network (a station is on), the access point off or keyed.
  const ap = config.wifi?.ap;
  const onNetwork = config.wifi?.sta?.enabled !== false;
  if (onNetwork && ap?.enabled === true && secretName(ap.password) === undefined) {
    findings.push({
      rule: "access-point-closed",
      key: "wifi.ap.enabled",
      message: "the access point is on without a password while the device is on the network",
      fix: 'set [wifi.ap] enabled = false, or password = { secret = "…" }',
    });
  }

  if (config.cloud?.enabled === true && !site?.allowCloud) {
    findings.push({
      rule: "cloud-off",
      key: "cloud.enabled",
      message: "the Shelly cloud connection is on, and the site does not allow it",
      fix: `set [cloud] enabled = false, or allow_cloud = true under [policy] in ${site?.file ?? "the site's site.toml"}`,
    });
  }

  const gateway = [...(device.profiles ?? []), ...(device.tags ?? [])].includes("gateway");
  if (config.ble?.rpc === true && !gateway) {
    findings.push({
      rule: "ble-rpc-off",
      key: "ble.rpc",
      message: "RPC over Bluetooth is on, and the device is not a gateway (no `gateway` profile or tag)",
      fix: 'set [ble] rpc = false, or give the device the "gateway" profile or tag',
    });
  }

  // `pin` and `channel` are the current spellings; `version` and `stage` the older ones.
  const firmware = config.firmware;
  if (site?.firmwareMinimum) {
    for (const key of ["pin", "version", "minimum"] as const) {
      const version = firmware?.[key];
      if (typeof version === "string" && compareVersions(version, site.firmwareMinimum) < 0) {
        findings.push({
          rule: "firmware-minimum",
          key: `firmware.${key}`,
          message: `firmware ${version} is older than the site's minimum ${site.firmwareMinimum}`,
          fix: `set firmware.${key} to ${site.firmwareMinimum} or newer`,
        });
      }
    }
  }
  for (const key of ["channel", "stage"] as const) {
    if (firmware?.[key] === "beta" && !site?.allowBeta) {
      findings.push({
        rule: "firmware-stable",
        key: `firmware.${key}`,
        message: "the beta update channel is selected, and the site does not allow it",
        fix: `set [firmware] ${key} = "stable", or allow_beta = true under [policy] in ${site?.file ?? "the site's site.toml"}`,
      });
    }
  }

  const ws = config.outbound_ws;
  if (ws?.enabled !== false && typeof ws?.server === "string" && /^ws:\/\//i.test(ws.server)) {
    findings.push({
      rule: "tls-servers",
      key: "outbound_ws.server",
      message: `the outbound WebSocket server ${ws.server} is not TLS`,
      fix: "use a wss:// URL",
    });
  }
  const mqtt = config.mqtt;
  // Gen1 devices have no MQTT TLS setting the catalog manages; Gen2+ connect with TLS on 8883.
  if (device.generation !== 1 && mqtt?.enabled !== false && typeof mqtt?.server === "string") {
    if (/:1883$/.test(mqtt.server)) {
      findings.push({
        rule: "tls-servers",
        key: "mqtt.server",
        message: `the MQTT broker ${mqtt.server} is the plain-text port`,
        fix: "use the broker's TLS port (8883)",
      });
    }
  }

  for (const key of ["wifi.sta.password", "wifi.sta1.password", "wifi.ap.password"]) {
    const [, section = "", field = ""] = key.split(".");
    const ref = (config.wifi as Record<string, Record<string, unknown> | undefined> | undefined)?.[section]?.[
      field
    ];
    const name = secretName(ref);
    const value = name === undefined ? undefined : secrets(name);
    if (value !== undefined && value !== "" && (value.length < 8 || value.length > 63)) {
      findings.push({
        rule: "wifi-password-length",
        key,
        message: `the secret "${name}" has ${value.length} characters; WPA2 takes 8 to 63`,
        fix: `store a key of 8 to 63 characters in secret "${name}"`,
      });
    }
  }

  return violations(device, site, findings);
}

/** A device's WiFi secrets before and after this run (names and value digests). */
export interface WifiSecretChange {
  device: PolicyDevice;
  /** The keys whose secret reference or value changes (`wifi.sta.password`). */
  keys: string[];
}

/** The fleet-wide rules: duplicates, addresses against the pool, mass WiFi secret changes. */
export function checkFleet(
  devices: PolicyDevice[],
  sites: PolicySite[],
  options: { wifiChanges?: WifiSecretChange[]; acknowledged?: boolean } = {},
): Violation[] {
  const siteOf = (device: PolicyDevice) => sites.find((s) => s.name === device.site);
  const out: Violation[] = [];
  const perSite = new Map<string, Map<string, PolicyDevice>>();
  const seen = (device: PolicyDevice, kind: string, value: string | undefined) => {
    if (!value) return undefined;
    const key = `${device.site}\u0000${kind}\u0000${value.toLowerCase()}`;
    const map = perSite.get(kind) ?? new Map<string, PolicyDevice>();
    perSite.set(kind, map);
    const first = map.get(key);
    if (!first) map.set(key, device);
    return first;
  };
  // By site and name: the engine hands resources over in no fixed order, and a duplicate is
  // reported on the second device of the pair, the same one every run.
  const ordered = [...devices].sort((a, b) =>
    a.site === b.site ? a.name.localeCompare(b.name) : a.site.localeCompare(b.site),
  );
  for (const device of ordered) {
    const site = siteOf(device);
    const findings: Finding[] = [];
    const checks: [string, string, string | undefined][] = [
      ["mac", "MAC", device.mac],
      ["address", "address", device.address],
      ["network.ip", "IP address", device.network?.ip],
      ["network.hostname", "host name", device.network?.hostname],
    ];
    for (const [key, what, value] of checks) {
      // The MAC is unique across all sites; the others within a site.
      const first = key === "mac" ? seenGlobal(perSite, device, value) : seen(device, key, value);
      if (first && first.name !== device.name) {
        findings.push({
          rule: "unique-identity",
          key,
          message: `${what} ${value} is also used by ${first.name} (${first.file})`,
          fix: `give each device its own ${what}`,
        });
      }
    }
    const ip = device.network?.ip;
    if (ip && site?.subnet && !inSubnet(ip, parseSubnet(site.subnet))) {
      findings.push({
        rule: "reservation-placement",
        key: "network.ip",
        message: `${ip} is outside the site's subnet ${site.subnet}`,
        fix: `pick an address inside ${site.subnet}, outside the dynamic pool`,
      });
    } else if (ip && site?.dhcpPool && inRange(ip, site.dhcpPool.start, site.dhcpPool.end)) {
      findings.push({
        rule: "reservation-placement",
        key: "network.ip",
        message: `${ip} is inside the dynamic DHCP pool ${site.dhcpPool.start}-${site.dhcpPool.end}`,
        fix: "pick an address outside the dynamic pool",
      });
    }
    out.push(...violations(device, site, findings));
  }

  // Per site: more WiFi secret changes than the limit need --acknowledge-wifi-change.
  const bySite = new Map<string, WifiSecretChange[]>();
  for (const change of options.wifiChanges ?? []) {
    bySite.set(change.device.site, [...(bySite.get(change.device.site) ?? []), change]);
  }
  for (const [siteName, changes] of bySite) {
    const site = sites.find((s) => s.name === siteName);
    const limit = site?.wifiChangeLimit ?? DEFAULT_WIFI_CHANGE_LIMIT;
    if (changes.length <= limit || options.acknowledged) continue;
    for (const change of changes) {
      out.push(
        ...violations(change.device, site, [
          {
            rule: "wifi-secret-mass-change",
            key: change.keys[0] as string,
            message: `${changes.length} devices of site ${siteName} change their WiFi secret in this run (limit ${limit})`,
            fix: "change fewer devices at a time (--tag), or pass --acknowledge-wifi-change",
          },
        ]),
      );
    }
  }
  return out;
}

/** How many devices of a site may change their WiFi secret in one run without an acknowledgement. */
export const DEFAULT_WIFI_CHANGE_LIMIT = 5;

function seenGlobal(
  maps: Map<string, Map<string, PolicyDevice>>,
  device: PolicyDevice,
  mac: string | undefined,
): PolicyDevice | undefined {
  if (!mac) return undefined;
  const key = mac.replace(/[^0-9a-f]/gi, "").toUpperCase();
  const map = maps.get("mac") ?? new Map<string, PolicyDevice>();
  maps.set("mac", map);
  const first = map.get(key);
  if (!first) map.set(key, device);
  return first;
}

/** Compares dotted versions numerically (`1.4.10` > `1.4.9`); a pre-release suffix sorts first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = "", pre] = v.replace(/^v/, "").split(/[-+]/, 2);
    return { parts: core.split(".").map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre && !y.pre) return -1;
  if (!x.pre && y.pre) return 1;
  return 0;
}

/** Mandatory first, then by device and rule: the order every report uses. */
export function sortViolations(list: Violation[]): Violation[] {
  const order = (v: Violation) => (v.level === "mandatory" ? 0 : 1);
  return [...list].sort(
    (a, b) =>
      order(a) - order(b) ||
      a.device.localeCompare(b.device) ||
      RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule) ||
      a.key.localeCompare(b.key),
  );
}

/** `file:line: key: [level rule-id] device NAME: message (fix: …)`. */
export function formatViolation(v: Violation): string {
  const where = v.line === undefined ? v.file : `${v.file}:${v.line}`;
  return `${where}: ${v.key}: [${v.level} ${v.rule}] device ${v.device}: ${v.message} (fix: ${v.fix})`;
}
