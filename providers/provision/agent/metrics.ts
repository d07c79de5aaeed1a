// The agent's /metrics: what its queue, its registry and its refusals look like now, in the
// Prometheus text format. Tasks and heartbeats come from the store (they survive restarts);
// refusals are counted since the process started, as Prometheus counters are.
import { formatMetrics, type MetricFamily } from "../../shared/prometheus";
import type { TaskState } from "./protocol";
import type { AgentStore } from "./store";

const STATES: readonly TaskState[] = ["queued", "running", "succeeded", "failed"];

/** A provisioning run takes tens of seconds to a few minutes (joining an AP, a reboot or two). */
const DURATION_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600];

/** Refusals by the HTTP status they were answered with; a status not named here is "other". */
const REFUSAL_REASONS: Readonly<Record<number, string>> = {
  400: "bad_request",
  401: "unauthorized",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "too_large",
  429: "rate_limited",
};

export class RefusalCounter {
  private readonly counts = new Map<string, number>(
    [...Object.values(REFUSAL_REASONS), "other"].map((reason) => [reason, 0]),
  );

  count(status: number): void {
    const reason = REFUSAL_REASONS[status] ?? "other";
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  entries(): [string, number][] {
    return [...this.counts];
  }
}

export function agentMetricsText(
  store: AgentStore,
  refusals: RefusalCounter,
  expiryMs: number,
  now = Date.now(),
): string {
  const tasks = store.list();
  const agents = store.agents(expiryMs, now);
  const byResult = new Map<string, number[]>([
    ["succeeded", []],
    ["failed", []],
  ]);
  for (const task of tasks) {
    // A task interrupted by a restart has no meaningful duration: its end is the next start.
    if (task.startedAt === undefined || task.finishedAt === undefined) continue;
    const seconds = (Date.parse(task.finishedAt) - Date.parse(task.startedAt)) / 1000;
    byResult.get(task.state)?.push(seconds);
  }
  const families: MetricFamily[] = [
    {
      name: "shelly_fleet_provisioner_tasks",
      help: "Tasks in this agent's queue by state (ended ones included).",
      type: "gauge",
      samples: STATES.map((state) => ({
        labels: { state },
        value: tasks.filter((t) => t.state === state).length,
      })),
    },
    {
      name: "shelly_fleet_provisioner_task_duration_seconds",
      help: "Seconds from a task's start to its end, by result.",
      type: "histogram",
      samples: [...byResult].flatMap(([result, durations]) => [
        ...[...DURATION_BUCKETS, Number.POSITIVE_INFINITY].map((le) => ({
          suffix: "_bucket",
          labels: { result, le: le === Number.POSITIVE_INFINITY ? "+Inf" : String(le) },
          value: durations.filter((d) => d <= le).length,
        })),
        { suffix: "_sum", labels: { result }, value: durations.reduce((a, b) => a + b, 0) },
        { suffix: "_count", labels: { result }, value: durations.length },
      ]),
    },
    {
      name: "shelly_fleet_provisioner_agent_heartbeat_age_seconds",
      help: "Seconds since each registered agent's last heartbeat.",
      type: "gauge",
      samples: agents.map((a) => ({
        labels: { agent: a.name },
        value: Math.max(0, (now - Date.parse(a.lastContact)) / 1000),
      })),
    },
    {
      name: "shelly_fleet_provisioner_agent_up",
      help: "1 while an agent's last heartbeat is younger than the expiry (3 heartbeats), else 0.",
      type: "gauge",
      samples: agents.map((a) => ({ labels: { agent: a.name }, value: a.alive ? 1 : 0 })),
    },
    {
      name: "shelly_fleet_provisioner_refusals_total",
      help: "Requests refused since the agent started, by reason.",
      type: "counter",
      samples: refusals.entries().map(([reason, value]) => ({ labels: { reason }, value })),
    },
  ];
  return formatMetrics(families);
}
