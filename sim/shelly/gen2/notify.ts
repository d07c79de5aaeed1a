// NotifyStatus and NotifyEvent (G2DOC-RPC "Notifications"): what changed on the device, for WebSocket clients.
// Changes are found by comparing the documents before and after each call, so every method that changes
// status or config notifies, whatever the transport that called it.
import { EventEmitter } from "node:events";
import { deepEqual, isObject, type JsonObject } from "../json";
import type { Gen2Components } from "./components";

export type NotificationMethod = "NotifyStatus" | "NotifyEvent";

export class Notifications extends EventEmitter<{ notify: [NotificationMethod, JsonObject] }> {
  constructor(
    private readonly components: Gen2Components,
    private readonly now: () => number,
  ) {
    super();
  }

  /** Runs `call` and notifies listeners of the status and config it changed. */
  around<T>(call: () => T): T {
    if (this.listenerCount("notify") === 0) return call();
    const status = structuredClone(this.components.status);
    const config = structuredClone(this.components.config);
    try {
      return call();
    } finally {
      this.publish(status, config);
    }
  }

  /** Notifies the status of `key` as it is now (a change no call made, e.g. a cover arriving). */
  statusOf(keys: string[]): void {
    const params: JsonObject = { ts: this.ts() };
    for (const key of keys) params[key] = structuredClone(this.components.status[key] ?? {});
    this.emit("notify", "NotifyStatus", params);
  }

  /** One event of `component` (`sys`: `ota_begin`, `ota_progress`, …), as NotifyEvent sends it. */
  event(component: string, event: string, fields: JsonObject): void {
    const ts = this.ts();
    this.emit("notify", "NotifyEvent", { ts, events: [{ component, event, ...fields, ts }] });
  }

  private publish(statusBefore: JsonObject, configBefore: JsonObject): void {
    const ts = this.ts();
    const status: JsonObject = { ts };
    for (const [key, now] of Object.entries(this.components.status)) {
      const before = statusBefore[key];
      if (!isObject(now)) continue;
      const changed: JsonObject = {};
      for (const [field, value] of Object.entries(now)) {
        if (!isObject(before) || !deepEqual(before[field], value)) changed[field] = structuredClone(value);
      }
      if (Object.keys(changed).length === 0) continue;
      // A component is named by its id in every notification (as real devices send `{"id":0,…}`).
      status[key] = "id" in now ? { id: now.id, ...changed } : changed;
    }
    if (Object.keys(status).length > 1) this.emit("notify", "NotifyStatus", status);
    const rev = isObject(this.components.config.sys) ? this.components.config.sys.cfg_rev : undefined;
    const events = Object.keys(this.components.config)
      .filter((key) => !deepEqual(withoutRev(configBefore[key]), withoutRev(this.components.config[key])))
      .map((key) => {
        const id = key.split(":")[1];
        return {
          component: key,
          ...(id !== undefined ? { id: Number(id) } : {}),
          event: "config_changed",
          restart_required: this.components.statusSys().restart_required === true,
          ts,
          ...(rev !== undefined ? { cfg_rev: rev } : {}),
        };
      });
    if (events.length > 0) this.emit("notify", "NotifyEvent", { ts, events });
  }

  private ts(): number {
    return Math.round(this.now() / 10) / 100;
  }
}

/** `sys` changes its `cfg_rev` with every change anywhere; that alone is not a change of `sys`. */
function withoutRev(doc: unknown): unknown {
  if (!isObject(doc) || !("cfg_rev" in doc)) return doc;
  const { cfg_rev: _rev, ...rest } = doc;
  return rest;
}
