// The Pulumi program: one ShellyDevice per device file of this stack's site. `pulumi preview` /
// `pulumi up` run it through the nodejs language host (Pulumi.yaml `main`: program/entry.ts);
// `shelly-fleet preview` / `up` run the same function as an Automation API inline program.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { formatFleetError, loadFleet, type Site } from "./fleet";
import { campaignOf, inWaveOrder } from "./program/campaign";
import { dependencyOn } from "./program/failed-resources";
import { declareLeaseMove } from "./program/lease";
import { declareOpnsense } from "./program/opnsense";
import { declareProvisioning } from "./program/provision";
import { declareShellyDevice, secretDigests } from "./program/shelly";
import { transportCheck } from "./providers/opnsense/model";

/** The package root, from the source (index.ts) or the build (dist/index.js). */
const PACKAGE_ROOT = path.basename(__dirname) === "dist" ? path.dirname(__dirname) : __dirname;

export default async function program(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config("shelly-fleet");
  const root = path.resolve(config.get("root") ?? PACKAGE_ROOT);
  const siteName = config.get("site") ?? pulumi.getStack();
  const fleet = loadFleet({ root, site: siteName });
  if (fleet.errors.length > 0) {
    // RunError: the engine shows the message without a stack trace; these are the user's files.
    throw new pulumi.RunError(
      `the fleet files under ${root} have ${fleet.errors.length} problem(s):\n  ${fleet.errors.map((error) => formatFleetError(error)).join("\n  ")}`,
    );
  }
  const site = fleet.sites.find((s) => s.name === siteName) as Site;

  const digests = secretDigests(config);

  // OPNsense is managed only when the stack names a firewall: reservations before devices.
  const opnsenseUrl = config.get("opnsense.url");
  if (opnsenseUrl) {
    const stackFile = `stacks/Pulumi.${pulumi.getStack()}.yaml`;
    const transport = transportCheck(opnsenseUrl, config.getBoolean("opnsense.allowCleartext") ?? false);
    if (transport.error)
      throw new pulumi.RunError(`${stackFile}: shelly-fleet:opnsense.url: ${transport.error}`);
    if (transport.warning) pulumi.log.warn(transport.warning);
  }
  const opnsense = opnsenseUrl ? declareOpnsense(site, fleet.devices) : undefined;

  const loginSecret = site.credentials?.device_password?.secret;
  const campaign = campaignOf(site, fleet.devices);
  const declared = new Map<string, ReturnType<typeof declareShellyDevice>>();
  // The SDK formats a stack for every promise it makes for a resource (runtime/debuggable.js), to
  // name promises a program leaks; it is never shown otherwise, and came to 55 MB at 1,000
  // devices. None while declaring (synchronous); an error thrown here loses only its stack. Inline,
  // not in a helper: the SDK also stores each resource's call stack in the state, frame by frame.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const device of inWaveOrder(fleet.devices, campaign)) {
      // A new device joins the network first, after its DHCP reservation when it has one.
      const reservation = opnsense?.reservations.get(device.name);
      const provisioned = declareProvisioning(device, loginSecret, reservation);
      const dependsOn = [
        ...(reservation ? [reservation] : []),
        ...(provisioned ? [dependencyOn(provisioned, "shelly", "ProvisionedDevice", device.name)] : []),
      ];
      // A device on a dynamic lease then moves onto its reservation, and is configured there.
      const moved = reservation ? declareLeaseMove(device, site, loginSecret, dependsOn) : undefined;
      // A campaign wave starts after the wave before is done, whether its devices succeeded or not.
      const place = campaign.get(device.name);
      const waveBefore = (place?.earlier.at(-1) ?? []).map((name) =>
        dependencyOn(declared.get(name) as ReturnType<typeof declareShellyDevice>, "shelly", "Device", name),
      );
      const resource = declareShellyDevice(device, {
        loginSecret,
        digests,
        dependsOn: [...dependsOn, ...(moved ? [moved.dependency] : []), ...waveBefore],
        ...(moved && { address: moved.address }),
        ...(place && { campaign: place }),
      });
      declared.set(device.name, resource);
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }

  return {
    site: siteName,
    ...(opnsense && { opnsenseBackups: opnsense.backups }),
    // What the files say about each device: a device that failed or was skipped in this run then
    // shows as it was, where live values (model, firmware) would show as removed (`shelly-fleet
    // status` reads those).
    devices: Object.fromEntries(
      fleet.devices.map((device) => [device.name, { mac: device.mac, address: device.address }]),
    ),
  };
}
