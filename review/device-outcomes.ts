// What happened to each device in one engine run (preview or up), from the engine's events:
// applied, unchanged, unreachable (could not be read or written, skipped) or failed. A fleet always
// has a device that is down, asleep or replaced; the run goes on without it and says so here.
import type { EngineEvent, StepEventStateMetadata } from "@pulumi/pulumi/automation";
import { SKIPPED_MARKER, type Unreachable } from "../providers/shelly/reachability";

export type DeviceOutcomeKind = "applied" | "unchanged" | "unreachable" | "failed" | "asleep";

export interface DeviceOutcome {
  name: string;
  address?: string;
  kind: DeviceOutcomeKind;
  /** For unreachable and failed devices: why, in one line. */
  reason?: string;
  since?: string;
}

const DEVICE_TYPE = /\/shelly:Device$/;
const LEASE_MOVE_TYPE = "pulumi-nodejs:dynamic/shelly:LeaseMove";

/**
 * The device a resource's failure belongs to: a device's own, or its move onto its reservation
 * (`<device>-lease`), whose failure keeps the engine from configuring the device in that run.
 */
function deviceUrnOf(urn: string): string | undefined {
  const parts = urn.split("::");
  const type = parts[2] ?? "";
  if (DEVICE_TYPE.test(type)) return urn;
  const name = nameOf(urn);
  if (!type.endsWith(LEASE_MOVE_TYPE) || !name.endsWith("-lease")) return undefined;
  return [
    ...parts.slice(0, 2),
    type.replace(LEASE_MOVE_TYPE, "pulumi-nodejs:dynamic/shelly:Device"),
    name.slice(0, -6),
  ].join("::");
}
const REPLACEMENT_OPS = new Set(["replace", "create-replacement", "delete-replaced"]);

