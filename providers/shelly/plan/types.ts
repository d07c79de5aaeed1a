// The plan's shapes: what the planner returns and the executor runs. Types only.
import type { DeviceConfig, Generation } from "../model/catalog";
import type { DeviceDocuments, NamedIds } from "../model/normalize";
import type { JsonObject } from "../model/values";

/** One request to a device: a Gen1 GET with query parameters, or a Gen2+ RPC call. */
export type DeviceRequest =
  | { kind: "gen1"; path: string; params: Record<string, string | number | boolean | string[]> }
  | { kind: "gen2"; method: string; params: JsonObject };

export interface FieldChange {
  key: string;
  from: unknown;
  to: unknown;
  secret: boolean;
  /** `switch[0].initial_state: "off" → "restore_last"`, never a secret's value. */
  line: string;
}

export interface PlanStep {
  /** What it writes, for logs and records: `Switch.SetConfig switch:0`, `GET /settings/relay/0`. */
  title: string;
  order: number;
  request: DeviceRequest;
  changes: FieldChange[];
  /** Restores the pre-image; absent when nothing can (a firmware install). */
  undo?: DeviceRequest;
  /** Creates an entry whose id the device assigns: its undo is a delete of that id. */
  creates?: "schedule" | "webhook";
  /** Keys whose earlier value cannot be restored (secrets were never readable). */
  unrestorable: string[];
  /** Parameter paths holding secrets, redacted in records. */
  secretParams: string[];
  /** Gen1: the change takes effect only after a reboot (API.md 2.4). */
  needsReboot: boolean;
  /** A firmware install: the executor runs it first, waits for the new version, then plans again. */
  firmware?: { from: string; to: string };
}

export interface Plan {
  device: string;
  generation: Generation;
  steps: PlanStep[];
  changes: FieldChange[];
  /** Problems that stop the plan: nothing is written while there are any. */
  errors: string[];
  /** Gen1: one reboot after the steps. Gen2+ devices say so in `restart_required`. */
  rebootAfter: boolean;
  /** Salted hashes of the secrets as they will be after the plan, to keep in state. */
  secretHashes: Record<string, string>;
  /** Firmware the plan installs, when the pin asks for one. */
  firmwareTarget?: string;
  /** An update the campaign holds back (PlanInput.firmwareHold): not a step, not an error. */
  firmwareHeld?: { from: string; to: string; reason: string };
  /** Schedule and webhook ids by name, with the schedules matched by content this plan. */
  namedIds: NamedIds;
}

export interface PlanInput {
  device: string;
  documents: DeviceDocuments;
  desired: DeviceConfig;
  /** Secret values by reference name, already resolved from stack config or the environment. */
  secrets: Record<string, string>;
  /** Flat key → hash of the secret last written (from state); `hashSecret` makes them. */
  secretHashes: Record<string, string>;
  /** The password the session logged in with: a desired `auth.password` equal to it is set already. */
  loginPassword?: string;
  /** Salt for hashes of newly written secrets. */
  salt: string;
  /** Schedule and webhook ids by name, from state (devices keep no schedule names). */
  namedIds?: NamedIds;
  /** Firmware offered by the device: `{ stable, beta }` versions. */
  availableFirmware?: { stable?: string; beta?: string };
  /** The campaign holds firmware back now, for this reason: an update is reported, not planned. */
  firmwareHold?: string;
}
