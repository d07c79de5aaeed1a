// The FirewallAlias dynamic provider: lifecycle.ts beside it behind the shared adapter
// (providers/shared/dynamic-provider.ts says what the stored code holds).
import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, type ResourceArgs, storedProvider } from "../../shared/dynamic-provider";
import { loadFromPackage } from "../../shared/load-from-package";
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

/** What the state stores: forwarders to the adapter above (shared/dynamic-provider.ts). */
export const firewallAliasProvider = storedProvider<FirewallAliasInputs, FirewallAliasOutputs>(
  "dist/providers/opnsense/alias/provider.js",
  "firewallAliasAdapter",
);

/** A `host` alias holding its member devices' IPs; natural key: its name. */
export class FirewallAlias extends pulumi.dynamic.Resource {
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
