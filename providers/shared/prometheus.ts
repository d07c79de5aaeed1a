// The Prometheus text exposition format (version 0.0.4), written by the provisioner agent's
// /metrics and by `shelly-fleet status --prometheus` for node_exporter's textfile collector.

export type MetricType = "gauge" | "counter" | "untyped";

export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** Appended to the family's name: `_sum`, `_count`, `_bucket`. */
  suffix?: string;
}

export interface MetricFamily {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`, with the unit as its last word (`_seconds`, `_dbm`, `_total`). */
  name: string;
  help: string;
  type: MetricType | "summary" | "histogram";
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and newline; HELP text backslash and newline. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** The families as exposition text; a family without samples still says what it would measure. */
export function formatMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!NAME.test(family.name)) throw new Error(`invalid metric name "${family.name}"`);
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      for (const [label] of labels) {
        if (!LABEL.test(label) || label.startsWith("__")) throw new Error(`invalid label name "${label}"`);
      }
      const labelText =
        labels.length === 0
          ? ""
          : `{${labels.map(([label, value]) => `${label}="${escapeLabelValue(value)}"`).join(",")}}`;
      lines.push(`${family.name}${sample.suffix ?? ""}${labelText} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
