// Where the CPU of a bench run goes: the V8 profiles that `--cpu-prof` makes Node write for each
// process (the shelly-fleet command and the dynamic-provider hosts), summed by package or by
// shelly-fleet's own top-level directory. The engine (Go) is not profiled: its CPU seconds come
// from /proc (measure.ts).
import * as fs from "node:fs";
import * as path from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

/** The parts of a `.cpuprofile` (Chrome DevTools' format) read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds before each sample. */
  timeDeltas: number[];
}

export type ProfileRole = "cli" | "provider" | "other";

export interface ProfileSummary {
  role: ProfileRole;
  /** CPU time sampled, idle excluded. */
  ms: number;
  /** Self time by bucket, largest first. */
  buckets: { name: string; ms: number }[];
}

/** The bucket a function's time counts in: a package, a directory of shelly-fleet, or V8's own. */
export function bucketOf(frame: CallFrame): string | undefined {
  const { url, functionName } = frame;
  if (url === "") {
    if (functionName === "(idle)") return undefined;
    if (functionName === "(garbage collector)") return "garbage collection";
    return "V8 and native code";
  }
  // node:internal/http2/core → node http2 (the gRPC transport), node:events → node events.
  if (url.startsWith("node:")) return `node ${url.replace(/^node:(internal\/)?/, "").split("/")[0]}`;
  const file = url.replace(/^file:\/\//, "");
  const modules = file.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const parts = file.slice(modules + "/node_modules/".length).split("/");
    const name = parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
    // The SDK is most of it: its runtime (resource registration, RPC) apart from its outputs.
    if (name === "@pulumi/pulumi") {
      const inner = parts[2] ?? "";
      return `@pulumi/pulumi ${/\.js$/.test(inner) ? inner.replace(/\.js$/, "") : `${inner}/`}`;
    }
    return name;
  }
  const dist = file.lastIndexOf("/dist/");
  if (dist >= 0) {
    const parts = file.slice(dist + "/dist/".length).split("/");
    return `shelly-fleet ${parts.length > 1 ? `${parts[0]}/` : parts[0]}`;
  }
  return path.basename(file);
}

/** Which process wrote the profile: the dynamic-provider host, or the shelly-fleet command. */
function roleOf(profile: CpuProfile): ProfileRole {
  const urls = profile.nodes.map((node) => node.callFrame.url);
  if (urls.some((url) => url.includes("cmd/dynamic-provider"))) return "provider";
  if (urls.some((url) => /dist\/cli\/main\.js$/.test(url))) return "cli";
  return "other";
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const bucketOfNode = new Map(profile.nodes.map((node) => [node.id, bucketOf(node.callFrame)]));
  const us = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const bucket = bucketOfNode.get(id);
    if (bucket === undefined) return;
    us.set(bucket, (us.get(bucket) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const buckets = [...us].map(([name, micros]) => ({ name, ms: micros / 1000 })).sort((a, b) => b.ms - a.ms);
  return { role: roleOf(profile), ms: buckets.reduce((sum, b) => sum + b.ms, 0), buckets };
}

/** Every profile in `dir`, summed by role (several provider hosts count as one). */
export function summarizeProfiles(dir: string): ProfileSummary[] {
  const byRole = new Map<ProfileRole, Map<string, number>>();
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith(".cpuprofile"))) {
    const summary = summarizeProfile(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as CpuProfile);
    const buckets = byRole.get(summary.role) ?? new Map<string, number>();
    for (const { name, ms } of summary.buckets) buckets.set(name, (buckets.get(name) ?? 0) + ms);
    byRole.set(summary.role, buckets);
  }
  return (["cli", "provider"] as const).flatMap((role) => {
    const buckets = byRole.get(role);
    if (!buckets) return [];
    const sorted = [...buckets].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
    return [{ role, ms: sorted.reduce((sum, b) => sum + b.ms, 0), buckets: sorted }];
  });
}

/** One line per process role: its sampled CPU, then its largest buckets with their shares. */
export function renderProfileLine(summary: ProfileSummary, top = 6): string {
  const share = (ms: number) => `${Math.round((ms / summary.ms) * 100)} %`;
  const parts = summary.buckets.slice(0, top).map((b) => `${b.name} ${share(b.ms)}`);
  return `${summary.role} ${(summary.ms / 1000).toFixed(1)} s: ${parts.join(", ")}`;
}
