// Reading the fleet's devices from the commands beside the engine (export --live, backup,
// restore): the site's login password from the environment or the stack's config, and a
// connection that checks the device's MAC before any request that carries it.
import * as path from "node:path";
import { loadProgram, openStack } from "../automation/stack";
import { readStackConfig } from "../automation/stack-config";
import { UsageError } from "../errors";
import { type DesiredDevice, type Site, secretConfigKey, secretEnvName } from "../fleet";
import { connect, type ShellyConnection } from "../providers/shelly/client";
import { hostOf } from "../providers/shelly/session";

/** Requests in flight at once: devices are small, and a site's are often on one WiFi. */
export const LIVE_CONCURRENCY = 8;

/**
 * The site's device password (`credentials.device_password`): SHELLY_FLEET_SECRET_<NAME> first,
 * else the site's stack config (stacks/Pulumi.<site>.yaml, decrypted by `pulumi config`).
 * Undefined when the site names none.
 */
export async function sitePassword(site: Site, root: string): Promise<string | undefined> {
  const ref = site.credentials?.device_password;
  if (ref === undefined) return undefined;
  const fromEnv = process.env[secretEnvName(ref.secret)];
  if (fromEnv) return fromEnv;
  if (site.stackFile) {
    const stack = await openStack({
      projectDir: path.resolve(root),
      stackName: site.name,
      program: loadProgram(),
    });
    const value = (await readStackConfig(stack)).get(secretConfigKey(ref.secret));
    if (value) return value;
  }
  throw new UsageError(
    `site ${site.name}: secret "${ref.secret}" (credentials.device_password) is not set: set ${secretEnvName(ref.secret)} or \`pulumi config set --secret ${secretConfigKey(ref.secret)} ...\``,
  );
}

/** Connects with the password only once the device has shown the MAC its file gives. */
export function connectChecked(
  device: DesiredDevice,
  site: Site | undefined,
  password: string | undefined,
  timeoutMs?: number,
): Promise<ShellyConnection> {
  return connect(
    hostOf(device.address),
    { username: site?.credentials?.device_user, password },
    { expectedMac: device.mac, ...(timeoutMs && { timeoutMs }) },
  );
}

/** Each site's password, looked up once per site, only for the sites of these devices. */
export async function passwordsBySite(
  devices: DesiredDevice[],
  sites: Site[],
  root: string,
): Promise<Map<string, string | undefined>> {
  const passwords = new Map<string, string | undefined>();
  for (const site of sites) {
    if (devices.some((d) => d.site === site.name)) passwords.set(site.name, await sitePassword(site, root));
  }
  return passwords;
}
