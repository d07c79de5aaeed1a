// When a device must move onto its DHCP reservation, as a pure function: the files say where it
// answers now (`address`) and where it belongs (`network.ip`).
import { inSubnet, isIPv4, parseSubnet } from "../../shared/net";

/** The parts of a device the decision needs (structurally a fleet `DesiredDevice`). */
export interface LeaseDevice {
  /** Host or host:port the device answers on now. */
  address: string;
  network?: { ip?: string };
  /** A device still to provision joins the network after its reservation: it has nothing to move. */
  provision?: unknown;
}

export interface LeaseMoveSpec {
  /** Where the device answers now: host or host:port. */
  from: string;
  /** Its reserved IP, with the port of `from`. */
  to: string;
}

/**
 * The move of a device that answers at another address of the site's subnet than its reserved
 * IP: that address is a dynamic lease, and the device takes its reservation only when it renews.
 * An address outside the subnet (a host name, a port forward, a tunnel) says how to reach the
 * device, not which lease it holds: nothing to move.
 */
export function leaseMoveOf(device: LeaseDevice, subnet: string | undefined): LeaseMoveSpec | undefined {
  const reserved = device.network?.ip;
  if (reserved === undefined || subnet === undefined || device.provision !== undefined) return undefined;
  const [host = "", port] = device.address.split(":");
  if (!isIPv4(host) || host === reserved || !inSubnet(host, parseSubnet(subnet))) return undefined;
  return { from: device.address, to: port === undefined ? reserved : `${reserved}:${port}` };
}
