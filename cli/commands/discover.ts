// `shelly-fleet discover [CIDR…]`: finds Shelly devices by probing each address and says, for each,
// whether the files manage it, where it moved, or which file's device it replaced.
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { loadFleet } from "../../fleet";
import { adoptDevice } from "../adopt-device";
import { positiveInteger } from "../bounded";
import { type Command, print } from "../command";
import {
  classify,
  type DiscoveredDevice,
  type DiscoveryClass,
  endpointOf,
  expandCidrs,
  inScannedRange,
  outsideSubnets,
  scanAddresses,
  siteSubnets,
} from "../discovery";
import { resolveFleetOptions } from "../fleet-options";
import { browseMdns, MDNS_SERVICES, mdnsTargets } from "../mdns";

const HELP = `Usage: shelly-fleet discover [CIDR…] [--mdns] [options]

Probe every address of the given ranges (default: the site's subnet from site.toml) with the
unauthenticated GET /shelly, identify each Shelly that answers (generation, model, MAC, firmware,
whether auth is on) and place it against the device files:

  managed      a file has this MAC at this address
  moved        a file has this MAC at another address (update the file's address)
  replacement  no file has this MAC, but a file manages this address: a new device in an old
               one's place; \`shelly-fleet adopt <address> --site S --replace <name>\` takes it over
  unmanaged    no file knows it; \`--adopt\` writes a file for it

Options:
  -s, --site NAME        the site whose files (and subnet) to use; default: every site
      --root DIR         the fleet root; default: the nearest directory above with a Pulumi.yaml
      --port N           the HTTP port to probe (default 80): devices behind a port forward, simulators
      --concurrency N    probes in flight at once (default 64)
      --timeout MS       how long one address may take to answer (default 1500)
      --mdns             also ask the local network by mDNS (${MDNS_SERVICES.join(", ")};
                         Shelly names only for _http) for --timeout ms, and probe who answers;
                         with --mdns and no range given, the range scan is skipped when no site
                         names a subnet
      --outside-site     allow addresses outside the sites' subnets
      --allow-large      allow ranges larger than a /16
      --adopt            write a device file for each unmanaged device (needs --site; a device
                         with auth on needs SHELLY_FLEET_DEVICE_PASSWORD, as for adopt)
      --json             one JSON document on stdout instead of the table
  -h, --help             show this help

A progress line goes to stderr while scanning, on a terminal only. Exit code 0 when the scan ran,
whatever it found; 2 for a usage mistake.
`;

const CLASSES: DiscoveryClass[] = ["managed", "moved", "replacement", "unmanaged"];

