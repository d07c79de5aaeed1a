// A list or a multi-line text that changed, shown as what was removed and what was added instead
// of two full values: a reviewer sees the one alias or script line that changed, not the forty
// around it that did not.
import { diffArrays, diffLines } from "diff";

export interface ValueDiff {
  /** Items (lines of text) only in the value before, as JSON, in order. */
  removed: string[];
  /** Items (lines) only in the value after. */
  added: string[];
  /** Items (lines) in both. */
  unchanged: number;
  unit: "item" | "line";
}

interface Part {
  added?: boolean;
  removed?: boolean;
  items: string[];
}

function collect(parts: Part[], unit: ValueDiff["unit"]): ValueDiff {
  const diff: ValueDiff = { removed: [], added: [], unchanged: 0, unit };
  for (const part of parts) {
    if (part.added) diff.added.push(...part.items);
    else if (part.removed) diff.removed.push(...part.items);
    else diff.unchanged += part.items.length;
  }
  return diff;
}

const isMultiline = (value: unknown): value is string => typeof value === "string" && /\r?\n/.test(value);

/**
 * The item-by-item (or line-by-line) difference of two lists or of two texts of which one spans
 * lines; undefined for anything else, which reads best as two values.
 */
export function diffValues(before: unknown, after: unknown): ValueDiff | undefined {
  if (Array.isArray(before) && Array.isArray(after)) {
    // Items as JSON: objects (schedules, hooks) compare by value, and show as they read elsewhere.
    const json = (items: unknown[]) => items.map((item) => JSON.stringify(item) ?? "null");
    const parts = diffArrays(json(before), json(after));
    return collect(
      parts.map((p) => ({ added: p.added, removed: p.removed, items: p.value })),
      "item",
    );
  }
  if (
    typeof before === "string" &&
    typeof after === "string" &&
    (isMultiline(before) || isMultiline(after))
  ) {
    // Every line ends in a newline, so that a last line without one still matches itself.
    const ended = (text: string) => (/\n$/.test(text) ? text : `${text}\n`);
    const lines = (text: string) =>
      text
        .replace(/\r?\n$/, "")
        .split(/\r?\n/)
        .map((line) => JSON.stringify(line));
    const parts = diffLines(ended(before), ended(after));
    const diff = collect(
      parts.map((p) => ({ added: p.added, removed: p.removed, items: lines(p.value) })),
      "line",
    );
    // Only the final newline differs: two values say that better.
    return diff.added.length + diff.removed.length > 0 ? diff : undefined;
  }
  return undefined;
}

/** `N items unchanged`, or undefined when nothing was kept. */
export function unchangedNote(diff: ValueDiff): string | undefined {
  if (diff.unchanged === 0) return undefined;
  return `(${diff.unchanged} ${diff.unit}${diff.unchanged === 1 ? "" : "s"} unchanged)`;
}

/** A list item as a reviewer reads it: a plain word or address without its JSON quotes. */
function showItem(item: string, unit: ValueDiff["unit"]): string {
  return unit === "item" && /^"[^\s",\\]+"$/.test(item) ? item.slice(1, -1) : item;
}

/** The added items, each `+item`, and the removed, each `−item`. */
export function signedItems(diff: ValueDiff): { added: string[]; removed: string[] } {
  return {
    added: diff.added.map((item) => `+${showItem(item, diff.unit)}`),
    removed: diff.removed.map((item) => `\u2212${showItem(item, diff.unit)}`),
  };
}

/** One line, as a set difference: `+new, −old (3 items unchanged)`. */
export function formatValueDiff(diff: ValueDiff): string {
  const { added, removed } = signedItems(diff);
  const note = unchangedNote(diff);
  return [[...added, ...removed].join(", "), note].filter((part) => part).join(" ");
}
