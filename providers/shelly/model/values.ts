// Small, pure helpers for the plain JSON documents devices return.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a dotted path (`location.tz`), or undefined where any step is missing. */
export function getPath(doc: unknown, path: string): unknown {
  let node: unknown = doc;
  for (const key of path.split(".")) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Sets a dotted path in a nested object, creating the intermediate objects. */
export function setPath(doc: JsonObject, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = doc;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!isObject(next)) node[key] = {};
    node = node[key] as JsonObject;
  }
  node[keys[keys.length - 1] as string] = value;
}

/** Structural equality for JSON values; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!jsonEqual(a[key], b[key])) return false;
    return true;
  }
  return false;
}

/** A value for a one-line human message: strings quoted, the rest as JSON. */
export function show(value: unknown): string {
  if (value === undefined) return "(unset)";
  return JSON.stringify(value);
}
