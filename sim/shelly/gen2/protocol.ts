// Gen2+ JSON-RPC over HTTP (API.md sections 3 and 4): the device model that puts its parts together.
// Components come from the capture's config and status keys.
import type { Gen2Capture } from "../capture";
import { isObject, type Json, type JsonObject } from "../json";
import type { RequestKind } from "../request-log";
import type { DeviceHost, DeviceOptions, Protocol, SimAnswer, SimRequest } from "../types";
import { ApMode } from "./ap-mode";
import { DigestAuth } from "./auth";
import { schedules, webhooks } from "./collections";
import { Gen2Components } from "./components";
import { drift } from "./config";
import { Gen2Control } from "./control";
import { dispatch, type Gen2Parts } from "./dispatch";
import { RPC_ERRORS, RpcError } from "./errors";
import { Firmware } from "./firmware";
import { type Call, formatAnswer, methodName, parseCall, rpcKind } from "./framing";
import { compatKind, gen1CompatAnswer } from "./gen1-compat";
import { Kvs } from "./kvs";
import { Notifications } from "./notify";
import { Scripts } from "./scripts";

export class Gen2Protocol implements Protocol {
  readonly concurrency = 6;
  private readonly parts: Gen2Parts;
  /** Status changes and events, for WebSocket clients (sim/shelly/gen2/websocket.ts). */
  readonly notifications: Notifications;

  constructor(capture: Gen2Capture, host: DeviceHost, options: DeviceOptions) {
    const components = new Gen2Components(capture, host);
    const notifications = new Notifications(components, host.now);
    this.parts = {
      host,
      components,
      auth: new DigestAuth(components, host, options),
      apMode: new ApMode(components, host.apMode),
      firmware: new Firmware(components, host, notifications),
      schedules: schedules(components),
      webhooks: webhooks(components),
      kvs: new Kvs(components),
      scripts: new Scripts(components),
      capturedMethods: capture.methods,
      control: new Gen2Control(components, host),
    };
    this.notifications = notifications;
  }

  get ota() {
    return this.parts.firmware.ota;
  }

  get identity() {
    return this.parts.components.identity;
  }

  /** What a sleeping device sends and dials when it wakes (sim/shelly/sleep.ts). */
  wakeView(): { status: JsonObject; ws: JsonObject | undefined } {
    const { components } = this.parts;
    const ws = components.config.ws;
    return { status: components.statusDocument(), ws: isObject(ws) ? structuredClone(ws) : undefined };
  }

  classify(req: SimRequest): { kind: RequestKind; rpc?: string } {
    // A CORS preflight never runs the method it names.
    if (req.method === "OPTIONS") return { kind: "read" };
    const method = methodName(req);
    return method ? { kind: rpcKind(method), rpc: method } : { kind: compatKind(req) ?? "read" };
  }

  handle(req: SimRequest, context: { refuseWrites: boolean }): SimAnswer {
    const { kind, rpc } = this.classify(req);
    const base = { kind, ...(rpc ? { rpc } : {}) };
    const { components, auth } = this.parts;
    if (req.path === "/shelly") {
      return {
        ...base,
        status: 200,
        body: JSON.stringify(components.deviceInfo()),
        contentType: "application/json",
      };
    }
    if (req.method === "OPTIONS" && req.path.startsWith("/rpc")) return { ...base, ...preflight() };
    const compat = this.notifications.around(() => gen1CompatAnswer(this.parts, req, context));
    if (compat) return compat;
    let call: Call;
    try {
      call = parseCall(req);
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      // A protected device challenges before it reads the frame: curl --digest first sends an empty body.
      const refused = auth.enabled ? auth.authenticate(req, undefined) : undefined;
      if (refused) return { ...base, ...refused };
      const form = req.path === "/rpc" ? "frame" : "path";
      const answer = formatAnswer({ form, method: "", params: {} }, components.realm, null, err);
      return { ...base, ...answer, error: err.code };
    }
    if (auth.guards(call.method)) {
      const refused = auth.authenticate(req, call.auth);
      if (refused) return { ...base, ...refused };
    }
    let result: Json = null;
    let error: RpcError | undefined;
    let afterwards: SimAnswer["afterwards"];
    try {
      if (kind === "write" && context.refuseWrites) {
        throw new RpcError(RPC_ERRORS.failedPrecondition, "Writes are refused (simulated fault)");
      }
      ({ result, afterwards } = this.notifications.around(() => {
        this.parts.control.settle();
        return dispatch(this.parts, call.method, call.params);
      }));
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      error = err;
    }
    const answer = formatAnswer(call, components.realm, result, error);
    return {
      ...base,
      ...answer,
      ...(error ? { error: error.code } : {}),
      ...(afterwards ? { afterwards } : {}),
    };
  }

  onBoot(): void {
    this.parts.components.statusSys().restart_required = false;
    this.parts.firmware.ota.onBoot();
  }

  drift(patch: unknown): void {
    drift(this.parts.components, patch);
  }

  offerUpdate(update: { stable?: string; beta?: string }): void {
    this.parts.firmware.offer(update);
  }

  stationCredentials(): { ssid: string; password: string } {
    return this.parts.apMode.stationCredentials();
  }

  returnToApMode(): void {
    this.parts.apMode.returnToAp();
  }
}

/**
 * The answer to a CORS preflight (`OPTIONS /rpc…`): empty, with headers that let a browser page call
 * the device. API.md does not document CORS on Gen2+; the header set is a guess.
 */
function preflight(): Pick<SimAnswer, "status" | "body" | "contentType" | "headers"> {
  return {
    status: 204,
    body: "",
    contentType: "text/plain",
    headers: {
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": "*",
      "access-control-max-age": "86400",
    },
  };
}
