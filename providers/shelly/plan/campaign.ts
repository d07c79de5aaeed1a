// A site's firmware campaign: which wave each device is in, and whether its firmware step may run
// now (maintenance windows, the pause between waves, the stop rule). Pure: the caller passes the
// clock and the ledger of earlier outcomes.

/** `[firmware_campaign]` in site.toml, as the fleet loader checked it. */
export interface CampaignSpec {
  /** Device file names updated first, alone. */
  canary?: string[];
  /** Or: this share of the devices, first by name, as the canary. */
  canaryPercent?: number;
  /** Cumulative percentages of the devices after the canary, ending at 100 (e.g. [50, 100]). */
  waves: number[];
  /** Minutes between the end of a wave and the start of the next. */
  pauseMinutes: number;
  /** `Sat,Sun 02:00-05:00`, `Mon-Fri 22:00-06:00`, `daily 01:00-04:00` (UTC); none: any time. */
  windows: string[];
}

/** One device's place in the campaign, as the program passes it to the device's resource. */
export interface CampaignPlace {
  /** 0-based wave index; wave 0 is the canary when there is one. */
  wave: number;
  /** `canary`, `wave 2 of 3`. */
  label: string;
  /** Wave 0 is a canary. */
  canary: boolean;
  /** The device names of every earlier wave, by wave. */
  earlier: string[][];
  pauseMinutes: number;
  windows: string[];
}

/** The latest firmware outcome of a device, by name, as the campaign ledger keeps it. */
export interface LedgerEntry {
  outcome: "installed" | "failed";
  from: string;
  to: string;
  at: string;
  error?: string;
}
export type Ledger = Record<string, LedgerEntry>;

/** Devices (by file name) in waves: the canary first, then the rest by name, cut at the percentages. */
export function assignWaves(names: string[], spec: CampaignSpec): string[][] {
  const sorted = [...names].sort();
  let canary: string[] = [];
  if (spec.canary) canary = sorted.filter((name) => spec.canary?.includes(name));
  else if (spec.canaryPercent)
    canary = sorted.slice(0, Math.max(1, Math.ceil((sorted.length * spec.canaryPercent) / 100)));
  const rest = sorted.filter((name) => !canary.includes(name));
  const waves: string[][] = canary.length > 0 ? [canary] : [];
  let from = 0;
  for (const percent of spec.waves) {
    const to = Math.min(rest.length, Math.ceil((rest.length * percent) / 100));
    if (to > from) waves.push(rest.slice(from, to));
    from = Math.max(from, to);
  }
  if (from < rest.length) waves.push(rest.slice(from));
  return waves;
}

/** Each device's place, from the waves. */
export function campaignPlaces(waves: string[][], spec: CampaignSpec): Map<string, CampaignPlace> {
  const places = new Map<string, CampaignPlace>();
  const hasCanary = Boolean(spec.canary?.length || spec.canaryPercent);
  const numbered = waves.length - (hasCanary ? 1 : 0);
  for (const [index, members] of waves.entries()) {
    const label = hasCanary && index === 0 ? "canary" : `wave ${index + (hasCanary ? 0 : 1)} of ${numbered}`;
    for (const name of members) {
      places.set(name, {
        wave: index,
        label,
        canary: hasCanary,
        earlier: waves.slice(0, index),
        pauseMinutes: spec.pauseMinutes,
        windows: spec.windows,
      });
    }
  }
  return places;
}

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export interface ParsedWindow {
  days: Set<number>;
  /** Minutes after midnight UTC; end < start wraps past midnight. */
  start: number;
  end: number;
}

/** `Sat,Sun 02:00-05:00` → days and minutes; a string naming what is wrong otherwise. */
export function parseWindow(text: string): ParsedWindow | string {
  const match = /^\s*(\S+)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})\s*$/.exec(text);
  if (!match) return `"${text}" is not "<days> HH:MM-HH:MM" (e.g. "Sat,Sun 02:00-05:00", UTC)`;
  const [, dayText, h1, m1, h2, m2] = match as unknown as string[];
  const days = new Set<number>();
  for (const part of (dayText as string).toLowerCase().split(",")) {
    if (part === "daily") for (let d = 0; d < 7; d++) days.add(d);
    else if (part.includes("-")) {
      const [a, b] = part.split("-").map((d) => DAYS.indexOf(d));
      if (a === undefined || b === undefined || a < 0 || b < 0) return `"${part}" is not a day range`;
      for (let d = a; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === b) break;
      }
    } else if (DAYS.includes(part)) days.add(DAYS.indexOf(part));
    else return `"${part}" is not a day (Mon … Sun, a range Mon-Fri, or daily)`;
  }
  const start = Number(h1) * 60 + Number(m1);
  const end = Number(h2) * 60 + Number(m2);
  if (Number(h1) > 23 || Number(h2) > 24 || Number(m1) > 59 || Number(m2) > 59 || end > 24 * 60)
    return `"${text}" has a time outside 00:00-24:00`;
  if (start === end) return `"${text}" is empty`;
  return { days, start, end };
}

/** Whether `now` falls in one of the windows (UTC); no windows: always. */
export function inWindow(windows: string[], now: Date): boolean {
  if (windows.length === 0) return true;
  const day = now.getUTCDay();
  const minute = now.getUTCHours() * 60 + now.getUTCMinutes();
  return windows.some((text) => {
    const w = parseWindow(text);
    if (typeof w === "string") return false;
    if (w.start < w.end) return w.days.has(day) && minute >= w.start && minute < w.end;
    // Past midnight: the evening part on a listed day, the morning part on the day after one.
    return (w.days.has(day) && minute >= w.start) || (w.days.has((day + 6) % 7) && minute < w.end);
  });
}

