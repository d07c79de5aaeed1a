// Over-the-air updates as both generations run them (API.md 6): the device downloads the image while
// it keeps answering, then reboots into it. How the next updates go (download time, a failure) is
// chosen through the control API (`PUT /devices/<id>/ota`); every guess is listed in sim/README.md.

/**
 * - `bad-image`: the download completes, the device refuses the image and stays up on its old firmware;
 * - `interrupted`: the download stops halfway, the device stays up on its old firmware;
 * - `old-version`: the device reboots and comes back on its old firmware (the new image did not boot);
 * - `no-return`: the device reboots and does not come back until the control API reboots it.
 */
export const OTA_FAILURES = ["bad-image", "interrupted", "old-version", "no-return"] as const;
export type OtaFailure = (typeof OTA_FAILURES)[number];

export interface OtaBehaviour {
  /** How long the download takes (default 1000 ms). */
  downloadMs: number;
  /** Every update fails this way until cleared (null or absent: updates succeed). */
  failure?: OtaFailure;
}

export interface OtaState {
  phase: "idle" | "downloading" | "rebooting";
  /** The version being installed. */
  target?: string;
  /** How the last update ended. */
  last?: { target: string; outcome: "installed" | OtaFailure };
  /** Updates started since the device started. */
  started: number;
}

/** What a generation's model does at each point of an update. */
export interface OtaHooks {
  began(target: string): void;
  progress(percent: number): void;
  /** The device stays up on its old firmware. */
  failed(target: string, reason: string): void;
  /** After the reboot, the new image runs. */
  installed(target: string): void;
}

/** What an update needs of the device around it (DeviceHost has these). */
export interface OtaHost {
  reboot(delayMs: number): void;
  halt(): void;
  later(delayMs: number, action: () => void): void;
}

export class Ota {
  behaviour: OtaBehaviour = { downloadMs: 1000 };
  private readonly current: OtaState = { phase: "idle", started: 0 };
  /** The image to boot into at the next boot, when the update succeeded. */
  private bootInto: string | undefined;
  private hooks: OtaHooks | undefined;

  constructor(private readonly host: OtaHost) {}

  /** The generation's model attaches its hooks once. */
  attach(hooks: OtaHooks): void {
    this.hooks = hooks;
  }

  get state(): OtaState {
    return structuredClone(this.current);
  }

  get busy(): boolean {
    return this.current.phase !== "idle";
  }

  /**
   * Starts installing `target`: resolves the image first when `image` is given (a URL download that
   * may fail). False when an update is already running.
   */
  start(target: string, image?: () => Promise<string>): boolean {
    if (this.busy) return false;
    const { downloadMs, failure } = this.behaviour;
    this.current.phase = "downloading";
    this.current.target = target;
    this.current.started++;
    this.hooks?.began(target);
    const half = Math.floor(downloadMs / 2);
    this.host.later(half, () => {
      if (failure === "interrupted") {
        this.fail(target, "interrupted", "download interrupted");
        return;
      }
      this.hooks?.progress(50);
      this.host.later(downloadMs - half, () => {
        const resolved = image ? image() : Promise.resolve(target);
        void resolved.then(
          (version) => this.downloaded(version, failure),
          (err: unknown) => this.fail(target, "bad-image", (err as Error).message),
        );
      });
    });
    return true;
  }

  private downloaded(version: string, failure: OtaFailure | undefined): void {
    this.current.target = version;
    if (failure === "bad-image") {
      this.fail(version, failure, "image refused: bad signature");
      return;
    }
    this.hooks?.progress(100);
    this.current.phase = "rebooting";
    if (failure === "no-return") {
      this.finish(version, failure);
      this.host.halt();
      return;
    }
    this.bootInto = failure === "old-version" ? undefined : version;
    if (failure === "old-version") this.finish(version, failure);
    this.host.reboot(0);
  }

  private fail(target: string, outcome: OtaFailure, reason: string): void {
    this.finish(target, outcome);
    this.hooks?.failed(target, reason);
  }

  private finish(target: string, outcome: "installed" | OtaFailure): void {
    this.current.phase = "idle";
    this.current.target = undefined;
    this.current.last = { target, outcome };
  }

  /** Back from a reboot: the new image runs when the update succeeded. */
  onBoot(): void {
    if (this.current.phase === "rebooting" && this.current.target !== undefined)
      this.finish(this.current.target, "installed");
    const version = this.bootInto;
    this.bootInto = undefined;
    if (version !== undefined) this.hooks?.installed(version);
  }
}

/** The control API's body for `PUT /devices/<id>/ota`: `{downloadMs?, failure?}`; throws on anything else. */
export function parseOtaBehaviour(body: unknown, current: OtaBehaviour): OtaBehaviour {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new Error("the ota behaviour is a JSON object: {downloadMs?, failure?}");
  const { downloadMs, failure, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new Error(`unknown ota setting(s): ${unknown.join(", ")}`);
  if (downloadMs !== undefined && (typeof downloadMs !== "number" || !(downloadMs >= 0)))
    throw new Error("downloadMs must be a number of milliseconds, 0 or more");
  if (failure !== undefined && failure !== null && !OTA_FAILURES.includes(failure as OtaFailure))
    throw new Error(`failure must be one of ${OTA_FAILURES.join(", ")} (or null)`);
  const next: OtaBehaviour = { downloadMs: (downloadMs as number | undefined) ?? current.downloadMs };
  const chosen = failure === undefined ? current.failure : (failure as OtaFailure | null);
  if (chosen) next.failure = chosen;
  return next;
}

/** The first line of a simulated firmware image: `shelly-sim-firmware <model> <version>` (a guess at nothing real). */
const IMAGE_LINE = /^shelly-sim-firmware (\S+) (\d+\.\d+\.\d+\S*)\s*$/m;

/**
 * Downloads an image from `url` (loopback only: the simulator sends nothing anywhere else) and
 * returns the version it holds; rejects, as a refused image, when it is not one for `model`.
 */
export async function fetchImage(url: string, model: string): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`image refused: ${url} is not a URL`);
  }
  if (parsed.protocol !== "http:" || !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(parsed.hostname))
    throw new Error(`download refused: ${parsed.host} is not a 127.x loopback address`);
  const res = await fetch(parsed, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`download failed: HTTP ${res.status}`);
  const match = IMAGE_LINE.exec(await res.text());
  if (!match) throw new Error("image refused: not a firmware image");
  if (match[1] !== model) throw new Error(`image refused: built for ${match[1]}, not ${model}`);
  return match[2] as string;
}
