// Values quoted in messages: never a secret typed where a reference belongs, never a whole
// megabyte. A message names the key and the line; the value is only a hint.
/** Keys whose values are secrets, whatever the schema says: password, pass, psk, key, token, … */
const SECRET_KEY = /(^|[_.-])(pass|passwd|password|passphrase|psk|key|apikey|token|secret)s?($|[_.-])/i;

/** Longer strings are cut, with their length. */
const MAX_QUOTED = 80;

export function isSecretKey(keyPath: string): boolean {
  const last =
    keyPath
      .split(/[.[\]]/)
      .filter(Boolean)
      .pop() ?? "";
  return SECRET_KEY.test(last);
}

/** A string quoted for a message: cut to its start and its length when long. */
export function quote(value: string | undefined): string {
  if (value === undefined) return "undefined";
  if (value.length <= MAX_QUOTED) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`;
}

/** A value for a message: "redacted" under a secret key, otherwise its kind or its (cut) text. */
export function describeValue(value: unknown, secret: boolean): string {
  if (typeof value === "string") return secret ? "a string (redacted)" : quote(value);
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") {
    return value.constructor?.name === "TomlDate" ? "a date" : "a table";
  }
  return secret ? `${typeof value} (redacted)` : String(value);
}