/** A gate's answer: held says why (`stopped` by the stop rule, the `pause`, outside the `window`s). */
export type CampaignGate =
  | { allowed: true }
  | { allowed: false; why: "stopped" | "pause" | "window"; reason: string };

/**
 * Whether the device's firmware step may run now. Held, with the reason, when outside the
 * maintenance windows (unless forced), when an earlier wave has a failed device (the stop rule),
 * or during the pause after the latest install of the wave before.
 */
export function campaignGate(place: CampaignPlace, ledger: Ledger, now: Date, force = false): CampaignGate {
  for (const [index, members] of place.earlier.entries()) {
    const failed = members.filter((name) => ledger[name]?.outcome === "failed");
    if (failed.length > 0) {
      const first = ledger[failed[0] as string] as LedgerEntry;
      return {
        allowed: false,
        why: "stopped",
        reason: `campaign stopped: ${waveName(place, index)} failed on ${failed.join(", ")} (${first.error ?? "failed"}); fix it, and the next up retries it and goes on`,
      };
    }
  }
  const previous = place.earlier.at(-1) ?? [];
  const lastInstall = previous
    .map((name) => ledger[name])
    .filter((entry) => entry?.outcome === "installed")
    .map((entry) => Date.parse((entry as LedgerEntry).at))
    .reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  const opens = lastInstall + place.pauseMinutes * 60_000;
  if (place.pauseMinutes > 0 && Number.isFinite(lastInstall) && now.getTime() < opens) {
    return {
      allowed: false,
      why: "pause",
      reason: `pause after ${waveName(place, place.earlier.length - 1)}: waits until ${new Date(opens).toISOString()}`,
    };
  }
  if (!force && !inWindow(place.windows, now)) {
    return {
      allowed: false,
      why: "window",
      reason: `outside the maintenance windows (${place.windows.join("; ")} UTC); --force-firmware overrides`,
    };
  }
  return { allowed: true };
}

function waveName(place: CampaignPlace, index: number): string {
  if (place.canary && index === 0) return "the canary";
  return `wave ${place.canary ? index : index + 1}`;
}

/** One campaign device's progress, for the plan and `status`. */
export interface DeviceProgress {
  /** `canary`, `wave 2 of 3`. */
  wave: string;
  /** 0-based wave index. */
  waveIndex: number;
  /** Done: runs the wanted firmware; failed: its latest install failed; else pending. */
  state: "done" | "failed" | "pending";
  /** Pending or failed, and the campaign holds its install now: why. */
  heldBy?: string;
  /** The latest install's error, when it failed. */
  error?: string;
}

/** A site's campaign as a whole. */
export interface CampaignProgress {
  /** Waves in all, the canary included. */
  waves: number;
  /** The 1-based wave the campaign is at (the first with a device not done); waves + 1 when complete. */
  wave: number;
  /** That wave's label (`canary`, `wave 1 of 2`), or `complete`. */
  label: string;
  devices: number;
  done: number;
  failed: number;
  /** Set when the stop rule holds a later wave: the reason. */
  stopped?: string;
}

/**
 * The campaign's progress from its places and ledger. A device is done when `done(name)` says so
 * (its running firmware meets its file, when the caller knows it), else when its latest install is
 * in the ledger as installed; failed when its latest install failed.
 */
export function campaignProgress(
  places: Map<string, CampaignPlace>,
  ledger: Ledger,
  now: Date,
  force = false,
  done: (name: string) => boolean | undefined = () => undefined,
): { devices: Map<string, DeviceProgress>; campaign: CampaignProgress } {
  const devices = new Map<string, DeviceProgress>();
  let stopped: string | undefined;
  let waves = 0;
  for (const [name, place] of places) {
    waves = Math.max(waves, place.wave + 1);
    const known = done(name);
    const entry = ledger[name];
    const state =
      known === true || (known === undefined && entry?.outcome === "installed")
        ? "done"
        : entry?.outcome === "failed"
          ? "failed"
          : "pending";
    const progress: DeviceProgress = { wave: place.label, waveIndex: place.wave, state };
    if (state === "failed" && entry?.error) progress.error = entry.error;
    if (state !== "done") {
      const gate = campaignGate(place, ledger, now, force);
      if (!gate.allowed) progress.heldBy = gate.reason;
      if (!gate.allowed && gate.why === "stopped") stopped ??= gate.reason;
    }
    devices.set(name, progress);
  }
  const all = [...devices.values()];
  const open = all.filter((d) => d.state !== "done").sort((a, b) => a.waveIndex - b.waveIndex)[0];
  return {
    devices,
    campaign: {
      waves,
      wave: open ? open.waveIndex + 1 : waves + 1,
      label: open ? open.wave : "complete",
      devices: all.length,
      done: all.filter((d) => d.state === "done").length,
      failed: all.filter((d) => d.state === "failed").length,
      ...(stopped && { stopped }),
    },
  };
}

/** `campaign: wave 2 of 3 (wave 1 of 2); 1 of 5 devices done, 1 failed; stopped: …` */
export function campaignLine(progress: CampaignProgress): string {
  const at =
    progress.wave > progress.waves
      ? "complete"
      : `wave ${progress.wave} of ${progress.waves} (${progress.label})`;
  const tail = progress.stopped ? `; stopped: ${progress.stopped.replace(/^campaign stopped: /, "")}` : "";
  return `${at}; ${progress.done} of ${progress.devices} devices done, ${progress.failed} failed${tail}`;
}
