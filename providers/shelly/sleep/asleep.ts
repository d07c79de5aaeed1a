// A sleeping device in the lifecycle: not answering is its normal state, never a failure. A read
// keeps its last known state, overlaid with what its last wake applied (records.ts); an apply
// records the changes for its next wake instead of failing.
import type { ShellyError } from "../client";
import type { ShellyDeviceInputs, ShellyDeviceOutputs } from "../lifecycle";
import { flattenDesired } from "../model/normalize";
import { jsonEqual } from "../model/values";
import { faultLine } from "../reachability";
import { readApplied, readPending, writePending } from "./records";

/** The wake the outputs last took in: when, and what it wrote. */
export interface LastWake {
  appliedAt: string;
  steps: { title: string; changes: string[] }[];
}

/** Changes recorded by `up` for the next wake. */
export interface PendingChanges {
  keys: string[];
  since: string;
}

const later = (a: string | undefined, b: string | undefined) => ((a ?? "") > (b ?? "") ? a : b);

/** Refresh of a sleeping device that did not answer. */
export function readAsleep(
  journalDir: string,
  props: ShellyDeviceOutputs,
  err: ShellyError,
  now: Date = new Date(),
): ShellyDeviceOutputs {
  const outputs: ShellyDeviceOutputs = {
    ...props,
    asleep: { reason: faultLine(err), since: props.asleep?.since ?? now.toISOString() },
  };
  delete outputs.pending;
  const applied = readApplied(journalDir, props.site, props.mac);
  const knownAt = later(props.lastApply?.startedAt, props.lastWake?.appliedAt);
  if (applied && applied.mac === props.mac && applied.appliedAt > (knownAt ?? "")) {
    Object.assign(outputs, {
      observed: applied.observed,
      namedIds: applied.namedIds,
      firmware: applied.firmware || props.firmware,
      model: applied.model || props.model,
      lastWake: { appliedAt: applied.appliedAt, steps: applied.steps },
    });
    if (applied.revision) outputs.revision = applied.revision;
    else delete outputs.revision;
  }
  const pending = readPending(journalDir, props.site, props.mac);
  if (pending && pending.recordedAt > (outputs.lastWake?.appliedAt ?? "")) {
    outputs.pending = { keys: pending.keys, since: pending.recordedAt };
  }
  return outputs;
}

/** `up` for a sleeping device that did not answer: its changes wait for its next wake. */
export function waitForWake(
  journalDir: string,
  inputs: ShellyDeviceInputs,
  previous: ShellyDeviceOutputs | undefined,
  err: ShellyError,
  now: Date = new Date(),
): ShellyDeviceOutputs {
  const observed = previous ? (previous.observed ?? previous.desired) : {};
  const before = flattenDesired(observed);
  const keys = [...flattenDesired(inputs.desired)]
    .filter(([key, value]) => !jsonEqual(before.get(key), value))
    .map(([key]) => key);
  const since = now.toISOString();
  writePending(journalDir, {
    name: inputs.name,
    site: inputs.site,
    mac: inputs.mac,
    desired: inputs.desired,
    namedIds: previous?.namedIds ?? {},
    keys,
    recordedAt: since,
  });
  const { unreachable: _unreachable, ...kept } = previous ?? ({} as Partial<ShellyDeviceOutputs>);
  return {
    ...kept,
    ...inputs,
    generation: previous?.generation ?? "gen2",
    model: previous?.model ?? "",
    firmware: previous?.firmware ?? "",
    observed,
    secretHashes: previous?.secretHashes ?? {},
    namedIds: previous?.namedIds ?? {},
    asleep: { reason: faultLine(err), since: previous?.asleep?.since ?? since },
    pending: { keys, since },
  };
}
