// The LeaseMove dynamic provider: lifecycle.ts beside it behind the shared adapter
// (providers/shared/dynamic-provider.ts says what the stored code holds).
import type * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, type ResourceArgs } from "../../shared/dynamic-provider";
import { loadFromPackage } from "../../shared/load-from-package";
import { StoredProviderResource, storedProviderSource } from "../../shared/stored-provider";
import type { LeaseMoveInputs, LeaseMoveOutputs } from "./lifecycle";

/** Bump when read or delete change: refresh and delete run the code stored in state (#16826). */
export const LEASE_MOVE_PROVIDER_VERSION = 1;

/**
 * The adapter, run from the installed package in the provider process. Deleting forgets the
 * move: the device stays where it is.
 */
export const leaseMoveAdapter = dynamicProvider<LeaseMoveInputs, LeaseMoveOutputs>({
  lifecycle: () => loadFromPackage<typeof import("./lifecycle")>("dist/providers/shelly/lease/lifecycle.js"),
  inputKeys: { name: true, mac: true, from: true, to: true, loginSecret: true, providerVersion: true },
  id: (outs) => outs.mac,
});

/** What the state stores: one line that loads the adapter above (shared/stored-provider.ts). */
export const leaseMoveProvider = storedProviderSource(
  "dist/providers/shelly/lease/provider.js",
  "leaseMoveAdapter",
);

/** A device moved from a dynamic lease onto its DHCP reservation; natural key: its MAC. */
export class LeaseMove extends StoredProviderResource {
  /** Where the device answers once moved. */
  declare readonly to: pulumi.Output<string>;
  declare readonly renewedBy: pulumi.Output<string>;

  constructor(
    name: string,
    args: ResourceArgs<Omit<LeaseMoveInputs, "providerVersion">>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      leaseMoveProvider,
      name,
      { renewedBy: undefined, providerVersion: LEASE_MOVE_PROVIDER_VERSION, ...args },
      opts,
      "shelly",
      "LeaseMove",
    );
  }
}
