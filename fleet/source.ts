// Reading one TOML file: its parsed value, and the line of each key for error messages.
import { parse, TomlError } from "smol-toml";
import type { FleetError } from "./types";

/**
 * A parsed file. Keys are located by their position path: tables joined by ".", elements of
 * arrays by `[i]` (`switch[0].name`), the form ajv's instance paths and the merge both produce.
 */
export interface SourceFile {
  /** Path relative to the fleet root, with "/" separators: what errors print. */
  file: string;
  data: Record<string, unknown>;
  lineOf(positionPath: string): number | undefined;
}

export function parseSource(file: string, text: string): SourceFile | FleetError {
  let data: Record<string, unknown>;
  try {
    data = parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const message = err.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? err.message;
    return { file, keyPath: "", line: err.line, message: `malformed TOML: ${message}` };
  }
  const lines = indexLines(text);
  return {
    file,
    data,
    lineOf(positionPath) {
      // Keys inside inline tables and arrays have no line of their own: use the enclosing key's.
      for (let path = positionPath; path !== ""; path = parentPath(path)) {
        const line = lines.get(path);
        if (line !== undefined) return line;
      }
      return undefined;
    },
  };
}

function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf("."), path.endsWith("]") ? path.lastIndexOf("[") : -1);
  return cut > 0 ? path.slice(0, cut) : "";
}

const BARE_OR_QUOTED = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const DOTTED_KEY = String.raw`${BARE_OR_QUOTED}(?:\s*\.\s*${BARE_OR_QUOTED})*`;
const ARRAY_HEADER = new RegExp(String.raw`^\[\[\s*(${DOTTED_KEY})\s*\]\]`);
const TABLE_HEADER = new RegExp(String.raw`^\[\s*(${DOTTED_KEY})\s*\]`);
const KEY_LINE = new RegExp(String.raw`^(${DOTTED_KEY})\s*=`);
const KEY_PART = new RegExp(BARE_OR_QUOTED, "g");

export function splitDottedKey(key: string): string[] {
  return (key.match(KEY_PART) ?? []).map((part) =>
    part.startsWith('"') ? (JSON.parse(part) as string) : part.startsWith("'") ? part.slice(1, -1) : part,
  );
}

/** The first line of every key and table header, by position path. A line scan, best effort. */
function indexLines(text: string): Map<string, number> {
  const index = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let table = "";
  let inMultilineString = false;
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    const wasInString = inMultilineString;
    if (((raw.match(/"""|'''/g) ?? []).length & 1) === 1) inMultilineString = !inMultilineString;
    if (wasInString || line === "" || line.startsWith("#")) continue;
    let match = ARRAY_HEADER.exec(line);
    if (match) {
      const base = splitDottedKey(match[1] ?? "").join(".");
      const n = arrayCounts.get(base) ?? 0;
      arrayCounts.set(base, n + 1);
      table = `${base}[${n}]`;
      if (!index.has(base)) index.set(base, i + 1);
      index.set(table, i + 1);
      continue;
    }
    match = TABLE_HEADER.exec(line);
    if (match) {
      table = splitDottedKey(match[1] ?? "").join(".");
      if (!index.has(table)) index.set(table, i + 1);
      continue;
    }
    match = KEY_LINE.exec(line);
    if (match) {
      // A dotted key (`wifi.sta.ssid = ...`) also defines each of its tables on this line.
      let path = table;
      for (const part of splitDottedKey(match[1] ?? "")) {
        path = path === "" ? part : `${path}.${part}`;
        if (!index.has(path)) index.set(path, i + 1);
      }
    }
  }
  return index;
}
