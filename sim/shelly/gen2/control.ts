// Gen2+ control methods (Switch, Light, Cover, EM, WiFi.Scan, Webhook.ListSupported, Shelly.SetProfile):
// they change status, never config (the profile aside). Covers travel over time on the device clock,
// so a position is worked out from the clock whenever the device is asked, not by timers.
import { isObject, type Json, type JsonObject, numberOr } from "../json";
import type { DeviceHost } from "../types";
import { componentType, type Gen2Components } from "./components";
import { RPC_ERRORS, RpcError } from "./errors";

export interface ControlOutcome {
  result: Json;
  afterwards?: "reboot";
}

/** A cover on its way: from `from` % at `startedMs` towards `target` %, `msPerPercent` per step. */
interface Travel {
  from: number;
  target: number;
  startedMs: number;
  msPerPercent: number;
}

/** Webhook events per component type (guess: the events the Gen2 docs list for each component). */
const WEBHOOK_EVENTS: Record<string, string[]> = {
  switch: ["switch.on", "switch.off"],
  input: ["input.toggle_on", "input.toggle_off", "input.button_push", "input.button_longpush"],
  cover: ["cover.open", "cover.closed", "cover.stopped", "cover.opening", "cover.closing"],
  light: ["light.on", "light.off"],
  temperature: ["temperature.change"],
  humidity: ["humidity.change"],
  em: ["em.active_power_change"],
  em1: ["em1.active_power_change"],
};

export class Gen2Control {
  private readonly travels = new Map<string, Travel>();

  constructor(
    private readonly components: Gen2Components,
    private readonly host: DeviceHost,
  ) {}

  /** The outcome of a control method, or undefined when `method` is not one. */
  call(method: string, params: JsonObject): ControlOutcome | undefined {
    this.settle();
    switch (method) {
      case "switch.set":
      case "switch.toggle":
        return { result: this.setOutput("switch", params, method.endsWith("toggle")) };
      case "light.set":
      case "light.toggle":
        this.setOutput("light", params, method.endsWith("toggle"));
        return { result: null };
      case "switch.resetcounters":
      case "pm1.resetcounters":
        return { result: this.resetCounters(method.split(".")[0] as string, params) };
      case "cover.open":
        return { result: this.move(params, 100) };
      case "cover.close":
        return { result: this.move(params, 0) };
      case "cover.stop":
        return { result: this.stop(params) };
      case "cover.gotoposition":
        return { result: this.goTo(params) };
      case "em.getcttypes":
        this.components.key("em", params);
        return { result: { types: ["120A", "400A"] } };
      case "wifi.scan":
        return { result: { results: this.scan() } };
      case "webhook.listsupported":
        return { result: { types: this.webhookTypes() } };
      case "shelly.listprofiles":
        return { result: { profiles: this.profiles() } };
      case "shelly.setprofile":
        return this.setProfile(params);
    }
    return undefined;
  }

  /** Brings every travelling cover to where the clock says it is now. */
  settle(): void {
    const now = this.host.now();
    for (const [key, travel] of this.travels) {
      const state = this.components.status[key] as JsonObject;
      const steps = Math.floor((now - travel.startedMs) / travel.msPerPercent);
      const direction = Math.sign(travel.target - travel.from);
      const position = travel.from + direction * Math.min(steps, Math.abs(travel.target - travel.from));
      state.current_pos = position;
      if (position === travel.target) this.arrive(key, state, travel.target);
    }
  }

  private status(type: string, params: JsonObject): { key: string; state: JsonObject } {
    const key = this.components.key(type, params);
    const state = this.components.status[key];
    if (!isObject(state)) throw new RpcError(RPC_ERRORS.notFound, `${key} has no status`);
    return { key, state };
  }

  private setOutput(type: string, params: JsonObject, toggle: boolean): JsonObject {
    const { state } = this.status(type, params);
    const wasOn = state.output === true;
    if (!toggle && params.on !== undefined && typeof params.on !== "boolean")
      throw new RpcError(RPC_ERRORS.invalidArgument, "Argument 'on' must be a boolean");
    if (!toggle && type === "switch" && params.on === undefined)
      throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'on'");
    if (params.brightness !== undefined) {
      const brightness = params.brightness;
      if (type !== "light" || typeof brightness !== "number" || brightness < 0 || brightness > 100)
        throw new RpcError(RPC_ERRORS.invalidArgument, "Argument 'brightness' must be 0 to 100");
      state.brightness = brightness;
    }
    state.output = toggle ? !wasOn : typeof params.on === "boolean" ? params.on : wasOn;
    return { was_on: wasOn };
  }

