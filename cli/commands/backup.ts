// `shelly-fleet backup`: every device's whole live configuration, one JSON file per device in a
// dated directory per site; devices that cannot be read are listed, not fatal.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { matchesTags } from "../../fleet";
import { faultLine, isDeviceFault } from "../../providers/shelly/reachability";
import { mapLimited } from "../bounded";
import { type Command, print } from "../command";
import { commitFiles } from "../commit-files";
import { readBackup } from "../device-backup";
import { loadValidFleet, resolveFleetOptions } from "../fleet-options";
import { connectChecked, LIVE_CONCURRENCY, passwordsBySite } from "../live-devices";

const EXIT_UNREACHABLE = 8;

const HELP = `Usage: shelly-fleet backup [--site NAME] [--tag TAG]... [--out DIR] [--commit] [--root DIR]

Read the whole configuration of every device (all keys, not only the ones the files manage) and
write one JSON file per device to <out>/<site>/<YYYY-MM-DDTHHMMSSZ>/<device>.json:
  Gen2+  Shelly.GetConfig, Shelly.GetDeviceInfo, Schedule.List, Webhook.List, each script's
         configuration and code (Script.List, Script.GetCode), KVS.GetMany
  Gen1   /shelly, /settings, /settings/actions, and each channel's /settings/relay|roller|light/N
Secrets are never written: devices do not return them, and any password-like key that has a value
is dropped as well (the file's "stripped" lists where). \`shelly-fleet restore\` writes a backup back.

The site's password (credentials.device_password) comes from SHELLY_FLEET_SECRET_<NAME> or the
stack config, and goes only to a device that showed its file's MAC first. A device that cannot
be read is listed and skipped; the others are still backed up. Exit status: 0 all backed up,
${EXIT_UNREACHABLE} some could not be read, 1 the fleet files have errors, 2 usage error.

Options:
  -s, --site NAME   this site's devices only
  -t, --tag TAG     devices with this tag only (repeatable: any of them)
  -o, --out DIR     where the dated directories go; default: backups
      --commit      commit the new files with git (the repository around --out, made there when
                    there is none)
  -r, --root DIR    the fleet's root; default: the project around the current directory
  -h, --help        show this help
`;

/** `2026-12-02T174600Z`: sorts by time, and has no colon (valid on every file system). */
export function backupStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "");
}

export const backupCommand: Command = {
  name: "backup",
  summary: "Save every device's whole live configuration (scripts included) to dated JSON files",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        site: { type: "string", short: "s" },
        tag: { type: "string", short: "t", multiple: true, default: [] },
        out: { type: "string", short: "o", default: "backups" },
        commit: { type: "boolean", default: false },
        root: { type: "string", short: "r" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const options = resolveFleetOptions(values);
    const fleet = loadValidFleet(options, "nothing backed up");
    const devices = fleet.devices.filter((device) => matchesTags(device, values.tag));
    const passwords = await passwordsBySite(devices, fleet.sites, options.root);
    const now = new Date();
    const stamp = backupStamp(now);
    const written: string[] = [];
    const failures = await mapLimited(devices, LIVE_CONCURRENCY, async (device) => {
      const site = fleet.sites.find((s) => s.name === device.site);
      try {
        const connection = await connectChecked(device, site, passwords.get(device.site));
        const backup = await readBackup(
          connection,
          { device: device.name, site: device.site, address: device.address },
          now,
        );
        const file = path.resolve(values.out, device.site, stamp, `${device.name}.json`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `${JSON.stringify(backup, null, 2)}\n`);
        written.push(file);
        return undefined;
      } catch (err) {
        if (!isDeviceFault(err)) throw err;
        return `${device.site}/${device.name}: ${faultLine(err)}`;
      }
    });
    const unreachable = failures.filter((line): line is string => line !== undefined);
    const sites = [...new Set(devices.map((d) => d.site))];
    for (const site of sites) {
      const count = devices.filter((d) => d.site === site).length;
      const saved = written.filter((file) => path.basename(path.dirname(path.dirname(file))) === site).length;
      const where = saved > 0 ? ` → ${path.join(values.out, site, stamp)}/` : "";
      print(`${site}: ${saved} of ${count} devices${where}\n`);
    }
    for (const line of unreachable) print(`not backed up: ${line}\n`);
    if (values.commit && written.length > 0) {
      const commit = await commitFiles(values.out, written.sort(), `shelly-fleet backup ${stamp}`);
      print(commit ? `committed ${commit.slice(0, 7)}\n` : "nothing changed: no commit\n");
    }
    return unreachable.length > 0 ? EXIT_UNREACHABLE : 0;
  },
};
