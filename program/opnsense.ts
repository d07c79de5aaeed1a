// The OPNsense part of the Pulumi program: one DhcpReservation per device with `network.ip`, one
// FirewallAlias per name in the devices' `network.aliases`.
import * as pulumi from "@pulumi/pulumi";
import { FirewallAlias } from "../providers/opnsense/alias/provider";
import { type NetworkDevice, type NetworkSite, planOpnsense } from "../providers/opnsense/plan";
import { DhcpReservation } from "../providers/opnsense/reservation/provider";
import { dependencyOn, settleOnFailure } from "./failed-resources";

export interface OpnsenseResources {
  /** Device name → its reservation, as a dependency: the device's own resources depend on it. */
  reservations: Map<string, pulumi.Output<pulumi.Resource>>;
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
  const created = plan.reservations.map((spec) => {
    const name = `${spec.device}-dhcp`;
    return { device: spec.device, name, resource: settleOnFailure(new DhcpReservation(name, spec)) };
  });
  const reservations = new Map(
    created.map(({ device, name, resource }) => [
      device,
      dependencyOn(resource, "opnsense", "DhcpReservation", name),
    ]),
  );
  const aliases = plan.aliases.map((spec) => settleOnFailure(new FirewallAlias(`alias-${spec.name}`, spec)));
  // A resource that failed (the run goes on past it) rejects its outputs: recover them as "no
  // backup" so the stack outputs still register and the engine reports the failure once, cleanly.
  const backups = pulumi
    .all(
      [...created.map((r) => r.resource), ...aliases].map((resource) =>
        pulumi.recover(resource.backup, () => undefined),
      ),
    )
    .apply((paths) => [...new Set(paths.filter((p): p is string => typeof p === "string"))].sort());
  return { reservations, aliases, backups };
}
