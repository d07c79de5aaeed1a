// What waits for a sleeping device and what its last wake applied: two small JSON files per
// device beside the apply journal, `<journal>/wake/<site>/<MAC>.pending.json` (written by `up`)
// and `<MAC>.applied.json` (written by the wake listener). The provider's read consults the
// second, so the next preview knows what the device got without reading it while it sleeps.
import * as fs from "node:fs";
import * as path from "node:path";
import type { DeviceConfig } from "../model/catalog";
import type { NamedIds } from "../model/normalize";
import type { ConfigRevision } from "../session";

/** Kept in a sleeping device's outputs while it sleeps (instead of `unreachable`). */
export interface Asleep {
  /** One line: why it did not answer now. */
  reason: string;
  since: string;
}

/** `up` for a sleeping device that did not answer: the changes its next wake applies. */
export interface PendingRecord {
  name: string;
  site: string;
  mac: string;
  desired: DeviceConfig;
  namedIds: NamedIds;
  /** The keys that differ from what the device last showed, as flat keys. */
  keys: string[];
  recordedAt: string;
}

/** What the wake listener applied, and the managed keys as the device showed them afterwards. */
export interface AppliedRecord {
  name: string;
  site: string;
  mac: string;
  appliedAt: string;
  /** Each write: its title and change lines (no request, no secret). */
  steps: { title: string; changes: string[] }[];
  observed: DeviceConfig;
  namedIds: NamedIds;
  revision?: ConfigRevision;
  firmware: string;
  model: string;
}

export function wakeDir(journalDir: string, site: string): string {
  return path.join(journalDir, "wake", site);
}

function file(journalDir: string, site: string, mac: string, kind: "pending" | "applied"): string {
  return path.join(wakeDir(journalDir, site), `${mac}.${kind}.json`);
}

function readJson<T>(name: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(name, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Written whole to a temporary file, then renamed: a reader never sees half a record. */
function writeJson(name: string, value: unknown): void {
  fs.mkdirSync(path.dirname(name), { recursive: true });
  const temporary = `${name}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temporary, name);
}

export function writePending(journalDir: string, record: PendingRecord): void {
  writeJson(file(journalDir, record.site, record.mac, "pending"), record);
}

export function readPending(journalDir: string, site: string, mac: string): PendingRecord | undefined {
  return readJson<PendingRecord>(file(journalDir, site, mac, "pending"));
}

/** The pending record for this MAC in any site (the listener serves every site of the journal). */
export function findPending(journalDir: string, mac: string): PendingRecord | undefined {
  let sites: string[];
  try {
    sites = fs.readdirSync(path.join(journalDir, "wake"));
  } catch {
    return undefined;
  }
  for (const site of sites.sort()) {
    const record = readPending(journalDir, site, mac);
    if (record?.mac === mac) return record;
  }
  return undefined;
}

export function clearPending(journalDir: string, site: string, mac: string): void {
  fs.rmSync(file(journalDir, site, mac, "pending"), { force: true });
}

export function writeApplied(journalDir: string, record: AppliedRecord): void {
  writeJson(file(journalDir, record.site, record.mac, "applied"), record);
}

export function readApplied(journalDir: string, site: string, mac: string): AppliedRecord | undefined {
  return readJson<AppliedRecord>(file(journalDir, site, mac, "applied"));
}
