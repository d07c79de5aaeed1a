// The ShellyDevice dynamic provider: lifecycle.ts behind the shared adapter
// (providers/shared/dynamic-provider.ts says what the stored code holds).

import type * as pulumi from "@pulumi/pulumi";
import { dynamicProvider } from "../shared/dynamic-provider";
import { loadFromPackage } from "../shared/load-from-package";
import { StoredProviderResource, storedProviderSource } from "../shared/stored-provider";
import { componentsOf } from "./engine-inputs";
import type { ShellyDeviceInputs, ShellyDeviceOutputs } from "./lifecycle";
import type { DeviceConfig } from "./model/catalog";
import type { CampaignPlace } from "./plan/campaign";

/** Bump when read or delete change: refresh and delete run the code stored in state (#16826). */
export const SHELLY_PROVIDER_VERSION = 1;

type Lifecycle = typeof import("./lifecycle");
type EngineInputs = typeof import("./engine-inputs");

// Deleting releases the device from management: it keeps its configuration (the lifecycle has
// no delete).
/** The adapter, run from the installed package in the provider process. */
export const shellyDeviceAdapter = dynamicProvider<ShellyDeviceInputs, ShellyDeviceOutputs>({
  lifecycle: () => loadFromPackage<Lifecycle>("dist/providers/shelly/lifecycle.js"),
  inputKeys: {
    name: true,
    site: true,
    mac: true,
    address: true,
    desired: true,
    loginSecret: true,
    secretDigests: true,
    providerVersion: true,
    sleeping: true,
    campaign: true,
  },
  id: (outs) => outs.mac,
  // The managed keys as the device shows them: the next preview shows each drifted field.
  // `observed` is absent when it equals `desired` (lifecycle.ts, observedOf).
  refreshedInputs: (outs) => ({ desired: outs.observed ?? outs.desired }),
  // One input per component, so the engine's own diff names it (`[diff: ~switch:0]`).
  engineShape: () => loadFromPackage<EngineInputs>("dist/providers/shelly/engine-inputs.js"),
});

/** What the state stores: one line that loads the adapter above (shared/stored-provider.ts). */
export const shellyDeviceProvider = storedProviderSource(
  "dist/providers/shelly/provider.js",
  "shellyDeviceAdapter",
);

export interface ShellyDeviceArgs {
  name: pulumi.Input<string>;
  site: pulumi.Input<string>;
  mac: pulumi.Input<string>;
  address: pulumi.Input<string>;
  /** Spread over one input per component (engine-inputs.ts). */
  desired: DeviceConfig;
  loginSecret?: pulumi.Input<string>;
  /** Secret name → sha256 of its value; pass it as a secret Output. */
  secretDigests: pulumi.Input<Record<string, string>>;
  /** A battery device that sleeps: its changes wait for its wake-up. */
  sleeping?: boolean;
  /** Its place in the site's firmware campaign (program/campaign.ts). */
  campaign?: CampaignPlace;
}

// Only the inputs become Outputs in the program: the SDK builds an Output, with its chain of
// promises, for each key it is given, and the program reads none of the device's outputs. The
// engine stores every output the provider returns all the same (generation, model, firmware,
// observed, ...), where `status`, `report` and the next run read them.
export class ShellyDevice extends StoredProviderResource {
  declare readonly mac: pulumi.Output<string>;

  constructor(name: string, args: ShellyDeviceArgs, opts?: pulumi.CustomResourceOptions) {
    const { desired, ...rest } = args;
    super(
      shellyDeviceProvider,
      name,
      {
        providerVersion: SHELLY_PROVIDER_VERSION,
        ...rest,
        ...componentsOf(desired),
      },
      { ...opts, additionalSecretOutputs: ["secretHashes", ...(opts?.additionalSecretOutputs ?? [])] },
      "shelly",
      "Device",
    );
  }
}
