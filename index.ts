// The Pulumi program: one ShellyDevice per device file of this stack's site. `pulumi preview` /
// `pulumi up` run it through the nodejs language host; `shelly-fleet preview` / `up` run the same
// function as an Automation API inline program.
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { DesiredDevice, Site } from "./fleet";
import { formatFleetError, loadFleet, secretEnvName } from "./fleet";
import { declareOpnsense } from "./providers/opnsense/program";
import { declareProvisioning } from "./providers/provision/program";
import { isSecretRef } from "./providers/shelly/model/normalize";
import { ShellyDevice } from "./providers/shelly/provider";

/** The package root, from the source (index.ts) or the build (dist/index.js). */
const PACKAGE_ROOT = path.basename(__dirname) === "dist" ? path.dirname(__dirname) : __dirname;

/** Every secret name a device's settings refer to. */
function secretNames(value: unknown, names = new Set<string>()): Set<string> {
  if (isSecretRef(value)) names.add(value.secret);
  else if (Array.isArray(value)) for (const item of value) secretNames(item, names);
  else if (value && typeof value === "object")
    for (const item of Object.values(value)) secretNames(item, names);
  return names;
}

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

  // A digest of each secret's value goes into the inputs, marked secret: a new value then shows
  // as a change, while the value itself stays in stack config and never reaches the state.
  const digests = new Map<string, pulumi.Output<string>>();
  const digestOf = (name: string): pulumi.Output<string> => {
    let digest = digests.get(name);
    if (!digest) {
      const value =
        config.getSecret(`secret.${name}`) ?? pulumi.secret(process.env[secretEnvName(name)] ?? "");
      digest = value.apply((v) => (v === "" ? "unset" : createHash("sha256").update(v).digest("hex")));
      digests.set(name, digest);
    }
    return digest;
  };

  // OPNsense is managed only when the stack names a firewall: reservations before devices.
  const opnsense = config.get("opnsense.url") ? declareOpnsense(site, fleet.devices) : undefined;

  const loginSecret = site.credentials?.device_password?.secret;
  const devices = fleet.devices.map((device: DesiredDevice) => {
    const names = [...secretNames(device.config), ...(loginSecret ? [loginSecret] : [])];
    const secretDigests = pulumi
      .all(Object.fromEntries(names.map((name) => [name, digestOf(name)])))
      .apply((all) => all as Record<string, string>);
    // A new device joins the network first, after its DHCP reservation when it has one.
    const reservation = opnsense?.reservations.get(device.name);
    const provisioned = declareProvisioning(device, loginSecret, reservation);
    return new ShellyDevice(
      device.name,
      {
        name: device.name,
        site: device.site,
        mac: device.mac,
        address: device.address,
        desired: device.config,
        loginSecret,
        secretDigests: pulumi.secret(secretDigests),
      },
      { dependsOn: [reservation, provisioned].flatMap((r) => r ?? []) },
    );
  });

  return {
    site: siteName,
    ...(opnsense && { opnsenseBackups: opnsense.backups }),
    devices: Object.fromEntries(
      devices.map((resource, i) => [
        fleet.devices[i]?.name,
        pulumi.all([resource.model, resource.firmware]).apply(([model, firmware]) => ({ model, firmware })),
      ]),
    ),
  };
}
