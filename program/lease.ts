// The lease part of the Pulumi program: a device that answers at a dynamic address of its site
// moves onto its DHCP reservation (a LeaseMove, after the reservation), and its ShellyDevice then
// talks to it there.
import * as pulumi from "@pulumi/pulumi";
import type { DesiredDevice, Site } from "../fleet";
import { leaseMoveOf } from "../providers/shelly/lease/model";
import { LeaseMove } from "../providers/shelly/lease/provider";
import { dependencyOn, settleOnFailure } from "./failed-resources";

export interface DeclaredLeaseMove {
  /** For the ShellyDevice's dependsOn. */
  dependency: pulumi.Output<pulumi.Resource>;
  /**
   * Where the ShellyDevice finds the device: its reservation, or where it was when the move
   * failed (the run still applies the files there, and the next run moves it again).
   */
  address: pulumi.Output<string>;
}

export function declareLeaseMove(
  device: DesiredDevice,
  site: Site,
  loginSecret: string | undefined,
  dependsOn: pulumi.Input<pulumi.Resource>[],
): DeclaredLeaseMove | undefined {
  const spec = leaseMoveOf(device, site.subnet);
  if (!spec) return undefined;
  const name = `${device.name}-lease`;
  const move = settleOnFailure(
    new LeaseMove(
      name,
      { name: device.name, mac: device.mac, ...spec, ...(loginSecret !== undefined && { loginSecret }) },
      { dependsOn },
    ),
  );
  return {
    dependency: dependencyOn(move, "shelly", "LeaseMove", name),
    address: pulumi.recover(move.to, () => spec.from),
  };
}
