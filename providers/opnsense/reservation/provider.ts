// The DhcpReservation dynamic provider: lifecycle.ts beside it behind the shared adapter
// (providers/shared/dynamic-provider.ts says what the stored code holds).
import type * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, type ResourceArgs } from "../../shared/dynamic-provider";
import { loadFromPackage } from "../../shared/load-from-package";
import { StoredProviderResource, storedProviderSource } from "../../shared/stored-provider";
import type { DhcpReservationInputs, DhcpReservationOutputs } from "./lifecycle";
import type { ReservationSpec } from "./model";

/** Bump when read or delete change: refresh and delete run the code stored in state (#16826). */
export const DHCP_RESERVATION_PROVIDER_VERSION = 1;

// A reservation deleted on the firewall leaves the state on refresh, and the preview shows it
// created again.
/** The adapter, run from the installed package in the provider process. */
export const dhcpReservationAdapter = dynamicProvider<DhcpReservationInputs, DhcpReservationOutputs>({
  lifecycle: () =>
    loadFromPackage<typeof import("./lifecycle")>("dist/providers/opnsense/reservation/lifecycle.js"),
  inputKeys: {
    device: true,
    backend: true,
    subnet: true,
    dhcpPool: true,
    mac: true,
    ip: true,
    hostname: true,
    description: true,
    providerVersion: true,
  },
  id: (outs) => outs.uuid,
});

/** What the state stores: one line that loads the adapter above (shared/stored-provider.ts). */
export const dhcpReservationProvider = storedProviderSource(
  "dist/providers/opnsense/reservation/provider.js",
  "dhcpReservationAdapter",
);

/** A Kea reservation or dnsmasq DHCP host for one device; natural key: its MAC. */
export class DhcpReservation extends StoredProviderResource {
  declare readonly uuid: pulumi.Output<string>;
  declare readonly ip: pulumi.Output<string>;
  /** The config backup taken before the apply that last wrote it. */
  declare readonly backup: pulumi.Output<string | undefined>;

  constructor(name: string, args: ResourceArgs<ReservationSpec>, opts?: pulumi.CustomResourceOptions) {
    super(
      dhcpReservationProvider,
      name,
      { uuid: undefined, backup: undefined, providerVersion: DHCP_RESERVATION_PROVIDER_VERSION, ...args },
      opts,
      "opnsense",
      "DhcpReservation",
    );
  }
}
