// The firmware campaign's pure rules: waves, the stop rule, the pause, maintenance windows.
import { describe, expect, test } from "vitest";
import {
  assignWaves,
  type CampaignPlace,
  type CampaignSpec,
  campaignGate,
  campaignLine,
  campaignPlaces,
  campaignProgress,
  inWindow,
  type Ledger,
  parseWindow,
} from "../../providers/shelly/plan/campaign";

const names = Array.from({ length: 20 }, (_, i) => `dev${String(i + 1).padStart(2, "0")}`);
const spec = (over: Partial<CampaignSpec> = {}): CampaignSpec => ({
  canary: ["dev07", "dev13"],
  waves: [50, 100],
  pauseMinutes: 0,
  windows: [],
  ...over,
});

describe("waves", () => {
  test("a canary of 2 then waves of 50 %: 2, 9, 9, every device once", () => {
    const waves = assignWaves(names, spec());
    expect(waves.map((w) => w.length)).toEqual([2, 9, 9]);
    expect(waves[0]).toEqual(["dev07", "dev13"]);
    expect(waves.flat().sort()).toEqual(names);
  });

  test("a canary percentage takes the first by name; waves short of 100 get a last wave for the rest", () => {
    const waves = assignWaves(names, spec({ canary: undefined, canaryPercent: 10, waves: [25] }));
    expect(waves.map((w) => w.length)).toEqual([2, 5, 13]);
    expect(waves[0]).toEqual(["dev01", "dev02"]);
  });

  test("labels: canary, then numbered waves; each device knows the earlier waves", () => {
    const places = campaignPlaces(assignWaves(names, spec()), spec());
    expect(places.get("dev07")).toMatchObject({ wave: 0, label: "canary", earlier: [] });
    expect(places.get("dev01")).toMatchObject({ wave: 1, label: "wave 1 of 2" });
    expect(places.get("dev20")?.earlier.map((w) => w.length)).toEqual([2, 9]);
  });
});

/** A device's place, which the test knows is there. */
const at = (places: Map<string, CampaignPlace>, name: string): CampaignPlace => {
  const place = places.get(name);
  if (!place) throw new Error(`${name} has no place`);
  return place;
};

