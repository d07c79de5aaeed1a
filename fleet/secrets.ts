// Secret references, `{ secret = "name" }`, resolved at run time: from the Pulumi stack config
// (`shelly-fleet:secret.<name>`, set with `pulumi config set --secret`) or the environment
// (`SHELLY_FLEET_SECRET_<NAME>`). The caller passes the config lookup, so this stays free of Pulumi.
import { isSecretRef, secretConfigKey, secretEnvName } from "../providers/shared/secrets";
import type { DesiredDevice, FleetError, Site } from "./types";

export { isSecretRef, secretConfigKey, secretEnvName } from "../providers/shared/secrets";

/** A place a secret is used: the first one names it in a "missing secret" error. */
export interface SecretUse {
  file: string;
  keyPath: string;
  line?: number;
}

/** Every secret the devices and sites refer to, with where each is used. */
export function secretUses(devices: DesiredDevice[], sites: Site[] = []): Map<string, SecretUse[]> {
  const uses = new Map<string, SecretUse[]>();
  const add = (name: string, use: SecretUse) => {
    const list = uses.get(name) ?? [];
    if (!list.some((u) => u.file === use.file && u.keyPath === use.keyPath)) list.push(use);
    uses.set(name, list);
  };
  for (const site of sites) {
    const ref = site.credentials?.device_password;
    if (ref && site.file) add(ref.secret, { file: site.file, keyPath: "credentials.device_password" });
  }
  for (const device of devices) {
    for (const [keyPath, origin] of Object.entries(device.provenance)) {
      const value = valueAt(device.config, keyPath);
      if (isSecretRef(value)) add(value.secret, { file: origin.file, keyPath, line: origin.line });
    }
  }
  return uses;
}

/** The config value at a provenance key path (`wifi.sta.password`, `switch.0.name`). */
function valueAt(config: object, keyPath: string): unknown {
  let node: unknown = config;
  for (const key of keyPath.split(".")) {
    if (Array.isArray(node)) node = node.find((entry) => String(entry.id ?? entry.name) === key);
    else node = (node as Record<string, unknown> | undefined)?.[key];
  }
  return node;
}

export interface ResolvedSecrets {
  values: Map<string, string>;
  /** One error per missing secret, naming where it is first used. */
  errors: FleetError[];
}

/**
 * Looks up every secret; a missing one is reported with all the others, not one at a time.
 * `getConfig` is the stack config lookup (full key, e.g. `shelly-fleet:secret.wifi-iot`).
 */
export function resolveSecrets(
  uses: Map<string, SecretUse[]>,
  getConfig: (key: string) => string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSecrets {
  const values = new Map<string, string>();
  const errors: FleetError[] = [];
  for (const [name, where] of uses) {
    const value = getConfig(secretConfigKey(name)) ?? env[secretEnvName(name)];
    if (value !== undefined && value !== "") {
      values.set(name, value);
      continue;
    }
    const first = where[0] ?? { file: "", keyPath: "" };
    const elsewhere = where.length > 1 ? ` (used in ${where.length} places)` : "";
    errors.push({
      ...first,
      message:
        `secret "${name}" is not set${elsewhere}: \`pulumi config set --secret ${secretConfigKey(name)} ...\` ` +
        `or set ${secretEnvName(name)}`,
    });
  }
  return { values, errors };
}