function table(devices: DiscoveredDevice[], site: string | undefined): string {
  const rows = devices.map((d) => [
    d.address,
    String(d.generation),
    d.model,
    d.mac,
    d.firmware.split("/").pop() ?? d.firmware,
    d.auth ? "on" : "off",
    d.class,
    note(d, site),
  ]);
  const header = ["ADDRESS", "GEN", "MODEL", "MAC", "FIRMWARE", "AUTH", "CLASS", "NOTE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function note(d: DiscoveredDevice, site: string | undefined): string {
  const file = d.file && `devices/${d.file.site}/${d.file.name}.toml`;
  switch (d.class) {
    case "managed":
      return file ?? "";
    case "moved":
      return `${file} says ${d.file?.address}`;
    case "replacement":
      return `replaces ${d.file?.name}? shelly-fleet adopt ${d.address} --site ${d.file?.site ?? site} --replace ${d.file?.name}`;
    default:
      return "";
  }
}

export const discoverCommand: Command = {
  name: "discover",
  summary: "Find Shelly devices on the network and match them to the files",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        site: { type: "string", short: "s" },
        root: { type: "string" },
        port: { type: "string" },
        concurrency: { type: "string" },
        timeout: { type: "string" },
        "outside-site": { type: "boolean", default: false },
        mdns: { type: "boolean", default: false },
        "allow-large": { type: "boolean", default: false },
        adopt: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    const port = positiveInteger(values.port, "--port", 80);
    if (port > 65_535) throw new UsageError("--port must be at most 65535");
    const concurrency = positiveInteger(values.concurrency, "--concurrency", 64);
    const timeoutMs = positiveInteger(values.timeout, "--timeout", 1500);
    if (values.adopt && !values.site)
      throw new UsageError("--adopt needs --site NAME: the site its files go to");

    const { root, site } = resolveFleetOptions(values);
    const fleet = loadFleet({ root, site });
    const subnets = siteSubnets(fleet.sites);
    const cidrs = positionals.length > 0 ? positionals : subnets;
    if (cidrs.length === 0 && !values.mdns) {
      throw new UsageError(
        `no CIDR given and no subnet in ${site ? `devices/${site}/site.toml` : "any site.toml"}: name the range to scan, e.g. 10.0.20.0/24`,
      );
    }
    const addresses = expandCidrs(cidrs, values["allow-large"]);
    const outside = outsideSubnets(cidrs, subnets);
    if (outside !== undefined && !values["outside-site"]) {
      throw new UsageError(
        subnets.length === 0
          ? `${outside}: no site.toml here names a subnet; pass --outside-site to scan it anyway`
          : `${outside} is outside the site subnets (${subnets.join(", ")}); pass --outside-site to scan it anyway`,
      );
    }

    const started = Date.now();
    const onTerminal = process.stderr.isTTY === true;
    const found = await scanAddresses(addresses, {
      port,
      concurrency,
      timeoutMs,
      ...(onTerminal && {
        onProgress: (done: number, total: number, count: number) => {
          if (done % 16 === 0 || done === total)
            process.stderr.write(`\rdiscover: ${done}/${total} addresses, ${count} Shelly devices`);
        },
      }),
    });
    if (onTerminal) process.stderr.write("\r\x1b[K");
    let skipped: string[] = [];
    if (values.mdns) {
      const probed = new Set(found.map((f) => endpointOf(f.host)));
      const targets = mdnsTargets(await browseMdns({ timeoutMs }), {
        subnets,
        outsideSite: values["outside-site"],
        probed,
      });
      for (const [mdnsPort, group] of targets.byPort) {
        found.push(...(await scanAddresses(group, { port: mdnsPort, concurrency, timeoutMs })));
      }
      skipped = targets.skipped.map((d) => `${d.name} (${endpointOf(`${d.address}:${d.port}`)})`);
    }
    const devices = classify(found, fleet.devices);
    const seen = new Set(
      devices.flatMap((d) => (d.class === "managed" || d.class === "moved" ? [d.mac] : [])),
    );
    // Files in the scanned range whose device did not answer anywhere scanned; a file with a
    // replacement candidate at its address is in that device's row already.
    const replaced = new Set(devices.flatMap((d) => (d.class === "replacement" ? [d.address] : [])));
    const missing = fleet.devices
      .filter(
        (f) => !seen.has(f.mac) && !replaced.has(endpointOf(f.address)) && inScannedRange(f.address, cidrs),
      )
      .filter((f) => Number(endpointOf(f.address).split(":")[1] ?? 80) === port)
      .map((f) => ({ site: f.site, name: f.name, address: endpointOf(f.address), mac: f.mac }));

    const adopted: { address: string; result: string; ok: boolean }[] = [];
    if (values.adopt && site) {
      for (const device of devices.filter((d) => d.class === "unmanaged")) {
        try {
          const result = await adoptDevice({
            address: device.address,
            site,
            root,
            password: process.env.SHELLY_FLEET_DEVICE_PASSWORD || undefined,
            suffixTakenNames: true,
          });
          adopted.push({ address: device.address, result: result.trim(), ok: true });
        } catch (err) {
          adopted.push({ address: device.address, result: (err as Error).message, ok: false });
        }
      }
    }

    const seconds = (Date.now() - started) / 1000;
    const counts = Object.fromEntries(CLASSES.map((c) => [c, devices.filter((d) => d.class === c).length]));
    if (values.json) {
      print(
        `${JSON.stringify({ scanned: addresses.length, port, seconds, counts, devices, missing, adopted, mdnsOutsideSite: skipped }, null, 2)}\n`,
      );
    } else {
      if (devices.length > 0) print(`${table(devices, site)}\n\n`);
      for (const m of missing)
        print(`not found: devices/${m.site}/${m.name}.toml (${m.address}, MAC ${m.mac})\n`);
      for (const d of skipped) print(`mDNS: ${d} is outside the site subnets, not probed (--outside-site)\n`);
      for (const a of adopted) print(`${a.ok ? "adopted" : "not adopted"} ${a.address}: ${a.result}\n`);
      const summary = CLASSES.filter((c) => (counts[c] ?? 0) > 0).map((c) => `${counts[c]} ${c}`);
      print(
        `Scanned ${addresses.length} addresses on port ${port} in ${seconds.toFixed(1)} s: ${devices.length} Shelly devices${summary.length ? ` (${summary.join(", ")})` : ""}${missing.length ? `; ${missing.length} files not found` : ""}.\n`,
      );
    }
    return adopted.some((a) => !a.ok) ? 1 : 0;
  },
};
