// Firmware updates (G2DOC-SHELLY): offers shown by Shelly.CheckForUpdate, Shelly.Update installing one at the next boot.
import { isObject, type Json, type JsonObject } from "../json";
import type { DeviceHost } from "../types";
import type { Gen2Components } from "./components";
import { RPC_ERRORS, RpcError } from "./errors";

/** `YYYYMMDD-HHMMSS`, the build-date prefix of fw ids. */
const firmwareDate = (now: number): string =>
  new Date(now).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);

export class Firmware {
  private pending: { stage: string; version: string } | undefined;

  constructor(
    private readonly components: Gen2Components,
    private readonly host: DeviceHost,
  ) {}

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

  /** Shelly.Update: the offered version of a stage (or of the first stage, given a url) installs on reboot. */
  update(params: JsonObject): { result: Json; afterwards: "reboot" } {
    const offers = this.checkForUpdate();
    const stage =
      typeof params.stage === "string"
        ? params.stage
        : params.url !== undefined
          ? Object.keys(offers)[0]
          : "stable";
    const offer = stage === undefined ? undefined : offers[stage];
    if (!isObject(offer))
      throw new RpcError(RPC_ERRORS.failedPrecondition, `No ${stage ?? ""} update available`);
    this.pending = { stage: stage as string, version: String(offer.version) };
    return { result: null, afterwards: "reboot" };
  }

  /** Back from a reboot: a pending update is now the installed firmware and no longer on offer. */
  install(): void {
    if (!this.pending) return;
    const { stage, version } = this.pending;
    this.pending = undefined;
    const fwId = `${firmwareDate(this.host.now())}/${version}-gsim`;
    const { info } = this.components;
    info.ver = version;
    info.fw_id = fwId;
    const device = this.components.configSys().device;
    if (isObject(device) && "fw_id" in device) device.fw_id = fwId;
    const available = this.components.statusSys().available_updates;
    if (isObject(available)) delete available[stage];
  }
}
