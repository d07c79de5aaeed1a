// Adopting a live device into a device file: shared by `adopt` and `discover --adopt`, which must
// not import each other.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "smol-toml";
import { UsageError } from "../errors";
import { generationOfModel } from "../fleet/models";
import { inRange, inSubnet, isIPv4, parseSubnet } from "../providers/shared/net";
import { normalizeMac, ShellyAuthError } from "../providers/shelly/client";
import { adoptedConfig } from "../providers/shelly/model/adopt";
import { type DeviceDocuments, flattenLive, shapeProblems } from "../providers/shelly/model/normalize";
import { openSession } from "../providers/shelly/session";

export interface AdoptRequest {
  /** A host, host:port, or base URL. */
  address: string;
  site: string;
  /** The fleet root. */
  root: string;
  /** The device file's name; default from the device's name, else its id. */
  name?: string;
  /** Overwrite the file of this same device. */
  force?: boolean;
  /** This device replaced the device of this file: put its MAC there. */
  replace?: string;
  /** The login password of a device with auth on. */
  password?: string;
  /** When the derived name is another device's file, add the MAC's last six digits instead of failing. */
  suffixTakenNames?: boolean;
}

/** `Garage Light` → `garage-light`: a file name that is also a Pulumi resource name. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Reads the device and writes (or, with `replace`, edits) its file; resolves to what was done, one line. */
export async function adoptDevice(req: AdoptRequest): Promise<string> {
  const session = await openSession(req.address, { password: req.password });
  const documents = await session.readDocuments().catch((err: unknown) => {
    if (!(err instanceof ShellyAuthError) || req.password !== undefined) throw err;
    const secret = siteLoginSecret(path.join(req.root, "devices", req.site)) ?? "device-password";
    throw new UsageError(
      `${req.address} has auth on: set SHELLY_FLEET_DEVICE_PASSWORD to its admin password and run adopt again; ` +
        `the file will log in with the secret "${secret}" (shelly-fleet up --secret secret.${secret})`,
      1,
    );
  });
  const mac = normalizeMac(await session.readMac()) as string;
  const info = documents.generation === "gen1" ? documents.shelly : documents.deviceInfo;
  const deviceName = documents.generation === "gen1" ? documents.settings.name : info.name;
  // The device's own name, else its model (Gen2+ `app`, e.g. Plus1PM; Gen1 `type`) and the MAC's
  // last six digits: `plus1pm-be54dc` reads better than the device id's full MAC.
  const modelName = String(info.app ?? info.model ?? info.type ?? "shelly");
  let name = req.name ?? (slug(String(deviceName ?? "")) || slug(`${modelName}-${mac.slice(-6)}`));
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name))
    throw new UsageError(`--name "${name}": use lower-case letters, digits, - and _`);

  const root = req.root;
  const siteDir = path.join(root, "devices", req.site);
  const where = bareAddress(req.address);
  const files = deviceFilesOf(siteDir);
  const shown = (file: string) => path.relative(process.cwd(), file);

  if (req.replace !== undefined) {
    const old = files.find((f) => f.name === req.replace);
    if (!old)
      throw new UsageError(`--replace ${req.replace}: no ${req.replace}.toml in ${shown(siteDir)}`, 1);
    if (old.mac === mac) {
      return `${shown(old.file)} already has MAC ${mac}: nothing to change\n`;
    }
    const text = fs.readFileSync(old.file, "utf8");
    const line = /^mac\s*=\s*(["'])[^"'\n]*\1/m;
    if (!line.test(text))
      throw new UsageError(`${shown(old.file)}: no top-level mac = "…" line to change`, 1);
    fs.writeFileSync(old.file, text.replace(line, `mac = "${mac}"`));
    return `${shown(old.file)}: mac ${old.mac ?? "?"} → ${mac}; the next \`up\` configures the new device as ${old.name}\n`;
  }

  // Identical devices share a name: a scan adopting many takes the MAC's end as a suffix instead.
  const taken = (candidate: string) =>
    files.some((f) => f.name === candidate && f.mac !== undefined && f.mac !== mac);
  if (req.name === undefined && req.suffixTakenNames && taken(name))
    name = `${name}-${mac.slice(6).toLowerCase()}`;
  const file = path.join(siteDir, `${name}.toml`);
  const existing = files.find((f) => f.file === file);
  if (existing && existing.mac !== undefined && existing.mac !== mac) {
    throw new UsageError(
      `${shown(file)} is the file of another device (MAC ${existing.mac}); choose another --name, or --replace ${existing.name} if this device replaced it`,
      1,
    );
  }
  const sameDevice = files.find((f) => f.mac === mac);
  const atAddress = files.find((f) => f.address === where && f.mac !== mac);
  if (atAddress && !sameDevice) {
    throw new UsageError(
      `${shown(atAddress.file)} manages ${where} as MAC ${atAddress.mac ?? "?"}; this device is ${mac}. If it replaced ${atAddress.name}, run \`shelly-fleet adopt ${req.address} --site ${req.site} --replace ${atAddress.name}\``,
      1,
    );
  }
  if (existing && !req.force) {
    throw new UsageError(`${shown(file)} exists; pass --force to overwrite it`, 1);
  }
  if (sameDevice && sameDevice.file !== file) {
    throw new UsageError(`this device (MAC ${mac}) is already managed by ${shown(sameDevice.file)}`, 1);
  }
  const generation = Number(info.gen ?? 1);
  const model = String(info.model ?? info.type ?? "");
  const network = adoptedNetwork(documents, where, siteNetworkOf(root, req.site));
  const body = {
    mac,
    // Reached at its reserved address, the file need not say it twice (address defaults to it).
    ...(network.ip !== where && { address: where }),
    model,
    // The model says the generation, unless it is one the catalog cannot place.
    ...(generationOfModel(model) !== generation && { expect: { generation } }),
    ...adoptedConfig(flattenLive(documents), { authSecret: siteLoginSecret(siteDir) ?? "device-password" }),
    ...(network.ip !== undefined && { network: { ip: network.ip } }),
  };
  const problems = [...shapeProblems(documents), ...(network.problem ? [network.problem] : [])];
  for (const problem of problems) process.stderr.write(`warning: ${req.address}: ${problem}\n`);
  const notes = problems.map((problem) => `# Not adopted: ${problem}\n`).join("");
  const schema = path.relative(path.dirname(file), path.join(root, "schema", "device.schema.json"));
  const text = `#:schema ${schema}\n# Adopted from ${req.address} (${model}) by shelly-fleet adopt.\n${notes}\n${stringify(body)}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return `wrote ${path.relative(process.cwd(), file)}\n`;
}

/** What adopt needs to know of the site's addressing: its files' subnet and pool, and the firewall. */
export interface SiteNetwork {
  subnet?: string;
  dhcpPool?: { start: string; end: string };
  /** The site's stack names an OPNsense firewall, which then keeps a reservation per `network.ip`. */
  managesReservations: boolean;
}

function siteNetworkOf(root: string, site: string): SiteNetwork {
  const file = readSiteFile(path.join(root, "devices", site)) as {
    subnet?: unknown;
    dhcp_pool?: { start?: unknown; end?: unknown };
  };
  const pool = file.dhcp_pool;
  let stack = "";
  try {
    stack = fs.readFileSync(path.join(root, "stacks", `Pulumi.${site}.yaml`), "utf8");
  } catch {
    // no stack file: nothing manages reservations from here
  }
  return {
    ...(typeof file.subnet === "string" && { subnet: file.subnet }),
    ...(typeof pool?.start === "string" &&
      typeof pool.end === "string" && { dhcpPool: { start: pool.start, end: pool.end } }),
    managesReservations: /^\s*shelly-fleet:opnsense\.url\s*:/m.test(stack),
  };
}

/**
 * `[network] ip` for an adopted device: its static address, or the address it has now when the
 * site keeps DHCP reservations (so that the reservation holds it where it is). An address the
 * site's files would refuse (outside the subnet, inside the dynamic pool) is left out with why.
 */
export function adoptedNetwork(
  documents: DeviceDocuments,
  reachedAt: string,
  site: SiteNetwork,
): { ip?: string; problem?: string } {
  // Gen1 /settings `wifi_sta.ipv4_method`, Gen2+ `wifi.sta.ipv4mode`: "dhcp" or "static".
  const sta = (
    documents.generation === "gen1"
      ? documents.settings.wifi_sta
      : (documents.config.wifi as { sta?: unknown } | undefined)?.sta
  ) as { ipv4_method?: unknown; ipv4mode?: unknown; ip?: unknown } | undefined;
  const isStatic = (sta?.ipv4_method ?? sta?.ipv4mode) === "static";
  const staticIp = isStatic && typeof sta?.ip === "string" && isIPv4(sta.ip) ? sta.ip : undefined;
  const host = reachedAt.replace(/:\d+$/, "");
  const ip = staticIp ?? (site.managesReservations && isIPv4(host) ? host : undefined);
  if (ip === undefined) return {};
  if (site.subnet && !inSubnet(ip, parseSubnet(site.subnet)))
    return { problem: `network.ip: ${ip} is outside the site's subnet ${site.subnet}; set it by hand` };
  if (!staticIp && site.dhcpPool && inRange(ip, site.dhcpPool.start, site.dhcpPool.end))
    return {
      problem: `network.ip: ${ip} is a lease from the dynamic pool ${site.dhcpPool.start}-${site.dhcpPool.end}; pick a free address outside it for the reservation`,
    };
  return { ip };
}

/** The site's site.toml, parsed; empty when there is none (or a broken one, which validate reports). */
function readSiteFile(siteDir: string): Record<string, unknown> {
  try {
    return parse(fs.readFileSync(path.join(siteDir, "site.toml"), "utf8"));
  } catch {
    return {};
  }
}

/** The secret the site logs in to its devices with (site.toml `credentials.device_password`). */
function siteLoginSecret(siteDir: string): string | undefined {
  const site = readSiteFile(siteDir) as { credentials?: { device_password?: { secret?: unknown } } };
  const secret = site.credentials?.device_password?.secret;
  return typeof secret === "string" ? secret : undefined;
}

/** `http://10.0.0.5/` → `10.0.0.5`: the address as a device file writes it. */
export function bareAddress(address: string): string {
  return address
    .replace(/^http:\/\//, "")
    .replace(/\/+$/, "")
    .toLowerCase();
}

export interface DeviceFileSummary {
  file: string;
  name: string;
  mac?: string;
  address?: string;
}

/** The site's device files, read just enough to match a MAC or an address; unreadable ones skipped. */
export function deviceFilesOf(siteDir: string): DeviceFileSummary[] {
  let names: string[];
  try {
    names = fs.readdirSync(siteDir).filter((n) => n.endsWith(".toml") && n !== "site.toml");
  } catch {
    return [];
  }
  return names.map((n) => {
    const file = path.join(siteDir, n);
    const summary: DeviceFileSummary = { file, name: n.slice(0, -".toml".length) };
    try {
      const data = parse(fs.readFileSync(file, "utf8")) as { mac?: unknown; address?: unknown };
      if (typeof data.mac === "string") summary.mac = normalizeMac(data.mac) ?? data.mac;
      if (typeof data.address === "string") summary.address = bareAddress(data.address);
    } catch {
      // validate reports a broken file; adopt only needs the readable ones
    }
    return summary;
  });
}
