// The ProvisionedDevice dynamic provider: a thin adapter from Pulumi's lifecycle to lifecycle.ts.
// Like ShellyDevice (providers/shelly/provider.ts), the serialized code only loads the
// implementation from the installed shelly-fleet package, and credentials come from stack config.

import * as pulumi from "@pulumi/pulumi";
import type { ProvisionSettings } from "../../fleet/types";
import { loadFromPackage } from "../load-from-package";
import type { DeviceConfig } from "../shelly/model/catalog";

/** Bump when read or delete change: refresh and delete run the code stored in state. */
export const PROVISION_PROVIDER_VERSION = 1;

type Lifecycle = typeof import("./lifecycle");

function lifecycle(): Lifecycle {
  return loadFromPackage<Lifecycle>("dist/providers/provision/lifecycle.js");
}

const INPUT_KEYS = [
  "name",
  "site",
  "mac",
  "address",
  "provision",
  "preNetwork",
  "loginSecret",
  "keepAp",
  "keepBleRpc",
  "providerVersion",
];

function inputsOf(props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    INPUT_KEYS.filter((key) => props[key] !== undefined).map((key) => [key, props[key]]),
  );
}

export const provisionedDeviceProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    lifecycle().configure((key) => req.config.get(key));
  },

  async check(_olds, news) {
    return { inputs: news, failures: lifecycle().check(news as never) };
  },

  async diff(_id, olds, news) {
    return lifecycle().diff(olds as never, news as never);
  },

  async create(inputs) {
    const outs = await lifecycle().create(inputsOf(inputs) as never);
    return { id: outs.mac, outs };
  },

  async read(id, props) {
    const outs = await lifecycle().read(props as never);
    return { id, props: outs, inputs: inputsOf(outs as never) };
  },

  async update(_id, olds, news) {
    return { outs: await lifecycle().update(olds as never, inputsOf(news) as never) };
  },

  // The device stays on the network as it is: deleting only forgets that it was provisioned.
  async delete() {},
};

export interface ProvisionedDeviceArgs {
  name: pulumi.Input<string>;
  site: pulumi.Input<string>;
  mac: pulumi.Input<string>;
  address: pulumi.Input<string>;
  provision: pulumi.Input<ProvisionSettings>;
  preNetwork: pulumi.Input<DeviceConfig>;
  loginSecret?: pulumi.Input<string>;
  keepAp: pulumi.Input<boolean>;
  keepBleRpc: pulumi.Input<boolean>;
}

export class ProvisionedDevice extends pulumi.dynamic.Resource {
  declare readonly model: pulumi.Output<string>;
  declare readonly apSsid: pulumi.Output<string | undefined>;
  declare readonly provisionedAt: pulumi.Output<string>;

  constructor(name: string, args: ProvisionedDeviceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provisionedDeviceProvider,
      name,
      {
        generation: undefined,
        model: undefined,
        firmware: undefined,
        apSsid: undefined,
        provisionedAt: undefined,
        steps: undefined,
        providerVersion: PROVISION_PROVIDER_VERSION,
        ...args,
      },
      opts,
      "shelly",
      "ProvisionedDevice",
    );
  }
}
