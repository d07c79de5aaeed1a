// A firewall alias as shelly-fleet declares it (a `host` alias holding its member devices' IPs),
// and the checks it passes before any write (API.md §6.3).

import {
  ALIAS_NAME_PATTERN,
  PF_RESERVED_WORDS,
  PROTOCOL_NAMES,
  SERVICE_NAMES,
} from "../../../upstream/opnsense/alias-names";
import { isIPv4 } from "../../shared/net";
import { descriptionProblem, type Failure } from "../model";

/** Aliases every OPNsense has (static_aliases/core.json): a name we must not take over. */
const BUILTIN_ALIAS_NAMES = new Set(["bogons", "bogonsv6", "sshlockout", "virusprot"]);

export interface AliasSpec {
  /** The natural key. */
  name: string;
  /** The member devices' reserved IPs, sorted. */
  content: string[];
  /** The member devices' names, sorted. */
  members: string[];
  description: string;
}

/** Why OPNsense would refuse this alias name (AliasNameField, case-sensitive), or undefined. */
export function aliasNameProblem(name: string): string | undefined {
  if (!ALIAS_NAME_PATTERN.test(name)) {
    return "must start with a letter or a single underscore, be at most 31 characters and hold only letters, digits and underscores";
  }
  if (PF_RESERVED_WORDS.has(name)) return "is a reserved pf keyword on OPNsense";
  if (SERVICE_NAMES.has(name) || PROTOCOL_NAMES.has(name)) {
    return "is a service or protocol name on OPNsense (/etc/services, /etc/protocols)";
  }
  if (BUILTIN_ALIAS_NAMES.has(name)) return "is one of OPNsense's built-in aliases";
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
  const description = typeof spec.description === "string" ? descriptionProblem(spec.description) : undefined;
  if (description) failures.push({ property: "description", reason: description });
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
