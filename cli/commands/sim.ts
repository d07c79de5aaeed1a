// `shelly-fleet sim`: simulated Shelly devices on loopback, until SIGINT or SIGTERM.
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { startControlServer } from "../../sim/control";
import { type FleetSpec, FleetSpecError, loadFleetSpec, startFleet } from "../../sim/fleet";
import { type OpnsenseSim, startOpnsense } from "../../sim/opnsense/server";
import { CaptureError } from "../../sim/shelly/capture";
import { type Command, print } from "../command";

const help = `Usage: shelly-fleet sim [--from DIR [--from DIR ...] | --fleet FILE] [--opnsense] [options]

Start simulated Shelly devices (Gen1 and Gen2+) on loopback, seeded from captured responses,
and/or a simulated OPNsense API. Prints one JSON line per device (address, mac, model, gen,
id, control), one line {"opnsense": true, "address", "key", "secret"} for OPNsense, and runs
until SIGINT or SIGTERM. sim/README.md describes capture directories, the fleet spec, the
control API and the OPNsense simulator.

Options:
      --from DIR            one device from a capture directory (repeatable), e.g. sim/devices/gen2-pro4pm
      --fleet FILE          devices from a fleet spec (JSON: models, counts, auth, latency, faults)
      --password PASS       turn auth on for the --from devices with this password
      --control-port PORT   port of the control API (default: any free port)
      --opnsense            also start a simulated OPNsense API (Kea, dnsmasq, aliases, backups)
      --opnsense-subnet CIDR  a Kea DHCPv4 subnet it starts with (repeatable)
      --opnsense-rows FORMAT  search rows as "modern" (25.7+, default) or "legacy" (<= 25.1)
  -h, --help                show this help
`;

export const simCommand: Command = {
  name: "sim",
  summary: "Run simulated Shelly devices on loopback (tests, demo, benchmarks)",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        from: { type: "string", multiple: true, default: [] },
        fleet: { type: "string" },
        password: { type: "string" },
        "control-port": { type: "string" },
        opnsense: { type: "boolean", default: false },
        "opnsense-subnet": { type: "string", multiple: true, default: [] },
        "opnsense-rows": { type: "string", default: "modern" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(help);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const withDevices = values.from.length > 0 || values.fleet !== undefined;
    if (values.from.length > 0 && values.fleet !== undefined) {
      throw new UsageError("give either --from DIR (repeatable) or --fleet FILE, not both");
    }
    if (!withDevices && !values.opnsense) {
      throw new UsageError("give --from DIR (repeatable), --fleet FILE or --opnsense");
    }
    const rowFormat = values["opnsense-rows"];
    if (rowFormat !== "modern" && rowFormat !== "legacy") {
      throw new UsageError(`--opnsense-rows expects "modern" or "legacy", got "${rowFormat}"`);
    }
    const subnets = values["opnsense-subnet"];
    const badSubnet = subnets.find((cidr) => !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr));
    if (badSubnet !== undefined)
      throw new UsageError(`--opnsense-subnet expects a CIDR such as 10.0.30.0/24, got "${badSubnet}"`);
    const controlPort = values["control-port"] === undefined ? 0 : Number(values["control-port"]);
    if (!Number.isInteger(controlPort) || controlPort < 0 || controlPort > 65535) {
      throw new UsageError(`--control-port expects a port number, got "${values["control-port"]}"`);
    }
    let fleet: Awaited<ReturnType<typeof startFleet>>;
    let opnsense: OpnsenseSim | undefined;
    try {
      const spec: FleetSpec =
        values.fleet !== undefined
          ? loadFleetSpec(values.fleet)
          : {
              devices: values.from.map((from) => ({
                from,
                ...(values.password ? { password: values.password } : {}),
              })),
            };
      fleet = await startFleet(spec);
      if (values.opnsense) {
        opnsense = await startOpnsense({ rowFormat, keaSubnets: subnets.map((subnet) => ({ subnet })) });
      }
    } catch (err) {
      if (err instanceof CaptureError || err instanceof FleetSpecError) throw new UsageError(err.message);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" || code === "EADDRNOTAVAIL" || code === "EMFILE") {
        throw new UsageError(`cannot start the devices: ${(err as Error).message}`, 1);
      }
      throw err;
    }
    const started = fleet;
    // The devices and the firewall are up: a control port that cannot be had must close them,
    // or the process would keep running after its error.
    const control = await startControlServer(started, { port: controlPort }).catch(async (err: unknown) => {
      await Promise.all([started.close(), opnsense?.close()]);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" || code === "EACCES") {
        const why = code === "EADDRINUSE" ? "it is in use" : "permission denied";
        throw new UsageError(
          `cannot start the control API on port ${controlPort}: ${why}; pick another --control-port, or leave it out for any free port`,
          1,
        );
      }
      throw err;
    });
    const line = (device: (typeof fleet.devices)[number]) =>
      `${JSON.stringify({ ...device.describe(), control: `${control.url}/devices/${encodeURIComponent(device.id)}` })}\n`;
    print(fleet.devices.map(line).join(""));
    if (opnsense) {
      const { address, key, secret } = opnsense;
      print(`${JSON.stringify({ opnsense: true, address, key, secret })}\n`);
    }
    // A device provisioned out of AP mode answers elsewhere: say where.
    for (const device of fleet.devices) device.on("moved", () => print(line(device)));

    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    await Promise.all([fleet.close(), control.close(), opnsense?.close()]);
    return 0;
  },
};
