// `shelly-fleet adopt <address> --site S`: writes a device file from a live device.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { adoptDevice } from "../adopt-device";
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

    print(
      await adoptDevice({
        address,
        site: values.site,
        root: values.root === undefined ? defaultRoot() : path.resolve(values.root),
        name: values.name,
        force: values.force,
        replace: values.replace,
        password: process.env.SHELLY_FLEET_DEVICE_PASSWORD || undefined,
      }),
    );
    return 0;
  },
};
