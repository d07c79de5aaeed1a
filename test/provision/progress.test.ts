// Provisioning progress as the engine's log shows it: each step's start as the resource's status
// and a line, its end with the time it took (measured here, or by the agent that ran it).
import { describe, expect, test } from "vitest";
import { progressLines } from "../../providers/provision/lifecycle";

describe("progressLines", () => {
  test("start and end of each step, with elapsed seconds", () => {
    const lines: string[] = [];
    let clock = 1_000;
    const onProgress = progressLines(
      {
        info: async (message) => void lines.push(`info ${message}`),
        status: async (message) => void lines.push(`status ${message}`),
      },
      () => clock,
    );
    onProgress({ step: "verify", phase: "start" });
    clock += 2_345;
    onProgress({ step: "verify", phase: "done" });
    onProgress({ step: "harden", phase: "done", ms: 1_500, note: "AP off" });
    expect(lines).toEqual([
      "status verify (waiting for it on the station network)…",
      "info verify (waiting for it on the station network) started",
      "info verify (waiting for it on the station network) done in 2.3 s",
      "info harden (switching off its access point and BLE RPC) done in 1.5 s: AP off",
    ]);
  });
});
