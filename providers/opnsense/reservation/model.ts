// A DHCP reservation as shelly-fleet declares it, and the checks it passes before any write
// (API.md §3.6): Kea reservations and dnsmasq DHCP hosts behind one shape.
import { CIDR_PATTERN, inRange, inSubnet, isHostname, isIPv4, parseSubnet } from "../../shared/net";
import { descriptionProblem, type Failure, isCanonicalMac } from "../model";

export type DhcpBackend = "kea" | "dnsmasq";

export interface ReservationSpec {
  /** The device file's name: errors and descriptions name it. */
  device: string;
  backend: DhcpBackend;
  /** The site's subnet (CIDR): the Kea subnet the reservation belongs to. */
  subnet: string;
  dhcpPool?: { start: string; end: string };
  /** Lower case with colons: the natural key. */
  mac: string;
  ip: string;
  hostname: string;
  description: string;
}

const CIDR = new RegExp(CIDR_PATTERN);

/** The checks a reservation passes before any write (check runs them on every preview). */
export function reservationFailures(spec: Partial<ReservationSpec>): Failure[] {
  const failures: Failure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  if (spec.backend !== "kea" && spec.backend !== "dnsmasq") {
    fail("backend", `expected "kea" or "dnsmasq", got ${JSON.stringify(spec.backend)}`);
  }
  if (typeof spec.mac !== "string" || !isCanonicalMac(spec.mac)) {
    fail(
      "mac",
      `expected lower-case hex pairs separated by colons (aa:bb:cc:dd:ee:ff), got ${JSON.stringify(spec.mac)}`,
    );
  }
  const subnetOk = typeof spec.subnet === "string" && CIDR.test(spec.subnet);
  if (!subnetOk) fail("subnet", `expected a subnet such as 10.0.20.0/24, got ${JSON.stringify(spec.subnet)}`);
  if (typeof spec.ip !== "string" || !isIPv4(spec.ip)) {
    fail("ip", `expected an IPv4 address, got ${JSON.stringify(spec.ip)}`);
  } else if (subnetOk && !inSubnet(spec.ip, parseSubnet(spec.subnet as string))) {
    fail("ip", `${spec.ip} is outside the subnet ${spec.subnet}`);
  } else if (spec.dhcpPool && inRange(spec.ip, spec.dhcpPool.start, spec.dhcpPool.end)) {
    fail("ip", `${spec.ip} is inside the dynamic DHCP pool ${spec.dhcpPool.start}-${spec.dhcpPool.end}`);
  }
  if (spec.hostname !== undefined && spec.hostname !== "" && !isHostname(spec.hostname)) {
    fail("hostname", `expected a host name, got ${JSON.stringify(spec.hostname)}`);
  }
  // Kea's description is a DescriptionField; dnsmasq's descr a plain TextField without limits.
  const description =
    spec.backend === "kea" && typeof spec.description === "string"
      ? descriptionProblem(spec.description)
      : undefined;
  if (description) fail("description", description);
  return failures;
}