function nameOf(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** A sleeping device that did not answer: its changes wait for its wake (not a failure). */
function asleepOf(
  state: StepEventStateMetadata | undefined,
): { since: string; pending?: { keys: string[]; since: string } } | undefined {
  const value = state?.outputs?.asleep as { since?: unknown } | undefined;
  if (!value || typeof value.since !== "string") return undefined;
  const pending = state?.outputs?.pending as { keys: string[]; since: string } | undefined;
  return { since: value.since, ...(Array.isArray(pending?.keys) && { pending }) };
}

function unreachableOf(state: StepEventStateMetadata | undefined): Unreachable | undefined {
  const value = state?.outputs?.unreachable as Unreachable | undefined;
  return value && typeof value.reason === "string" ? value : undefined;
}

/** Feed it every engine event of one run (`onEvent`), then take the outcomes, ordered by name. */
export class DeviceOutcomeCollector {
  private readonly devices = new Map<string, DeviceOutcome>();

  private device(urn: string): DeviceOutcome {
    let outcome = this.devices.get(urn);
    if (!outcome) {
      outcome = { name: nameOf(urn), kind: "unchanged" };
      this.devices.set(urn, outcome);
    }
    return outcome;
  }

  readonly onEvent = (event: EngineEvent): void => {
    const step = event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata;
    if (step && DEVICE_TYPE.test(step.type)) {
      const outcome = this.device(step.urn);
      const state = step.new ?? step.old;
      const address = state?.inputs?.address ?? state?.outputs?.address;
      if (typeof address === "string") outcome.address = address;
      const unreachable =
        unreachableOf(step.new) ?? (step.op === "refresh" ? undefined : unreachableOf(step.old));
      const asleepNow = asleepOf(step.new) ?? (step.op === "refresh" ? undefined : asleepOf(step.old));
      if (REPLACEMENT_OPS.has(step.op)) {
        // A replaced device (a new MAC in its file): the old one not answering is the point.
        if (outcome.kind === "unreachable") {
          outcome.kind = "unchanged";
          delete outcome.reason;
          delete outcome.since;
        }
      } else if (
        asleepNow &&
        outcome.kind !== "failed" &&
        !(step.op === "same" && outcome.kind === "asleep")
      ) {
        // A "same" step repeats the state from before the refresh (the refresh said it already):
        // its pending list is stale.
        const pending = step.op === "same" ? undefined : asleepNow.pending;
        outcome.kind = "asleep";
        outcome.since = asleepNow.since;
        if (pending)
          outcome.reason = `waits for wake-up: ${pending.keys.join(", ")} (recorded ${pending.since})`;
        else if (step.op === "update" || step.op === "create")
          outcome.reason = "waits for wake-up: up records the changes above, its next wake applies them";
        else outcome.reason = "nothing waiting (state as its last wake left it)";
      } else if (unreachable && outcome.kind !== "failed") {
        Object.assign(outcome, { kind: "unreachable", reason: unreachable.reason, since: unreachable.since });
      } else if (step.op === "refresh" && outcome.kind === "unreachable" && !unreachable) {
        outcome.kind = "unchanged";
      }
      if (event.resOutputsEvent && ["create", "update", "replace", "create-replacement"].includes(step.op)) {
        if (outcome.kind !== "asleep") outcome.kind = "applied";
      }
    }
    const failed = event.resOpFailedEvent?.metadata;
    const failedDevice = failed && deviceUrnOf(failed.urn);
    if (failedDevice) this.device(failedDevice).kind = "failed";
    const diagnostic = event.diagnosticEvent;
    const diagnosedDevice = diagnostic?.urn && deviceUrnOf(diagnostic.urn);
    if (diagnostic && diagnosedDevice && diagnostic.severity === "error") {
      const outcome = this.device(diagnosedDevice);
      const line = diagnostic.message.trim().split("\n")[0] ?? "";
      // The provider's own message, without the engine's prefix.
      const reason = line.replace(/^.*?\b(?=\S+: (?:skipped:|))/, "").trim();
      if (line.includes(SKIPPED_MARKER)) {
        outcome.kind = "unreachable";
        outcome.reason = reason.slice(reason.indexOf(SKIPPED_MARKER) + SKIPPED_MARKER.length).trim();
      } else {
        outcome.kind = "failed";
        outcome.reason ??= reason;
      }
    }
  };

  outcomes(): DeviceOutcome[] {
    return [...this.devices.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

export function countOutcomes(outcomes: DeviceOutcome[]): Record<DeviceOutcomeKind, number> {
  const counts: Record<DeviceOutcomeKind, number> = {
    applied: 0,
    unchanged: 0,
    unreachable: 0,
    failed: 0,
    asleep: 0,
  };
  for (const outcome of outcomes) counts[outcome.kind]++;
  return counts;
}

/** The lines a person reads after a run: devices that need attention, then the counts. */
export function renderOutcomes(outcomes: DeviceOutcome[], run: "preview" | "up"): string {
  const attention = outcomes.filter((o) => o.kind === "unreachable" || o.kind === "failed");
  const lines: string[] = [];
  if (attention.length > 0) {
    lines.push(run === "preview" ? "Devices not checked (last known state used):" : "Devices not applied:");
    for (const o of attention) {
      const where = o.address ? ` (${o.address})` : "";
      const since = o.since ? `; since ${o.since}` : "";
      const what = o.kind === "unreachable" ? "unreachable" : "failed";
      lines.push(`  ! ${o.name}${where}: ${what}: ${o.reason ?? "see the engine's output above"}${since}`);
    }
  }
  const asleep = outcomes.filter((o) => o.kind === "asleep");
  if (asleep.length > 0) lines.push("Sleeping devices (changes wait for their wake-up):");
  for (const o of asleep) {
    const where = o.address ? ` (${o.address})` : "";
    lines.push(`  ~ ${o.name}${where}: ${o.reason ?? "waits for wake-up"}; asleep since ${o.since ?? "?"}`);
  }
  const counts = countOutcomes(outcomes);
  if (run === "up") {
    const sleeping = counts.asleep > 0 ? `, ${counts.asleep} waiting for wake-up` : "";
    lines.push(
      `Devices: ${counts.applied} applied, ${counts.unchanged} unchanged, ${counts.unreachable} unreachable, ${counts.failed} failed${sleeping}`,
    );
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
