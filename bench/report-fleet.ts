// A generated multi-site fleet for the report's tests and benchmark: the files (every device
// valid), and what a stack state, a preview and a live read would add, every state represented.
// Deterministic: device i of a site always gets the same model, network, state and findings.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ReportApplied, ReportLive } from "../report";
import type { StackPreview } from "../review/preview-changes";

export const REPORT_SITES = ["north", "south", "east", "west", "lab"] as const;

const MODELS = [
  { model: "SHSW-1", generation: 1, profile: "mqtt", firmware: "20230913-112003/v1.14.0-gcb84623" },
  { model: "SHPLG-S", generation: 1, profile: "mqtt", firmware: "20221027-091427/v1.12.1-ga9117d3" },
  { model: "SNSW-001P16EU", generation: 2, profile: "plus", firmware: "20241011-114455/1.4.4-g6d2a586" },
  { model: "SPSW-104PE16EU", generation: 2, profile: "plus", firmware: "20240625-122901/1.3.3-gbdfd9b3" },
  { model: "S4SW-001X8EU", generation: 4, profile: "plus", firmware: "20250115-104822/1.5.0-g0087a06" },
] as const;

function write(root: string, relative: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  fs.writeFileSync(path.join(root, relative), text);
}

/** The MAC of device `d` of site index `s`: 12 upper-case hex digits. */
export function reportFleetMac(s: number, d: number): string {
  return `C0FFEE${((s << 12) | d).toString(16).toUpperCase().padStart(6, "0")}`;
}

/** The profiles of the repository (copied) and `perSite` devices at each of `sites` sites. */
export function writeReportFleet(
  root: string,
  repoRoot: string,
  perSite: number,
  sites = REPORT_SITES.length,
): void {
  for (const file of fs.readdirSync(path.join(repoRoot, "profiles")).filter((f) => f.endsWith(".toml"))) {
    fs.mkdirSync(path.join(root, "profiles"), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, "profiles", file), path.join(root, "profiles", file));
  }
  for (let s = 0; s < sites; s++) {
    const site = REPORT_SITES[s] as string;
    write(
      root,
      `devices/${site}/site.toml`,
      `subnet = "10.${s}.0.0/16"\ndhcp_pool = { start = "10.${s}.200.1", end = "10.${s}.200.250" }\n` +
        `dhcp_backend = "kea"\nprofiles = ["base"]\n`,
    );
    for (let d = 0; d < perSite; d++) {
      const spec = MODELS[d % MODELS.length] as (typeof MODELS)[number];
      const aliases = ["shelly", ...(d % 4 === 0 ? ["outdoor"] : []), ...(d % 3 === 0 ? ["lights"] : [])];
      const dynamic = d % 10 === 9;
      const room = ["hall", "kitchen", "garage", "office"][d % 4] as string;
      write(
        root,
        `devices/${site}/${site}-${spec.model.toLowerCase()}-${d}.toml`,
        `mac = "${reportFleetMac(s, d)}"\naddress = "10.${s}.${1 + (d >> 8)}.${d % 256}"\n` +
          `profiles = ["${spec.profile}"]\ntags = ["${room}"]\n` +
          `expect = { generation = ${spec.generation}, model = "${spec.model}" }\n` +
          (dynamic
            ? ""
            : `\n[network]\nip = "10.${s}.${1 + (d >> 8)}.${d % 256}"\naliases = ${JSON.stringify(aliases)}\n`) +
          `\n[device]\nname = "${room} ${d}"\n`,
      );
    }
  }
}

/** What a state, a preview and a live read say of the generated fleet (device index rules below). */
export function reportFleetFindings(
  perSite: number,
  sites = REPORT_SITES.length,
): { applied: Map<string, ReportApplied>; previews: StackPreview[]; live: Map<string, ReportLive> } {
  const applied = new Map<string, ReportApplied>();
  const live = new Map<string, ReportLive>();
  const previews: StackPreview[] = [];
  for (let s = 0; s < sites; s++) {
    const site = REPORT_SITES[s] as string;
    const preview: StackPreview = { stack: site, changes: [], configChanges: [], diagnostics: [] };
    for (let d = 0; d < perSite; d++) {
      const spec = MODELS[d % MODELS.length] as (typeof MODELS)[number];
      const name = `${site}-${spec.model.toLowerCase()}-${d}`;
      const room = ["hall", "kitchen", "garage", "office"][d % 4] as string;
      // Never applied: pending.
      if (d % 25 !== 24) {
        applied.set(reportFleetMac(s, d), {
          lastApply: {
            at: `2025-06-${String(1 + (d % 28)).padStart(2, "0")}T08:${String(d % 60).padStart(2, "0")}:00.000Z`,
            result: d % 50 === 7 ? "rolled back" : "ok",
          },
          model: spec.model,
          firmware: spec.firmware,
        });
      }
      if (d % 20 === 3) {
        preview.changes.push({
          kind: "device",
          op: "update",
          name,
          urn: `urn:pulumi:${site}::shelly-fleet::pulumi-nodejs:dynamic/shelly:Device::${name}`,
          fields: [
            { key: "device.name", before: "renamed by hand", after: `${room} ${d}` },
            { key: "mqtt.enable", before: false, after: true },
          ],
          risks: [],
        });
      }
      live.set(
        `${site}/${name}`,
        d % 40 === 11
          ? { reachable: false, problem: "timed out after 3000 ms" }
          : { reachable: true, model: spec.model, firmware: spec.firmware },
      );
    }
    previews.push(preview);
  }
  return { applied, previews, live };
}
