// The ShellyDevice dynamic provider: a thin adapter from Pulumi's lifecycle to lifecycle.ts.
//
// Pulumi serializes this provider's code into the state of every resource and runs that copy
// for refresh and delete. So the methods below only load the implementation from the installed
// shelly-fleet package at run time: the stored code stays a few kilobytes, and holds no
// credentials (those come from stack config in `configure`).

import * as pulumi from "@pulumi/pulumi";
import { loadFromPackage } from "../load-from-package";
import type { DeviceConfig } from "./model/catalog";

/** Bump when read or delete change: refresh and delete run the code stored in state (#16826). */
export const SHELLY_PROVIDER_VERSION = 1;

type Lifecycle = typeof import("./lifecycle");

/** The implementation, from the installed package (see load-from-package.ts). */
function lifecycle(): Lifecycle {
  return loadFromPackage<Lifecycle>("dist/providers/shelly/lifecycle.js");
}

const INPUT_KEYS = [
  "name",
  "site",
  "mac",
  "address",
  "desired",
  "loginSecret",
  "secretDigests",
  "providerVersion",
];

/** The declared inputs only: the engine also passes `__provider`, and outputs hold more. */
function inputsOf(props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    INPUT_KEYS.filter((key) => props[key] !== undefined).map((key) => [key, props[key]]),
  );
}

export const shellyDeviceProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    lifecycle().configure((key) => req.config.get(key));
  },

  async check(_olds, news) {
    return { inputs: news, failures: lifecycle().check(news) };
  },

  async diff(_id, olds, news) {
    return lifecycle().diff(olds, news);
  },

  async create(inputs) {
    const outs = await lifecycle().create(inputsOf(inputs) as never);
    return { id: outs.mac, outs };
  },

  // Read returns the live values of the managed keys as the inputs, so the next preview
  // compares the files with the device and shows each drifted field.
  async read(id, props) {
    const outs = await lifecycle().read(id, props as never);
    return { id, props: outs, inputs: { ...inputsOf(outs as never), desired: outs.observed } };
  },

  async update(_id, olds, news) {
    return { outs: await lifecycle().update(olds as never, inputsOf(news) as never) };
  },

  // Deleting releases the device from management: it keeps its configuration.
  async delete() {},
};

export interface ShellyDeviceArgs {
  name: pulumi.Input<string>;
  site: pulumi.Input<string>;
  mac: pulumi.Input<string>;
  address: pulumi.Input<string>;
  desired: pulumi.Input<DeviceConfig>;
  loginSecret?: pulumi.Input<string>;
  /** Secret name → sha256 of its value; pass it as a secret Output. */
  secretDigests: pulumi.Input<Record<string, string>>;
}

export class ShellyDevice extends pulumi.dynamic.Resource {
  declare readonly mac: pulumi.Output<string>;
  declare readonly generation: pulumi.Output<string>;
  declare readonly model: pulumi.Output<string>;
  declare readonly firmware: pulumi.Output<string>;
  declare readonly observed: pulumi.Output<DeviceConfig>;
  declare readonly lastApply: pulumi.Output<Record<string, unknown> | undefined>;

  constructor(name: string, args: ShellyDeviceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      shellyDeviceProvider,
      name,
      {
        generation: undefined,
        model: undefined,
        firmware: undefined,
        observed: undefined,
        secretHashes: undefined,
        namedIds: undefined,
        lastApply: undefined,
        providerVersion: SHELLY_PROVIDER_VERSION,
        ...args,
      },
      { ...opts, additionalSecretOutputs: ["secretHashes", ...(opts?.additionalSecretOutputs ?? [])] },
      "shelly",
      "Device",
    );
  }
}
