// Firmware updates (G2DOC-SHELLY): offers shown by Shelly.CheckForUpdate, Shelly.Update installing one at the next boot.
import { isObject, type Json, type JsonObject } from "../json";
import { fetchImage, Ota } from "../ota";
import type { DeviceHost } from "../types";
import type { Gen2Components } from "./components";
import { RPC_ERRORS, RpcError } from "./errors";
import type { Notifications } from "./notify";

/** `YYYYMMDD-HHMMSS`, the build-date prefix of fw ids. */
const firmwareDate = (now: number): string =>
  new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);

export class Firmware {
  readonly ota: Ota;

  constructor(
    private readonly components: Gen2Components,
    private readonly host: DeviceHost,
    private readonly events: Notifications,
  ) {
    this.ota = new Ota(host);
    this.ota.attach({
      began: () => this.event("ota_begin", { msg: "Waiting for data" }),
      progress: (percent) => this.event("ota_progress", { msg: "Downloading", progress_percent: percent }),
      failed: (_target, reason) => this.event("ota_error", { msg: reason }),
      installed: (version) => this.install(version),
    });
  }

  /** Makes an update available: `sys.available_updates` in Shelly.GetStatus. */
  offer(update: { stable?: string; beta?: string }): void {
    const sys = this.components.statusSys();
    const available = isObject(sys.available_updates) ? sys.available_updates : {};
    if (update.stable !== undefined) available.stable = { version: update.stable };
    if (update.beta !== undefined) available.beta = { version: update.beta };
    sys.available_updates = available;
  }

  /** Shelly.CheckForUpdate: the offers, each with a synthesized build id. */
  checkForUpdate(): JsonObject {
    const available = this.components.statusSys().available_updates;
    const result: JsonObject = {};
    if (!isObject(available)) return result;
    for (const [stage, offer] of Object.entries(available)) {
      if (isObject(offer) && typeof offer.version === "string") {
        result[stage] = {
          version: offer.version,
          build_id: `${firmwareDate(this.host.now())}/${offer.version}-gsim`,
        };
      }
    }
    return result;
  }

  /**
   * Shelly.Update: `{stage}` installs that stage's offer, `{url}` the image at the URL. Answers at
   * once; the download runs on, then the device reboots into the image (sim/shelly/ota.ts).
   */
  update(params: JsonObject): { result: Json } {
    if (this.ota.busy) throw new RpcError(RPC_ERRORS.failedPrecondition, "Update already in progress");
    if (params.url !== undefined) {
      if (typeof params.url !== "string" || params.url === "")
        throw new RpcError(RPC_ERRORS.invalidArgument, "url must be a non-empty string");
      const url = params.url;
      const model = this.components.identity.model;
      this.ota.start(url, () => fetchImage(url, model));
      return { result: null };
    }
    const stage = typeof params.stage === "string" ? params.stage : "stable";
    const offer = this.checkForUpdate()[stage];
    if (!isObject(offer)) throw new RpcError(RPC_ERRORS.failedPrecondition, `No ${stage} update available`);
    this.ota.start(String(offer.version));
    return { result: null };
  }

  /** NotifyEvent from `sys` (G2DOC "Sys" events; the field set is a guess, sim/README.md). */
  private event(event: string, fields: JsonObject): void {
    this.events.event("sys", event, fields);
  }

  /** Back from the update's reboot: the new image runs, and is no longer on offer. */
  private install(version: string): void {
    const fwId = `${firmwareDate(this.host.now())}/${version}-gsim`;
    const { info } = this.components;
    info.ver = version;
    info.fw_id = fwId;
    const device = this.components.configSys().device;
    if (isObject(device) && "fw_id" in device) device.fw_id = fwId;
    const available = this.components.statusSys().available_updates;
    if (isObject(available)) {
      for (const [stage, offer] of Object.entries(available)) {
        if (isObject(offer) && offer.version === version) delete available[stage];
      }
    }
    this.event("ota_success", { msg: "Update applied, rebooting" });
  }
}
