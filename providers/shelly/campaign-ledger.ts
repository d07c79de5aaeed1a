// The campaign ledger: each campaign device's latest firmware outcome, one small JSON file per site
// beside the apply journal (`<journalDir>/<site>.firmware.json`). The stop rule and the pause read
// it; every firmware install writes it.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Ledger, LedgerEntry } from "./plan/campaign";

export function ledgerFile(dir: string, site: string): string {
  return path.join(dir, `${site}.firmware.json`);
}

/** The ledger; empty when there is none (or it cannot be read as one). */
export function readLedger(dir: string, site: string): Ledger {
  try {
    const data = JSON.parse(fs.readFileSync(ledgerFile(dir, site), "utf8")) as unknown;
    return data && typeof data === "object" && !Array.isArray(data) ? (data as Ledger) : {};
  } catch {
    return {};
  }
}

/** Records one device's outcome (replacing its earlier one); written whole, then renamed into place. */
export function recordOutcome(dir: string, site: string, device: string, entry: LedgerEntry): void {
  const ledger = { ...readLedger(dir, site), [device]: entry };
  fs.mkdirSync(dir, { recursive: true });
  const file = ledgerFile(dir, site);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(ledger, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}
