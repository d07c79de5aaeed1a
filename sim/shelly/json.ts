// Plain JSON documents: the simulator keeps every device document as parsed JSON and edits it in place.

export type Json = null | boolean | number | string | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Merges `patch` into `target` for out-of-band changes: objects key by key, arrays element by element
 * (so `{"relays":[{"name":"x"}]}` renames relay 0 only), anything else replaced. Returns whether anything changed.
 */
export function mergeInto(target: JsonObject | Json[], patch: JsonObject | Json[]): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(patch)) {
    const current = (target as Record<string, Json>)[key];
    if ((isObject(current) && isObject(value)) || (Array.isArray(current) && Array.isArray(value))) {
      changed = mergeInto(current, value) || changed;
    } else if (!deepEqual(current, value)) {
      (target as Record<string, Json>)[key] = structuredClone(value);
      changed = true;
    }
  }
  return changed;
}

/** Reads `a.b.c` from a document; undefined when any step is missing. */
export function getPath(doc: Json | undefined, path: string): Json | undefined {
  let node: Json | undefined = doc;
  for (const key of path.split(".")) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Writes `a.b.c` only where the parent object exists: a capture without that key stays without it. */
export function setPathIfPresent(doc: Json | undefined, path: string, value: Json): void {
  const keys = path.split(".");
  const last = keys.pop() as string;
  const parent = keys.length === 0 ? doc : getPath(doc, keys.join("."));
  if (isObject(parent) && last in parent) parent[last] = value;
}

/** The value when it is a number, else the fallback. */
export const numberOr = (value: Json | undefined, fallback: number): number =>
  typeof value === "number" ? value : fallback;
