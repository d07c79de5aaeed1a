// The OPNsense part of the Pulumi program: one DhcpReservation per device with `network.ip`, one
// FirewallAlias per name in the devices' `network.aliases`.
import * as pulumi from "@pulumi/pulumi";
import { FirewallAlias } from "../providers/opnsense/alias/provider";
import { type NetworkDevice, type NetworkSite, planOpnsense } from "../providers/opnsense/plan";
import { DhcpReservation } from "../providers/opnsense/reservation/provider";

export interface OpnsenseResources {
  /** Device name → its reservation: the device's own resource depends on it. */
  reservations: Map<string, DhcpReservation>;
  aliases: FirewallAlias[];
  /** Every config backup path the resources report (the ones this apply took included). */
  backups: pulumi.Output<string[]>;
}

export function declareOpnsense(site: NetworkSite, devices: NetworkDevice[]): OpnsenseResources {
  const plan = planOpnsense(site, devices);
  if (plan.errors.length > 0) {
    // RunError: the engine shows the message without a stack trace; these are the user's files.
    throw new pulumi.RunError(
      `the fleet's OPNsense settings have ${plan.errors.length} problem(s):\n  ${plan.errors.join("\n  ")}`,
    );
  }
  const reservations = new Map(
    plan.reservations.map((spec) => [spec.device, new DhcpReservation(`${spec.device}-dhcp`, spec)]),
  );
  const aliases = plan.aliases.map((spec) => new FirewallAlias(`alias-${spec.name}`, spec));
  const backups = pulumi
    .all([...reservations.values(), ...aliases].map((resource) => resource.backup))
    .apply((paths) => [...new Set(paths.filter((p): p is string => typeof p === "string"))].sort());
  return { reservations, aliases, backups };
}
