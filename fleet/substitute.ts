// `${device}`, `${site}`, `${mac}` and `${mac_suffix}` in string values. `$${` writes a literal
// `${`, which Gen2 webhook URLs use for their own tokens.

export type Substitutions = Record<string, string>;

export const SUBSTITUTION_NAMES = ["device", "site", "mac", "mac_suffix"] as const;

export function substitutionsFor(device: string, site: string, mac: string): Substitutions {
  return { device, site, mac, mac_suffix: mac.slice(-6) };
}

const TOKEN = /\$(\$?)\{([^}]*)\}/g;

/**
 * The value with its substitutions made, strings nested in arrays and tables included;
 * `unknown` collects the names of unknown tokens.
 */
export function substitute(value: unknown, vars: Substitutions, unknown: Set<string>): unknown {
  if (typeof value === "string") {
    if (!value.includes("${")) return value;
    return value.replace(TOKEN, (token, escaped: string, name: string) => {
      if (escaped) return token.slice(1);
      const replacement = vars[name];
      if (replacement === undefined) unknown.add(name);
      return replacement ?? token;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, vars, unknown));
  if (isPlainTable(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars, unknown)]));
  }
  return value;
}

export function unknownSubstitutionMessage(names: Set<string>): string {
  const listed = [...names].map((n) => `\${${n}}`).join(", ");
  const known = SUBSTITUTION_NAMES.map((n) => `\${${n}}`).join(", ");
  return `unknown substitution ${listed} (known: ${known}; write $\${ for a literal \${)`;
}

/** A TOML table (smol-toml makes them without a prototype); not a date. */
function isPlainTable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}
