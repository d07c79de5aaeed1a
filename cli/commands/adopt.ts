// `shelly-fleet adopt <address> --site S`: writes a device file from a live device.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "smol-toml";
import { UsageError } from "../../errors";
import { generationOfModel } from "../../fleet/models";
import { normalizeMac } from "../../providers/shelly/client";
import { adoptedConfig } from "../../providers/shelly/model/adopt";
import { flattenLive, shapeProblems } from "../../providers/shelly/model/normalize";
import { openSession } from "../../providers/shelly/session";
import { type Command, print } from "../command";
import { defaultRoot } from "../fleet-options";

const HELP = `Usage: shelly-fleet adopt <address> --site NAME [options]

Read a live device and write devices/<site>/<name>.toml with what it shows now, so that
\`pulumi up\` right after writes nothing and a preview shows any later drift.

<address> is a host, host:port, or a base URL such as the one \`shelly-fleet sim\` prints.

Options:
  -s, --site NAME       the site (devices/<site>/); required
      --root DIR        the fleet root; default: the nearest directory above with a Pulumi.yaml
      --name NAME       the device file's name; default: from the device's name, else its id
      --force           overwrite the file of this same device (same MAC)
      --replace NAME    this device replaced NAME: set its MAC in NAME's file, keep the rest
  -h, --help            show this help

A device at an address another file already manages, under another MAC, is a replacement:
adopt says so and \`--replace <that name>\` puts the new MAC in that file, so that the next
\`up\` configures the new device as the old one was. No file of another device is overwritten.

Credentials: a device with auth on needs its password, from SHELLY_FLEET_DEVICE_PASSWORD.
Secrets are never written to the file: the device does not return them, and the file refers
to secrets by name (see the README). A device with auth on gets an [auth] section whose
password is the site's login secret (site.toml credentials.device_password), else
{ secret = "device-password" }.

The file names the device's model (model = "…"), so that validate checks its keys offline.
A device answer that is not the documented shape (a settings object that is not an object) is
reported on stderr and in the file, and what it holds is not adopted.
`;

/** `Garage Light` → `garage-light`: a file name that is also a Pulumi resource name. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export const adoptCommand: Command = {
  name: "adopt",
  summary: "Write a device file from a live device",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        site: { type: "string", short: "s" },
        root: { type: "string" },
        name: { type: "string" },
        force: { type: "boolean", default: false },
        replace: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    const [address, ...rest] = positionals;
    if (address === undefined)
      throw new UsageError("adopt needs the device's address; see `shelly-fleet adopt --help`");
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (!values.site) throw new UsageError("adopt needs --site NAME");
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(values.site)) {
      throw new UsageError(`--site "${values.site}": use lower-case letters, digits, - and _`);
    }

    const session = await openSession(address, { password: process.env.SHELLY_FLEET_DEVICE_PASSWORD });
    const documents = await session.readDocuments();
    const mac = normalizeMac(await session.readMac()) as string;
    const info = documents.generation === "gen1" ? documents.shelly : documents.deviceInfo;
    const deviceName = documents.generation === "gen1" ? documents.settings.name : info.name;
    const name =
      values.name ??
      (slug(String(deviceName ?? "")) || slug(String(info.id ?? `shelly-${mac.toLowerCase()}`)));
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name))
      throw new UsageError(`--name "${name}": use lower-case letters, digits, - and _`);

    const root = values.root === undefined ? defaultRoot() : path.resolve(values.root);
    const siteDir = path.join(root, "devices", values.site);
    const where = bareAddress(address);
    const files = deviceFilesOf(siteDir);
    const shown = (file: string) => path.relative(process.cwd(), file);

    if (values.replace !== undefined) {
      const old = files.find((f) => f.name === values.replace);
      if (!old)
        throw new UsageError(
          `--replace ${values.replace}: no ${values.replace}.toml in ${shown(siteDir)}`,
          1,
        );
      if (old.mac === mac) {
        print(`${shown(old.file)} already has MAC ${mac}: nothing to change\n`);
        return 0;
      }
      const text = fs.readFileSync(old.file, "utf8");
      const line = /^mac\s*=\s*(["'])[^"'\n]*\1/m;
      if (!line.test(text))
        throw new UsageError(`${shown(old.file)}: no top-level mac = "…" line to change`, 1);
      fs.writeFileSync(old.file, text.replace(line, `mac = "${mac}"`));
      print(
        `${shown(old.file)}: mac ${old.mac ?? "?"} → ${mac}; the next \`up\` configures the new device as ${old.name}\n`,
      );
      return 0;
    }

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
        `${shown(atAddress.file)} manages ${where} as MAC ${atAddress.mac ?? "?"}; this device is ${mac}. If it replaced ${atAddress.name}, run \`shelly-fleet adopt ${address} --site ${values.site} --replace ${atAddress.name}\``,
        1,
      );
    }
    if (existing && !values.force) {
      throw new UsageError(`${shown(file)} exists; pass --force to overwrite it`, 1);
    }
    if (sameDevice && sameDevice.file !== file) {
      throw new UsageError(`this device (MAC ${mac}) is already managed by ${shown(sameDevice.file)}`, 1);
    }
    const generation = Number(info.gen ?? 1);
    const model = String(info.model ?? info.type ?? "");
    const body = {
      mac,
      address: where,
      model,
      // The model says the generation, unless it is one the catalog cannot place.
      ...(generationOfModel(model) !== generation && { expect: { generation } }),
      ...adoptedConfig(flattenLive(documents), { authSecret: siteLoginSecret(siteDir) ?? "device-password" }),
    };
    const problems = shapeProblems(documents);
    for (const problem of problems) process.stderr.write(`warning: ${address}: ${problem}\n`);
    const notes = problems.map((problem) => `# Not adopted: ${problem}\n`).join("");
    const schema = path.relative(path.dirname(file), path.join(root, "schema", "device.schema.json"));
    const text = `#:schema ${schema}\n# Adopted from ${address} (${model}) by shelly-fleet adopt.\n${notes}\n${stringify(body)}\n`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    print(`wrote ${path.relative(process.cwd(), file)}\n`);
    return 0;
  },
};

/** The secret the site logs in to its devices with (site.toml `credentials.device_password`). */
function siteLoginSecret(siteDir: string): string | undefined {
  try {
    const site = parse(fs.readFileSync(path.join(siteDir, "site.toml"), "utf8")) as {
      credentials?: { device_password?: { secret?: unknown } };
    };
    const secret = site.credentials?.device_password?.secret;
    return typeof secret === "string" ? secret : undefined;
  } catch {
    return undefined; // no site file (or a broken one, which validate reports)
  }
}

/** `http://10.0.0.5/` → `10.0.0.5`: the address as a device file writes it. */
function bareAddress(address: string): string {
  return address
    .replace(/^http:\/\//, "")
    .replace(/\/+$/, "")
    .toLowerCase();
}

interface DeviceFileSummary {
  file: string;
  name: string;
  mac?: string;
  address?: string;
}

/** The site's device files, read just enough to match a MAC or an address; unreadable ones skipped. */
function deviceFilesOf(siteDir: string): DeviceFileSummary[] {
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
