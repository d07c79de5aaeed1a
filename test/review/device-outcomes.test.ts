// The per-device summary of a run, from the engine's events in the shape the Automation API
// delivers them: unreachable on refresh, skipped on apply, failed, applied, and a replacement,
// where the old device not answering is expected and never listed.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, test } from "vitest";
import { DeviceOutcomeCollector, renderOutcomes } from "../../review/device-outcomes";

const TYPE = "pulumi-nodejs:dynamic/shelly:Device";
const urn = (name: string) => `urn:pulumi:site::shelly-fleet::${TYPE}::${name}`;
const UNREACHABLE = { reason: "no answer within 1500 ms", since: "2026-12-01T10:00:00.000Z" };

function step(
  kind: "resourcePreEvent" | "resOutputsEvent",
  name: string,
  op: string,
  states: { old?: Record<string, unknown>; new?: Record<string, unknown> },
): EngineEvent {
  const state = (outputs: Record<string, unknown> | undefined) =>
    outputs && { type: TYPE, urn: urn(name), inputs: { address: `127.0.0.1:${name.length}` }, outputs };
  const metadata = { op, urn: urn(name), type: TYPE, old: state(states.old), new: state(states.new) };
  return { sequence: 0, timestamp: 0, [kind]: { metadata } } as unknown as EngineEvent;
}

const diagnostic = (name: string, message: string): EngineEvent =>
  ({
    sequence: 0,
    timestamp: 0,
    diagnosticEvent: { urn: urn(name), message, severity: "error" },
  }) as unknown as EngineEvent;

function collect(events: EngineEvent[]) {
  const collector = new DeviceOutcomeCollector();
  for (const event of events) collector.onEvent(event);
  return collector.outcomes();
}

describe("DeviceOutcomeCollector", () => {
  test("a sleeping device whose wake applied its changes waits for nothing any more", () => {
    const ASLEEP = { reason: "no answer", since: "2026-12-01T10:00:00.000Z" };
    const PENDING = { keys: ["device.name"], since: "2026-12-01T10:05:00.000Z" };
    const outcomes = collect([
      // The refresh's pre-event carries the state from before the read: the pending list of the
      // last up; the read's outputs say what the wake left (nothing pending).
      step("resourcePreEvent", "hall", "refresh", {
        old: { asleep: ASLEEP, pending: PENDING },
        new: { asleep: ASLEEP, pending: PENDING },
      }),
      step("resOutputsEvent", "hall", "refresh", { new: { asleep: ASLEEP } }),
      step("resourcePreEvent", "hall", "same", { old: { asleep: ASLEEP, pending: PENDING }, new: {} }),
    ]);
    expect(outcomes).toEqual([
      {
        name: "hall",
        address: "127.0.0.1:4",
        kind: "asleep",
        since: ASLEEP.since,
        reason: "nothing waiting (state as its last wake left it)",
      },
    ]);
  });

  test("a device read as unreachable on refresh stays unreachable, with why and since", () => {
    const outcomes = collect([
      step("resOutputsEvent", "dead", "refresh", { new: { unreachable: UNREACHABLE } }),
      step("resourcePreEvent", "dead", "same", { old: { unreachable: UNREACHABLE }, new: {} }),
      step("resOutputsEvent", "fine", "refresh", { new: {} }),
    ]);
    expect(outcomes).toEqual([
      { name: "dead", address: "127.0.0.1:4", kind: "unreachable", ...UNREACHABLE },
      { name: "fine", address: "127.0.0.1:4", kind: "unchanged" },
    ]);
    expect(renderOutcomes(outcomes, "up")).toBe(
      "Devices not applied:\n  ! dead (127.0.0.1:4): unreachable: no answer within 1500 ms; since 2026-12-01T10:00:00.000Z\nDevices: 0 applied, 1 unchanged, 1 unreachable, 0 failed\n",
    );
  });

  test("a device skipped on apply is unreachable; any other error is a failure", () => {
    const outcomes = collect([
      diagnostic("asleep", "asleep: skipped: connection refused by 127.0.0.1:6\n"),
      diagnostic("broken", "broken: rolled back 1 of 2 change(s)\n  - more"),
      step("resOutputsEvent", "good", "update", { new: {} }),
    ]);
    expect(outcomes.map((o) => [o.name, o.kind, o.reason])).toEqual([
      ["asleep", "unreachable", "connection refused by 127.0.0.1:6"],
      ["broken", "failed", "broken: rolled back 1 of 2 change(s)"],
      ["good", "applied", undefined],
    ]);
  });

  test("a device whose move onto its reservation failed is that device's failure, with the move's reason", () => {
    const moveUrn = (name: string) =>
      `urn:pulumi:site::shelly-fleet::pulumi-nodejs:dynamic/shelly:LeaseMove::${name}`;
    const reason = "garage did not come back at 10.0.30.16 within 120 s; it may still be at 10.0.30.120";
    const outcomes = collect([
      { sequence: 0, timestamp: 0, resOpFailedEvent: { metadata: { urn: moveUrn("garage-lease") } } },
      {
        sequence: 0,
        timestamp: 0,
        diagnosticEvent: { urn: moveUrn("garage-lease"), message: `${reason}\n`, severity: "error" },
      },
      step("resOutputsEvent", "porch", "create", { new: {} }),
    ] as unknown as EngineEvent[]);
    expect(outcomes.map((o) => [o.name, o.kind, o.reason])).toEqual([
      ["garage", "failed", reason],
      ["porch", "applied", undefined],
    ]);
    expect(renderOutcomes(outcomes, "up")).toContain(`  ! garage: failed: ${reason}\n`);
  });

  test("a replaced device is applied, never unreachable, though the old one did not answer", () => {
    const mismatch = { reason: "a different device (MAC 020000000B01) answers", since: UNREACHABLE.since };
    const events = [
      step("resOutputsEvent", "porch", "refresh", { new: { unreachable: mismatch } }),
      step("resourcePreEvent", "porch", "create-replacement", { old: { unreachable: mismatch }, new: {} }),
    ];
    // Preview: planned as a replacement, not listed as a device that could not be checked.
    expect(renderOutcomes(collect(events), "preview")).toBe("");
    const up = collect([
      ...events,
      step("resOutputsEvent", "porch", "create-replacement", { old: { unreachable: mismatch }, new: {} }),
      step("resOutputsEvent", "porch", "delete-replaced", { old: { unreachable: mismatch } }),
    ]);
    expect(renderOutcomes(up, "up")).toBe("Devices: 1 applied, 0 unchanged, 0 unreachable, 0 failed\n");
  });
});
