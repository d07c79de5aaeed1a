// A strict reader of the Prometheus text exposition format (0.0.4), for the tests of status's
// textfile and the provisioner agent's /metrics.
import { expect } from "vitest";

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The sample names a family of this type may write, from its own name. */
function namesOf(family: string, type: string): string[] {
  if (type === "histogram") return [`${family}_bucket`, `${family}_sum`, `${family}_count`];
  if (type === "summary") return [family, `${family}_sum`, `${family}_count`];
  return [family];
}

/** Every line a HELP or TYPE comment or a sample of a family already typed; the text ends in a newline. */
export function parseExposition(text: string): ParsedSample[] {
  expect(text.endsWith("\n")).toBe(true);
  const typed = new Set<string>();
  const allowed = new Set<string>();
  const samples: ParsedSample[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment) {
      if (comment[1] === "TYPE") {
        const [, , family, type] = comment as unknown as [string, string, string, string];
        expect(["gauge", "counter", "untyped", "summary", "histogram"]).toContain(type);
        expect(typed.has(family), `TYPE twice for ${family}`).toBe(false);
        typed.add(family);
        for (const name of namesOf(family, type)) allowed.add(name);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/.exec(line);
    expect(sample, `not a sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    const body = sample?.[2] ?? "";
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
    for (let at = 0; at < body.length; ) {
      label.lastIndex = at;
      const match = label.exec(body);
      if (match === null) throw new Error(`bad labels: ${body}`);
      labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
      at = label.lastIndex;
    }
    expect(allowed.has(sample?.[1] as string), `sample before its TYPE: ${line}`).toBe(true);
    samples.push({ name: sample?.[1] as string, labels, value: Number(sample?.[3]) });
  }
  return samples;
}
