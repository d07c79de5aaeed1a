// The FirewallAlias dynamic provider: lifecycle.ts beside it behind the shared adapter
// (providers/shared/dynamic-provider.ts says what the stored code holds).
import type * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, type ResourceArgs } from "../../shared/dynamic-provider";
import { loadFromPackage } from "../../shared/load-from-package";
import { StoredProviderResource, storedProviderSource } from "../../shared/stored-provider";
import type { FirewallAliasInputs, FirewallAliasOutputs } from "./lifecycle";
import type { AliasSpec } from "./model";

/** Bump when read or delete change: refresh and delete run the code stored in state (#16826). */
export const FIREWALL_ALIAS_PROVIDER_VERSION = 1;

/** The adapter, run from the installed package in the provider process. */
export const firewallAliasAdapter = dynamicProvider<FirewallAliasInputs, FirewallAliasOutputs>({
  lifecycle: () =>
    loadFromPackage<typeof import("./lifecycle")>("dist/providers/opnsense/alias/lifecycle.js"),
  inputKeys: { name: true, content: true, members: true, description: true, providerVersion: true },
  id: (outs) => outs.uuid,
});

/** What the state stores: one line that loads the adapter above (shared/stored-provider.ts). */
export const firewallAliasProvider = storedProviderSource(
  "dist/providers/opnsense/alias/provider.js",
  "firewallAliasAdapter",
);

/** A `host` alias holding its member devices' IPs; natural key: its name. */
export class FirewallAlias extends StoredProviderResource {
  declare readonly uuid: pulumi.Output<string>;
  declare readonly backup: pulumi.Output<string | undefined>;

  constructor(name: string, args: ResourceArgs<AliasSpec>, opts?: pulumi.CustomResourceOptions) {
    super(
      firewallAliasProvider,
      name,
      { uuid: undefined, backup: undefined, providerVersion: FIREWALL_ALIAS_PROVIDER_VERSION, ...args },
      opts,
      "opnsense",
      "FirewallAlias",
    );
  }
}
