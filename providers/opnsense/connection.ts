// The firewall connection the OPNsense resources share in one provider process: the client, from
// stack config (never from the state), with its lists searched once per run (cacheReads), and one
// ApplyCoordinator, so that all resources of an apply share one backup and one reconfigure per service.

import * as fs from "node:fs";
import { startRunGuard } from "../shared/run-guard";
import { ApplyCoordinator, DEFAULT_APPLY_OPTIONS, OpnsenseApplyError } from "./apply";
import { OpnsenseClient, OpnsenseError } from "./client";

interface Settings {
  url?: string;
  key?: string;
  secret?: string;
  caFile?: string;
  serverName?: string;
  certificateSha256?: string;
  allowCleartext?: boolean;
}

let settings: Settings = {};
let client: OpnsenseClient | undefined;
let coordinator = new ApplyCoordinator(opnsense);

/** Called once per provider with the whole stack config (decrypted). */
export function configure(get: (key: string) => string | undefined): void {
  // The firewall gets no write once the run is gone: the process exits (shared/run-guard.ts).
  startRunGuard();
  settings = {
    url: get("shelly-fleet:opnsense.url"),
    key: get("shelly-fleet:opnsense.key"),
    secret: get("shelly-fleet:opnsense.secret"),
    caFile: get("shelly-fleet:opnsense.caFile"),
    serverName: get("shelly-fleet:opnsense.serverName"),
    certificateSha256: get("shelly-fleet:opnsense.certificateSha256"),
    allowCleartext: get("shelly-fleet:opnsense.allowCleartext") === "true",
  };
  client = undefined;
  const backupDir = get("shelly-fleet:opnsense.backupDir");
  // One coordinator per process: every resource of the apply shares its backup and batches.
  if (backupDir && backupDir !== coordinator.options.backupDir) {
    coordinator = new ApplyCoordinator(opnsense, { ...DEFAULT_APPLY_OPTIONS, backupDir });
  }
}

/** The process's coordinator: every write goes through it (backup first, batched reconfigure). */
export function applyCoordinator(): ApplyCoordinator {
  return coordinator;
}

export function opnsense(): OpnsenseClient {
  if (client) return client;
  const missing = (["url", "key", "secret"] as const).filter((k) => !settings[k]);
  if (missing.length > 0) {
    throw new Error(
      `OPNsense: stack config ${missing.map((k) => `shelly-fleet:opnsense.${k}`).join(", ")} is not set (the secret with --secret)`,
    );
  }
  let ca: string | undefined;
  if (settings.caFile) {
    try {
      ca = fs.readFileSync(settings.caFile, "utf8");
    } catch (error) {
      throw new Error(
        `OPNsense: opnsense.caFile ${settings.caFile}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
  }
  client = new OpnsenseClient(
    {
      url: settings.url as string,
      key: settings.key as string,
      secret: settings.secret as string,
      ...(ca !== undefined && { ca }),
      ...(settings.serverName && { serverName: settings.serverName }),
      ...(settings.certificateSha256 && { certificateSha256: settings.certificateSha256 }),
      allowCleartext: settings.allowCleartext ?? false,
    },
    { cacheReads: true },
  );
  return client;
}

/** The client's errors already name the firewall and the call; this adds the object. */
export function failWith(object: string, error: unknown): never {
  if (error instanceof OpnsenseApplyError) throw new Error(`${object}: ${error.message}`);
  if (error instanceof OpnsenseError) throw new Error(`${object}: ${error.message}`);
  throw error;
}
