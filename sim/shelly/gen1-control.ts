// Gen1 control endpoints (G1DOC /relay/N, /roller/N, /light/N, /color/N, /white/N, /meter/N): they change
// the channel's status (and the `ison`/`state` that /settings mirrors), never its settings. Timers and
// roller travel run on the device clock and are worked out whenever the device is asked.
import { isObject, type Json, type JsonObject, numberOr } from "./json";

export const CONTROL_PATH = /^\/(relay|roller|light|color|white|meter)\/(\d+)$/;
/** Parameters that act; without any, a control URL only reads. */
const ACTIONS = [
  "turn",
  "go",
  "brightness",
  "red",
  "green",
  "blue",
  "white",
  "gain",
  "reset_totals",
  "timer",
];

export class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface Travel {
  from: number;
  target: number;
  startedMs: number;
  msPerPercent: number;
}

export const controlActs = (params: URLSearchParams): boolean => ACTIONS.some((name) => params.has(name));

export class Gen1Control {
  private readonly travels = new Map<number, Travel>();
  /** Channels whose `timer` flips them back: `<array>:<index>` → when. */
  private readonly flips = new Map<string, number>();

  constructor(
    private readonly settings: JsonObject,
    private readonly status: JsonObject,
    private readonly now: () => number,
  ) {}

  /** The document a control URL answers, after acting on its parameters. */
  route(kind: string, index: number, params: URLSearchParams): JsonObject {
    this.settle();
    if (kind === "relay") return this.switchable("relays", index, params);
    if (kind === "roller") return this.roller(index, params);
    if (kind === "meter") return this.meter(index, params);
    return this.switchable("lights", index, params);
  }

  /** Timers that ran out flip their channel; travelling rollers move to where the clock says. */
  settle(): void {
    const now = this.now();
    for (const [slot, due] of this.flips) {
      if (due > now) continue;
      const [array, index] = slot.split(":") as [string, string];
      this.flips.delete(slot);
      const state = this.channel(array, Number(index));
      this.setOn(array, Number(index), state.ison !== true);
      Object.assign(state, { has_timer: false, timer_started: 0, timer_duration: 0, timer_remaining: 0 });
    }
    for (const [index, travel] of this.travels) {
      const state = this.channel("rollers", index);
      const steps = Math.floor((now - travel.startedMs) / travel.msPerPercent);
      const direction = Math.sign(travel.target - travel.from);
      state.current_pos = travel.from + direction * Math.min(steps, Math.abs(travel.target - travel.from));
      if (state.current_pos === travel.target) this.stopRoller(index, "normal");
    }
  }

  private channel(array: string, index: number): JsonObject {
    const list = this.status[array];
    const state = Array.isArray(list) ? list[index] : undefined;
    if (!isObject(state)) throw new ControlError("Not Found", 404);
    return state;
  }

  private switchable(array: string, index: number, params: URLSearchParams): JsonObject {
    const state = this.channel(array, index);
    const turn = params.get("turn");
    for (const field of ["brightness", "red", "green", "blue", "white", "gain", "transition"]) {
      const raw = params.get(field);
      if (raw === null) continue;
      const value = Number(raw);
      const max = ["red", "green", "blue", "white"].includes(field)
        ? 255
        : field === "transition"
          ? 5000
          : 100;
      if (!(field in state) || raw.trim() === "" || !Number.isInteger(value) || value < 0 || value > max)
        throw new ControlError(`Bad value for ${field}: ${raw}`);
      state[field] = value;
    }
    if (turn !== null) {
      if (!["on", "off", "toggle"].includes(turn)) throw new ControlError(`Bad value for turn: ${turn}`);
      this.setOn(array, index, turn === "toggle" ? state.ison !== true : turn === "on");
      state.source = "http";
      this.startTimer(array, index, state, params.get("timer"));
    }
    return structuredClone(state);
  }

  private setOn(array: string, index: number, on: boolean): void {
    this.channel(array, index).ison = on;
    const mirror = this.settings[array];
    const settings = Array.isArray(mirror) ? mirror[index] : undefined;
    if (isObject(settings) && "ison" in settings) settings.ison = on;
  }

  private startTimer(array: string, index: number, state: JsonObject, raw: string | null): void {
    const slot = `${array}:${index}`;
    this.flips.delete(slot);
    const seconds = raw === null ? 0 : Number(raw);
    if (Number.isNaN(seconds) || seconds < 0) throw new ControlError(`Bad value for timer: ${raw}`);
    const started = Math.floor(this.now() / 1000);
    Object.assign(state, {
      has_timer: seconds > 0,
      timer_started: seconds > 0 ? started : 0,
      timer_duration: seconds,
      timer_remaining: seconds,
    });
    if (seconds > 0) this.flips.set(slot, this.now() + seconds * 1000);
  }

  private roller(index: number, params: URLSearchParams): JsonObject {
    const state = this.channel("rollers", index);
    const go = params.get("go");
    if (go === null) return structuredClone(state);
    if (go === "stop") {
      this.stopRoller(index, "normal");
      return structuredClone(state);
    }
    const current = numberOr(state.current_pos, 0);
    let target: number;
    if (go === "open" || go === "close") target = go === "open" ? 100 : 0;
    else if (go === "to_pos") {
      if (state.positioning !== true) throw new ControlError("Roller is not calibrated");
      target = Number(params.get("roller_pos"));
      if (!Number.isInteger(target) || target < 0 || target > 100)
        throw new ControlError(`Bad value for roller_pos: ${params.get("roller_pos")}`);
    } else throw new ControlError(`Bad value for go: ${go}`);
    const settings = (this.settings.rollers as Json[] | undefined)?.[index];
    const opening = target > current;
    const seconds = isObject(settings)
      ? numberOr(opening ? settings.maxtime_open : settings.maxtime_close, numberOr(settings.maxtime, 20))
      : 20;
    if (target === current) return structuredClone(state);
    Object.assign(state, {
      state: opening ? "open" : "close",
      source: "http",
      last_direction: opening ? "open" : "close",
    });
    this.travels.set(index, {
      from: current,
      target,
      startedMs: this.now(),
      msPerPercent: (seconds * 1000) / 100,
    });
    return structuredClone(state);
  }

  private stopRoller(index: number, reason: string): void {
    this.travels.delete(index);
    Object.assign(this.channel("rollers", index), { state: "stop", stop_reason: reason });
  }

  /** /meter/N; `reset_totals` zeroes the counters (guess: the Gen1 EM's /emeter parameter, applied to meters). */
  private meter(index: number, params: URLSearchParams): JsonObject {
    const state = this.channel("meters", index);
    if (params.has("reset_totals") && /^(1|y|t|true)$/i.test(params.get("reset_totals") as string)) {
      if ("total" in state) state.total = 0;
      if (Array.isArray(state.counters)) state.counters = state.counters.map(() => 0);
    }
    return structuredClone(state);
  }
}
