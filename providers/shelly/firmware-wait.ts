// After an install request (`Shelly.Update`, `/ota`): waits for the device to download, reboot and
// answer again, then re-identifies it (same MAC) and confirms the new version. Bounded; every
// outcome other than "runs the new version" is a FirmwareUpdateError saying what was seen.
import { ShellyError } from "./client";

export interface FirmwareWaitOptions {
  /** The device's MAC: another one answering afterwards is a failure, not a success. */
  expectedMac: string;
  from: string;
  to: string;
  /** How long the download and reboot may take together (default 300 s). */
  timeoutMs?: number;
  /** Between two probes (default 500 ms). */
  pollMs?: number;
  /** A line now and then: what the device is doing, and for how long. */
  onProgress?: (line: string) => void;
  /** Every probe's own time limit (default 2 s). */
  probeTimeoutMs?: number;
}

/** What one unauthenticated probe (`GET /shelly`) shows: the MAC and the running version. */
export type VersionProbe = (timeoutMs: number) => Promise<{ mac: string; version: string | undefined }>;

export class FirmwareUpdateError extends Error {
  override readonly name = "FirmwareUpdateError";
  constructor(
    message: string,
    /** `old-version`: rebooted onto the old firmware; `not-installed`: never rebooted; `no-return`; `mac`. */
    readonly reason: "old-version" | "not-installed" | "no-return" | "mac",
  ) {
    super(message);
  }
}

export const DEFAULT_FIRMWARE_TIMEOUT_MS = 300_000;

/** Resolves with the time it took once the device runs `to`; rejects with FirmwareUpdateError. */
export async function waitForFirmware(
  probe: VersionProbe,
  options: FirmwareWaitOptions,
  now: () => number = Date.now,
): Promise<number> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FIRMWARE_TIMEOUT_MS;
  const started = now();
  const seconds = () => `${((now() - started) / 1000).toFixed(0)} s`;
  let wentDown = false;
  let lastSaid = "";
  const say = (line: string) => {
    if (line === lastSaid) return;
    lastSaid = line;
    options.onProgress?.(line);
  };
  say(`installing ${options.to} (runs ${options.from}): downloading`);
  for (;;) {
    try {
      const seen = await probe(options.probeTimeoutMs ?? 2_000);
      if (seen.mac !== options.expectedMac) {
        throw new FirmwareUpdateError(
          `after the update, the device at this address reports MAC ${seen.mac}, not ${options.expectedMac}`,
          "mac",
        );
      }
      if (seen.version === options.to) {
        say(`runs ${options.to} after ${seconds()}`);
        return now() - started;
      }
      if (wentDown) {
        throw new FirmwareUpdateError(
          `rebooted but still runs ${seen.version ?? "an unknown version"}, not ${options.to} (the new image did not boot)`,
          "old-version",
        );
      }
    } catch (err) {
      if (err instanceof FirmwareUpdateError) throw err;
      if (!(err instanceof ShellyError)) throw err;
      if (!wentDown) say(`rebooting into ${options.to} (${seconds()})`);
      wentDown = true;
    }
    if (now() - started > timeoutMs) {
      const limit = `${Math.round(timeoutMs / 1000)} s`;
      throw wentDown
        ? new FirmwareUpdateError(`did not come back within ${limit} of the update`, "no-return")
        : new FirmwareUpdateError(
            `still runs ${options.from} after ${limit} without a reboot: the download or the image failed`,
            "not-installed",
          );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}
