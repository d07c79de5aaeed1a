// A firewall alias as shelly-fleet declares it (a `host` alias holding its member devices' IPs),
// and the checks it passes before any write (API.md §6.3).
import { isIPv4 } from "../../shared/net";
import type { Failure } from "../model";

export interface AliasSpec {
  /** The natural key. */
  name: string;
  /** The member devices' reserved IPs, sorted. */
  content: string[];
  /** The member devices' names, sorted. */
  members: string[];
  description: string;
}

const ALIAS_NAME = /^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$/;
/** pf keywords and common service/protocol names OPNsense refuses as alias names (API.md §6.3). */
const RESERVED_ALIAS_NAMES = new Set(
  (
    "all any antispoof block binat drop from host in inet inet6 label log max nat no on out pass port proto quick " +
    "rdr return scrub set skip table tag to user ftp ssh telnet smtp domain http https pop3 imap ntp snmp ldap " +
    "tcp udp icmp ipv6 gre esp ah bogons bogonsv6 sshlockout virusprot"
  ).split(" "),
);

/** Why OPNsense would refuse this alias name, or undefined when it is fine. */
export function aliasNameProblem(name: string): string | undefined {
  if (!ALIAS_NAME.test(name)) {
    return "must start with a letter or a single underscore, be at most 31 characters and hold only letters, digits and underscores";
  }
  if (RESERVED_ALIAS_NAMES.has(name.toLowerCase())) {
    return "is a reserved keyword, service or built-in alias name on OPNsense";
  }
  return undefined;
}

export function aliasFailures(spec: Partial<AliasSpec>): Failure[] {
  const failures: Failure[] = [];
  const problem = typeof spec.name === "string" ? aliasNameProblem(spec.name) : "required";
  if (problem) failures.push({ property: "name", reason: `${JSON.stringify(spec.name)} ${problem}` });
  for (const ip of spec.content ?? []) {
    if (!isIPv4(ip))
      failures.push({ property: "content", reason: `${JSON.stringify(ip)} is not an IPv4 address` });
  }
  return failures;
}

/** IPs in numeric order, anything else after them: the order is not OPNsense's concern. */
export function sortContent(content: string[]): string[] {
  const key = (item: string) =>
    isIPv4(item)
      ? item
          .split(".")
          .map((octet) => octet.padStart(3, "0"))
          .join(".")
      : `~${item}`;
  return [...content].sort((a, b) => key(a).localeCompare(key(b)));
}
