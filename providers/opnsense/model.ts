// What the OPNsense resources share in their local checks, as pure functions (API.md §0.6): a MAC
// OPNsense would accept but Kea would choke on must never reach the firewall.
import { isCleartext, normalizeMac } from "../shared/net";

export interface Failure {
  property: string;
  reason: string;
}

/** `AABBCCDDEEFF`, `aa-bb-…`, `aabb.ccdd.eeff` → `aa:bb:cc:dd:ee:ff`, as OPNsense stores it; undefined when not a MAC. */
export function canonicalMac(text: string): string | undefined {
  return normalizeMac(text)?.toLowerCase().match(/../g)?.join(":");
}

export function isCanonicalMac(text: string): boolean {
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(text);
}

/** `backend: …; mac: …`: the failures of a spec in one line, for an error before any write. */
export function describeFailures(failures: Failure[]): string {
  return failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
}

/**
 * Why OPNsense's DescriptionField (alias and Kea reservation descriptions) would refuse this text:
 * no line breaks or control characters, and at most 255 bytes (PHP counts bytes, not characters).
 */
export function descriptionProblem(text: string): string | undefined {
  if (/[\n\r]/.test(text)) return "must be one line (OPNsense refuses line breaks)";
  if (/[\0\v\f]/.test(text)) return "must not hold control characters";
  const bytes = Buffer.byteLength(text);
  if (bytes > 255) return `is ${bytes} bytes in UTF-8; OPNsense allows at most 255`;
  return undefined;
}

/**
 * The stack's OPNsense URL judged before anything runs: an error for `http://` to another machine
 * without the opt-in, and a warning for every run that has it.
 */
export function transportCheck(url: string, allowCleartext: boolean): { error?: string; warning?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { error: "not a URL" };
  }
  if (!isCleartext(parsed)) return {};
  if (!allowCleartext) {
    return {
      error: `http:// sends the API key and secret in clear text; use https:// (README: OPNsense TLS), or set shelly-fleet:opnsense.allowCleartext to true for a lab`,
    };
  }
  return {
    warning: `OPNsense at ${parsed.host} over http:// (shelly-fleet:opnsense.allowCleartext): the API key and secret cross the network readable by anyone on the path`,
  };
}
