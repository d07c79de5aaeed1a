// What the engine and the processes it starts inherit from shelly-fleet.
import { describe, expect, it } from "vitest";
import { pluginNodeOptions } from "../../automation/stack";

describe("Node options for the provider hosts", () => {
  it("bounds the young generation when the user sets nothing", () => {
    expect(pluginNodeOptions(undefined)).toBe("--max-semi-space-size=16");
    expect(pluginNodeOptions("  ")).toBe("--max-semi-space-size=16");
  });

  it("keeps the user's own options first", () => {
    expect(pluginNodeOptions("--enable-source-maps")).toBe("--enable-source-maps --max-semi-space-size=16");
  });

  it("leaves a semi-space size the user chose", () => {
    expect(pluginNodeOptions("--max-semi-space-size=64 --inspect")).toBe(
      "--max-semi-space-size=64 --inspect",
    );
  });
});