describe("the gate", () => {
  const places = campaignPlaces(assignWaves(names, spec()), spec());
  const now = new Date("2026-12-05T03:00:00Z"); // a Saturday
  const installed = (at: string) => ({ outcome: "installed" as const, from: "1.4.4", to: "1.5.1", at });

  test("the canary may go at once; a failed canary stops every later wave, with the reason", () => {
    expect(campaignGate(at(places, "dev07"), {}, now)).toEqual({ allowed: true });
    const ledger: Ledger = {
      dev07: {
        outcome: "failed",
        from: "1.4.4",
        to: "1.5.1",
        at: now.toISOString(),
        error: "rebooted but still runs 1.4.4",
      },
      dev13: installed(now.toISOString()),
    };
    expect(campaignGate(at(places, "dev01"), ledger, now)).toEqual({
      allowed: false,
      why: "stopped",
      reason:
        "campaign stopped: the canary failed on dev07 (rebooted but still runs 1.4.4); fix it, and the next up retries it and goes on",
    });
    // The canary itself may retry (its own earlier waves are none).
    expect(campaignGate(at(places, "dev07"), ledger, now).allowed).toBe(true);
    // Once it installs, the next wave goes.
    expect(
      campaignGate(at(places, "dev01"), { ...ledger, dev07: installed(now.toISOString()) }, now),
    ).toEqual({
      allowed: true,
    });
  });

  test("a failure in wave 1 stops wave 2, and says wave 1", () => {
    const ledger: Ledger = { dev01: { outcome: "failed", from: "1", to: "2", at: "x", error: "boom" } };
    expect(campaignGate(at(places, "dev20"), ledger, now)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/^campaign stopped: wave 1 failed on dev01 \(boom\)/),
    });
  });

  test("the pause after the wave before", () => {
    const paused = campaignPlaces(assignWaves(names, spec()), spec({ pauseMinutes: 60 }));
    const ledger: Ledger = { dev07: installed("2026-12-05T02:30:00Z") };
    expect(campaignGate(at(paused, "dev01"), ledger, now)).toEqual({
      allowed: false,
      why: "pause",
      reason: "pause after the canary: waits until 2026-12-05T03:30:00.000Z",
    });
    expect(campaignGate(at(paused, "dev01"), ledger, new Date("2026-12-05T03:30:00Z")).allowed).toBe(true);
  });

  test("maintenance windows, unless forced", () => {
    const windowed = campaignPlaces(assignWaves(names, spec()), spec({ windows: ["Mon-Fri 22:00-05:00"] }));
    const place = at(windowed, "dev07");
    expect(campaignGate(place, {}, new Date("2026-12-04T23:00:00Z")).allowed).toBe(true); // Fri evening
    expect(campaignGate(place, {}, new Date("2026-12-05T04:00:00Z")).allowed).toBe(true); // Sat morning after Fri
    expect(campaignGate(place, {}, new Date("2026-12-05T23:00:00Z"))).toEqual({
      allowed: false,
      why: "window",
      reason: "outside the maintenance windows (Mon-Fri 22:00-05:00 UTC); --force-firmware overrides",
    });
    expect(campaignGate(place, {}, new Date("2026-12-05T23:00:00Z"), true).allowed).toBe(true);
  });

  test("window syntax", () => {
    expect(parseWindow("daily 01:00-04:00")).toMatchObject({ start: 60, end: 240 });
    expect(parseWindow("Sat,Sun 02:00-05:00")).toMatchObject({ days: new Set([0, 6]) });
    expect(parseWindow("Fri-Mon 00:00-24:00")).toMatchObject({ days: new Set([5, 6, 0, 1]) });
    expect(parseWindow("weekends 02:00-03:00")).toBe(
      '"weekends" is not a day (Mon … Sun, a range Mon-Fri, or daily)',
    );
    expect(parseWindow("daily 2-3")).toMatch(/is not "<days> HH:MM-HH:MM"/);
    expect(inWindow([], new Date())).toBe(true);
  });
});

describe("progress, for the plan and status", () => {
  const places = campaignPlaces(assignWaves(names, spec()), spec());
  const now = new Date("2026-12-05T03:00:00Z");
  const failed = { outcome: "failed" as const, from: "1.4.4", to: "1.5.1", at: "x", error: "no boot" };
  const installed = { outcome: "installed" as const, from: "1.4.4", to: "1.5.1", at: "x" };

  test("nothing installed: at the canary, nothing held, not stopped", () => {
    const { devices, campaign } = campaignProgress(places, {}, now);
    expect(campaign).toEqual({ waves: 3, wave: 1, label: "canary", devices: 20, done: 0, failed: 0 });
    expect(devices.get("dev01")).toEqual({ wave: "wave 1 of 2", waveIndex: 1, state: "pending" });
    expect(campaignLine(campaign)).toBe("wave 1 of 3 (canary); 0 of 20 devices done, 0 failed");
  });

  test("a failed canary: stopped, every later device held with the reason", () => {
    const { devices, campaign } = campaignProgress(places, { dev07: failed, dev13: installed }, now);
    expect(campaign).toMatchObject({
      wave: 1,
      done: 1,
      failed: 1,
      stopped: expect.stringMatching(/^campaign stopped: the canary failed on dev07 \(no boot\)/),
    });
    expect(devices.get("dev07")).toEqual({ wave: "canary", waveIndex: 0, state: "failed", error: "no boot" });
    expect(devices.get("dev20")?.heldBy).toBe(campaign.stopped);
    expect(campaignLine(campaign)).toMatch(
      /^wave 1 of 3 \(canary\); 1 of 20 devices done, 1 failed; stopped: the canary failed on dev07/,
    );
  });

  test("done comes from the running firmware when the caller knows it; complete at the end", () => {
    const { campaign } = campaignProgress(places, { dev07: failed }, now, false, () => true);
    expect(campaign).toMatchObject({ wave: 4, label: "complete", done: 20, failed: 0 });
    expect(campaign.stopped).toBeUndefined();
    expect(campaignLine(campaign)).toBe("complete; 20 of 20 devices done, 0 failed");
  });
});
