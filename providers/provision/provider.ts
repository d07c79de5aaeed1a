// The ProvisionedDevice dynamic provider: lifecycle.ts behind the shared adapter
// (providers/shared/dynamic-provider.ts says what the stored code holds).

import type * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, type ResourceLifecycle } from "../shared/dynamic-provider";
import { resourceLog } from "../shared/engine-log";
import { loadFromPackage } from "../shared/load-from-package";
import { StoredProviderResource, storedProviderSource } from "../shared/stored-provider";
import type { DeviceConfig } from "../shelly/model/catalog";
import type { ProvisionedDeviceInputs, ProvisionedDeviceOutputs } from "./lifecycle";
import type { ProvisionSettings } from "./types";

/** Bump when read or delete change: refresh and delete run the code stored in state. */
export const PROVISION_PROVIDER_VERSION = 1;

/**
 * The implementation, from the installed package. Its `read` takes the state alone, as the
 * provider code stored in existing stacks calls it; the adapter passes the id too.
 */
function lifecycle(): ResourceLifecycle<ProvisionedDeviceInputs, ProvisionedDeviceOutputs> {
  const module = loadFromPackage<typeof import("./lifecycle")>("dist/providers/provision/lifecycle.js");
  module.useProgressLog(resourceLog);
  return { ...module, read: (_id, props) => module.read(props) };
}

/**
 * The adapter, run from the installed package in the provider process. The device stays on the
 * network as it is: deleting only forgets that it was provisioned (the lifecycle has no delete).
 */
export const provisionedDeviceAdapter = dynamicProvider<ProvisionedDeviceInputs, ProvisionedDeviceOutputs>({
  lifecycle,
  inputKeys: {
    name: true,
    site: true,
    mac: true,
    address: true,
    provision: true,
    preNetwork: true,
    loginSecret: true,
    keepAp: true,
    keepBleRpc: true,
    providerVersion: true,
    progressUrn: true,
  },
  id: (outs) => outs.mac,
});

/** What the state stores: one line that loads the adapter above (shared/stored-provider.ts). */
export const provisionedDeviceProvider = storedProviderSource(
  "dist/providers/provision/provider.js",
  "provisionedDeviceAdapter",
);

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
  progressUrn?: pulumi.Input<string>;
}

export class ProvisionedDevice extends StoredProviderResource {
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
