// `shelly-fleet adopt <address> --site S`: writes a device file from a live device.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "smol-toml";
import { UsageError } from "../../errors";
import { normalizeMac } from "../../providers/shelly/client";
import { adoptedConfig } from "../../providers/shelly/model/adopt";
import { flattenLive } from "../../providers/shelly/model/normalize";
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
      --force           overwrite an existing file
  -h, --help            show this help

Credentials: a device with auth on needs its password, from SHELLY_FLEET_DEVICE_PASSWORD.
Secrets are never written to the file: the device does not return them, and the file refers
to secrets by name (see the README).
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
    const file = path.join(root, "devices", values.site, `${name}.toml`);
    if (fs.existsSync(file) && !values.force) {
      throw new UsageError(`${path.relative(process.cwd(), file)} exists; pass --force to overwrite it`, 1);
    }
    const generation = Number(info.gen ?? 1);
    const model = String(info.model ?? info.type ?? "");
    const body = {
      mac,
      address: address.replace(/^http:\/\//, "").replace(/\/+$/, ""),
      expect: { generation, model },
      ...adoptedConfig(flattenLive(documents)),
    };
    const schema = path.relative(path.dirname(file), path.join(root, "schema", "device.schema.json"));
    const text = `#:schema ${schema}\n# Adopted from ${address} (${model}) by shelly-fleet adopt.\n\n${stringify(body)}\n`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    print(`wrote ${path.relative(process.cwd(), file)}\n`);
    return 0;
  },
};
