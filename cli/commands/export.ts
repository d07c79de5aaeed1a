// `shelly-fleet export`: the fleet in other tools' formats, from the files or read from the devices.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { type DesiredDevice, matchesTags, type Site } from "../../fleet";
import { adoptedConfig } from "../../providers/shelly/model/adopt";
import { flattenLive } from "../../providers/shelly/model/normalize";
import { faultLine, isDeviceFault } from "../../providers/shelly/reachability";
import { openSession } from "../../providers/shelly/session";
import { mapLimited } from "../bounded";
import { type Command, print } from "../command";
import { commitFiles } from "../commit-files";
import { EXPORT_FORMATS, type ExportFormat, type ExportRecord, recordOf, render } from "../export-formats";
import { loadValidFleet, resolveFleetOptions } from "../fleet-options";
import { LIVE_CONCURRENCY, passwordsBySite } from "../live-devices";

const EXIT_UNREACHABLE = 8;

const HELP = `Usage: shelly-fleet export --format FORMAT [--site NAME] [--tag TAG]... [--live]
                           [--out PATH] [--commit] [--root DIR]

Write the fleet in another tool's format: from the files (offline, the merged result of each
device's file and profiles), or with --live from what the devices report.

Formats:
  json            every device: site, name, MAC, address, IP, host name, model, profiles, tags,
                  and its merged configuration (--live: the device's own, as adopt reads it)
  toml            one device file per device, <out>/<site>/<name>.toml, profiles merged in
                  (needs --out DIR)
  csv             one row per device; columns: site, name, mac, ip, hostname, address, model,
                  generation, profiles, tags (space-separated), reachable, firmware (--live);
                  RFC 4180 quoting, CRLF line ends
  hosts           /etc/hosts lines: IP, host name and device name
  dnsmasq         dhcp-host=MAC,IP,hostname lines (conf-file or dhcp-hostsfile)
  kea             a standalone Kea DHCPv4 configuration: a subnet per site with its pool and
                  the devices' reservations
  isc-dhcpd       dhcpd.conf: a subnet per site, a host block per device
  prometheus-sd   Prometheus file_sd targets, labels site, device, mac, model, profiles, tags
                  (lists comma-wrapped: ",lights,outdoor,")

The IP of a device is network.ip, else its address when that is a bare IPv4 address; DHCP and
hosts formats leave out devices without one and say so on standard error.

Options:
  -f, --format FORMAT   one of the formats above (required)
  -s, --site NAME       this site's devices only
  -t, --tag TAG         devices with this tag only (repeatable: any of them)
      --live            read each device (model, firmware, reachability; json and toml: its
                        configuration). The site's password (credentials.device_password) comes
                        from SHELLY_FLEET_SECRET_<NAME> or the stack config, and is sent only to
                        a device that showed its file's MAC first. Unreachable devices are kept
                        (reachable = false) and exit ${EXIT_UNREACHABLE}
  -o, --out PATH        write here (a file; a directory for toml) instead of standard output
      --commit          commit what was written with git (the repository around --out, made
                        there when there is none)
  -r, --root DIR        the fleet's root; default: the project around the current directory
  -h, --help            show this help
`;

async function readLive(
  records: ExportRecord[],
  devices: DesiredDevice[],
  sites: Site[],
  format: ExportFormat,
  root: string,
): Promise<void> {
  const passwords = await passwordsBySite(devices, sites, root);
  const withConfig = format === "json" || format === "toml";
  await mapLimited(records, LIVE_CONCURRENCY, async (record) => {
    try {
      const session = await openSession(record.address, {
        expectedMac: record.mac,
        password: passwords.get(record.site),
      });
      record.live = { reachable: true, firmware: session.firmware, model: session.model };
      record.config = withConfig ? adoptedConfig(flattenLive(await session.readDocuments())) : undefined;
    } catch (err) {
      if (!isDeviceFault(err)) throw err;
      record.live = { reachable: false, problem: faultLine(err) };
      record.config = undefined;
    }
  });
}

export const exportCommand: Command = {
  name: "export",
  summary: "Write the fleet as JSON, TOML, CSV, hosts, DHCP (dnsmasq, Kea, dhcpd) or Prometheus targets",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: "string", short: "f" },
        site: { type: "string", short: "s" },
        tag: { type: "string", short: "t", multiple: true, default: [] },
        live: { type: "boolean", default: false },
        out: { type: "string", short: "o" },
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
    const format = values.format as ExportFormat | undefined;
    if (format === undefined || !EXPORT_FORMATS.includes(format)) {
      throw new UsageError(
        `--format expects one of ${EXPORT_FORMATS.join(", ")}${values.format ? `, got "${values.format}"` : ""}`,
      );
    }
    if (format === "toml" && values.out === undefined)
      throw new UsageError("--format toml writes files: pass --out DIR");
    if (values.commit && values.out === undefined) throw new UsageError("--commit needs --out");
    const options = resolveFleetOptions(values);
    const fleet = loadValidFleet(options, "nothing exported");
    const devices = fleet.devices.filter((device) => matchesTags(device, values.tag));
    const records = devices.map(recordOf);
    if (values.live) await readLive(records, devices, fleet.sites, format, options.root);

    const { files, skipped } = render(format, records, fleet.sites);
    for (const line of skipped) process.stderr.write(`left out: ${line}\n`);
    const unreachable = records.filter((r) => r.live?.reachable === false);
    for (const r of unreachable)
      process.stderr.write(`unreachable: ${r.site}/${r.name}: ${r.live?.problem}\n`);
    if (values.out === undefined) {
      print(files.get("") ?? "");
    } else {
      const written: string[] = [];
      for (const [relative, text] of files) {
        const file = relative === "" ? path.resolve(values.out) : path.resolve(values.out, relative);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        written.push(file);
      }
      const where =
        files.size === 1 && files.has("") ? values.out : `${files.size} files under ${values.out}`;
      print(`wrote ${format} for ${records.length} devices to ${where}\n`);
      if (values.commit) {
        const commit = await commitFiles(values.out, written, `shelly-fleet export --format ${format}`);
        print(commit ? `committed ${commit.slice(0, 7)}\n` : "nothing changed: no commit\n");
      }
    }
    return unreachable.length > 0 ? EXIT_UNREACHABLE : 0;
  },
};
