// The Shelly part of the Pulumi program: one ShellyDevice per device file, after the device's DHCP
// reservation and provisioning when it has them.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { type DesiredDevice, isSecretRef, secretEnvName } from "../fleet";
import type { CampaignPlace } from "../providers/shelly/plan/campaign";
import { ShellyDevice } from "../providers/shelly/provider";
import { settleOnFailure } from "./failed-resources";

/** Secret names → the digests of their values, as one secret Output. */
export type SecretDigests = (names: string[]) => pulumi.Output<Record<string, string>>;

/**
 * A digest of each secret's value goes into the inputs, marked secret: a new value then shows as
 * a change, while the value itself stays in stack config and never reaches the state. Each
 * secret is looked up once per program run.
 */
export function secretDigests(config: pulumi.Config): SecretDigests {
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
  // No secrets, nothing to hide: a plain `{}` costs the state no ciphertext.
  return (names) =>
    names.length === 0
      ? pulumi.output<Record<string, string>>({})
      : pulumi.secret(
          pulumi
            .all(Object.fromEntries(names.map((name) => [name, digestOf(name)])))
            .apply((all) => all as Record<string, string>),
        );
}

/** Every secret name a device's settings refer to. */
function secretNames(value: unknown, names = new Set<string>()): Set<string> {
  if (isSecretRef(value)) names.add(value.secret);
  else if (Array.isArray(value)) for (const item of value) secretNames(item, names);
  else if (value && typeof value === "object")
    for (const item of Object.values(value)) secretNames(item, names);
  return names;
}

export interface ShellyDeviceOptions {
  /** The site's device password secret, when its devices have auth on. */
  loginSecret: string | undefined;
  digests: SecretDigests;
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /** Where to find the device when not at the file's `address` (moved onto its reservation). */
  address?: pulumi.Input<string>;
  /** Its place in the site's firmware campaign. */
  campaign?: CampaignPlace;
}

export function declareShellyDevice(device: DesiredDevice, options: ShellyDeviceOptions): ShellyDevice {
  const { loginSecret, digests, dependsOn } = options;
  const names = [...secretNames(device.config), ...(loginSecret ? [loginSecret] : [])];
  return settleOnFailure(
    new ShellyDevice(
      device.name,
      {
        name: device.name,
        site: device.site,
        mac: device.mac,
        address: options.address ?? device.address,
        desired: device.config,
        loginSecret,
        secretDigests: digests(names),
        ...(device.sleeping && { sleeping: true }),
        ...(options.campaign && { campaign: options.campaign }),
      },
      { dependsOn },
    ),
  );
}
