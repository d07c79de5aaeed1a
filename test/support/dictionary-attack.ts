// What an attacker holding a state file or a CI artifact could verify with a dictionary: every
// string in the documents is tried against each known password, in every form this project or
// a device has ever derived from one (plain, SHA-256, the salted `v1$<salt>$<hex>` fingerprint,
// Gen2+'s digest HA1). A hit names where it was found.
import { createHash } from "node:crypto";

const SECRET_KEYS = [
  "auth.password",
  "wifi.sta.password",
  "wifi.sta1.password",
  "wifi.ap.password",
  "mqtt.password",
];
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function strings(value: unknown, at: string, out: [string, string][]): [string, string][] {
  if (typeof value === "string") out.push([at, value]);
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) strings(item, `${at}[${i}]`, out);
  } else if (value && typeof value === "object")
    for (const [key, item] of Object.entries(value)) strings(item, `${at}.${key}`, out);
  return out;
}

/** `documents`: name → parsed JSON (or raw text). Returns "where: what" per verifiable value. */
export function verifiableSecrets(documents: Record<string, unknown>, passwords: string[]): string[] {
  const found: string[] = [];
  const all = Object.entries(documents).flatMap(([name, doc]) => strings(doc, name, []));
  // Device ids (Gen2+ realms) an attacker reads from the same documents.
  const realms = new Set(
    all.map(([, text]) => text).filter((text) => /^shelly[a-z0-9]+-[0-9a-f]{12}$/i.test(text)),
  );
  for (const [at, text] of all) {
    for (const password of passwords) {
      if (text.includes(password)) found.push(`${at}: the password itself`);
      if (text === sha256(password)) found.push(`${at}: sha256 of a password`);
      const fingerprint = /^v1\$([^$]+)\$([0-9a-f]{64})$/.exec(text);
      if (
        fingerprint &&
        SECRET_KEYS.some((key) => sha256(`${fingerprint[1]}\0${key}\0${password}`) === fingerprint[2])
      )
        found.push(`${at}: salted fingerprint of a password`);
      for (const realm of realms)
        if (text === sha256(`admin:${realm}:${password}`)) found.push(`${at}: digest HA1 of a password`);
    }
  }
  return found;
}