  private resetCounters(type: string, params: JsonObject): JsonObject {
    const { state } = this.status(type, params);
    const wanted = Array.isArray(params.type) ? params.type : ["aenergy", "ret_aenergy"];
    const previous: JsonObject = {};
    for (const counter of wanted) {
      const value = typeof counter === "string" ? state[counter] : undefined;
      if (!isObject(value)) continue;
      previous[counter as string] = { total: value.total ?? 0 };
      value.total = 0;
      if (Array.isArray(value.by_minute)) value.by_minute = value.by_minute.map(() => 0);
    }
    return previous;
  }

  private move(params: JsonObject, end: 0 | 100): null {
    const { key, state } = this.status("cover", params);
    this.travel(key, state, end);
    return null;
  }

  private goTo(params: JsonObject): null {
    const { key, state } = this.status("cover", params);
    if (state.pos_control !== true)
      throw new RpcError(RPC_ERRORS.failedPrecondition, "Cover is not calibrated");
    const current = numberOr(state.current_pos, 0);
    const target = params.pos !== undefined ? params.pos : current + numberOr(params.rel, Number.NaN);
    if (typeof target !== "number" || !Number.isInteger(target) || target < 0 || target > 100)
      throw new RpcError(RPC_ERRORS.invalidArgument, "Argument 'pos' must be an integer 0 to 100");
    this.travel(key, state, target);
    return null;
  }

  private stop(params: JsonObject): null {
    const { key, state } = this.status("cover", params);
    this.travels.delete(key);
    state.state = "stopped";
    delete state.target_pos;
    return null;
  }

  private travel(key: string, state: JsonObject, target: number): void {
    const from = numberOr(state.current_pos, target === 100 ? 0 : 100);
    const opening = target > from;
    const config = this.components.config[key] as JsonObject;
    const seconds = numberOr(opening ? config.maxtime_open : config.maxtime_close, 60);
    if (target === from) {
      this.arrive(key, state, target);
      return;
    }
    state.state = opening ? "opening" : "closing";
    state.last_direction = opening ? "open" : "close";
    state.target_pos = target;
    this.travels.set(key, { from, target, startedMs: this.host.now(), msPerPercent: (seconds * 1000) / 100 });
  }

  private arrive(key: string, state: JsonObject, position: number): void {
    this.travels.delete(key);
    state.current_pos = position;
    state.state = position === 100 ? "open" : position === 0 ? "closed" : "stopped";
    delete state.target_pos;
  }

  private scan(): JsonObject[] {
    const sta = isObject(this.components.config.wifi) ? this.components.config.wifi.sta : undefined;
    const ssid = isObject(sta) && typeof sta.ssid === "string" ? sta.ssid : undefined;
    const rssi = isObject(this.components.status.wifi)
      ? numberOr(this.components.status.wifi.rssi, -60)
      : -60;
    return ssid ? [{ ssid, bssid: "02:00:00:00:00:01", auth: 3, channel: 6, rssi }] : [];
  }

  private webhookTypes(): JsonObject {
    const types: JsonObject = {};
    const present = new Set(Object.keys(this.components.config).map(componentType));
    for (const type of present) for (const event of WEBHOOK_EVENTS[type] ?? []) types[event] = {};
    return types;
  }

  /** The profiles a multi-profile device offers (guess: only the current one and its usual partner). */
  private profiles(): JsonObject {
    const current = this.currentProfile();
    if (current === undefined) throw new RpcError(RPC_ERRORS.noHandler, "No handler for Shelly.ListProfiles");
    const partners: Record<string, string> = {
      cover: "switch",
      switch: "cover",
      triphase: "monophase",
      monophase: "triphase",
      rgb: "light",
      light: "rgb",
    };
    const names = [current, partners[current]].filter((name): name is string => name !== undefined);
    return Object.fromEntries(names.map((name) => [name, {}]));
  }

  private setProfile(params: JsonObject): ControlOutcome {
    const was = this.currentProfile();
    if (was === undefined) throw new RpcError(RPC_ERRORS.noHandler, "No handler for Shelly.SetProfile");
    const name = params.name ?? params.profile;
    if (typeof name !== "string" || !(name in this.profiles()))
      throw new RpcError(
        RPC_ERRORS.invalidArgument,
        `Argument 'name', value ${String(name)} is not a profile`,
      );
    if (name === was) return { result: { profile_was: was } };
    const device = this.components.configSys().device as JsonObject;
    device.profile = name;
    this.components.info.profile = name;
    this.components.configChanged();
    return { result: { profile_was: was }, afterwards: "reboot" };
  }

  private currentProfile(): string | undefined {
    const device = this.components.configSys().device;
    return isObject(device) && typeof device.profile === "string" ? device.profile : undefined;
  }
}
