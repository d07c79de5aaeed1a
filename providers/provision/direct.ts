// The direct link: the AP address is reachable already (a laptop joined by hand, or the simulator).
import { probe, ShellyError } from "../shelly/client";
import { hostOf } from "../shelly/session";
import { type AccessPointTarget, sleep, type WifiLink } from "./link";

export class DirectLink implements WifiLink {
  readonly description = "direct";

  /** Waits until something answers GET /shelly at the AP address; identify checks what it is. */
  async findAccessPoint(target: AccessPointTarget, signal: AbortSignal): Promise<undefined> {
    while (!signal.aborted) {
      try {
        await probe(hostOf(target.address), { timeoutMs: 2_000, readRetries: 0 });
        return undefined;
      } catch (err) {
        if (!(err instanceof ShellyError)) throw err;
        await sleep(250, signal);
      }
    }
    return undefined;
  }

  async joinAccessPoint(): Promise<void> {}

  async leaveAccessPoint(): Promise<void> {}
}
