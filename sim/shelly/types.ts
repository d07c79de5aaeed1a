// What a device server and its protocol models share: the request and answer shapes, the options, the
// host interface a model may call, and the default password. Its own module so that device.ts (which
// builds the models) and the models (which implement Protocol) do not import each other.
import type * as http from "node:http";
import type { AuthMode } from "./digest";
import type { FaultSpec } from "./faults";
import type { JsonObject } from "./json";
import type { Ota } from "./ota";
import type { RequestKind } from "./request-log";

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The query string as sent, without `?` (Gen2+ GET /rpc reads its values as raw JSON). */
  rawQuery: string;
  /** The path and query as sent (the digest `uri`). */
  url: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export interface SimAnswer {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
  kind: RequestKind;
  rpc?: string;
  error?: number;
  /** What the device does once the answer is out. */
  afterwards?: "reboot" | "joinStation";
}

export interface DeviceIdentity {
  id: string;
  mac: string;
  model: string;
  gen: number;
}

/** What a protocol model may ask of the device around it. */
export interface DeviceHost {
  now(): number;
  uptimeSeconds(): number;
  /** Reboots after `delayMs`: unreachable for the reboot time, then `onBoot`. */
  reboot(delayMs: number): void;
  /** Goes down and stays down (a bricked update) until the control API reboots it. */
  halt(): void;
  /** Runs `action` after `delayMs` on the device's timers (cancelled when the device closes). */
  later(delayMs: number, action: () => void): void;
  readonly apMode: boolean;
}

export interface Protocol {
  readonly identity: DeviceIdentity;
  /** Requests served at once; more wait their turn (sim/README.md, "Concurrency"). */
  readonly concurrency: number;
  classify(req: SimRequest): { kind: RequestKind; rpc?: string };
  handle(req: SimRequest, context: { refuseWrites: boolean }): SimAnswer;
  /** Back from a reboot: pending changes (firmware, restart_required) take effect. */
  onBoot(): void;
  /** An out-of-band change (drift): a partial document merged into the configuration. */
  drift(patch: unknown): void;
  /** The station network and key last written (the key is write-only on the wire). */
  stationCredentials(): { ssid: string; password: string };
  /** The station join failed: AP on again, station settings kept, not connected. */
  returnToApMode(): void;
  /** Makes a firmware update available (what CheckForUpdate / /ota report). */
  offerUpdate(update: { stable?: string; beta?: string }): void;
  /** How the next updates go (download time, failure) and how the last one went (sim/shelly/ota.ts). */
  readonly ota: Ota;
  /** Gen2+: NotifyStatus / NotifyEvent as they happen (served over WebSocket); Gen1 has none. */
  readonly notifications?: NotificationSource;
}

export interface NotificationSource {
  on(event: "notify", listener: (method: string, params: JsonObject) => void): unknown;
}

export interface DeviceOptions {
  /** A 127.x address (default 127.0.0.1). */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Another MAC for this copy of the capture; ids and host names follow. */
  mac?: string;
  /** Turns auth on with this password (Gen1: HTTP Basic with the capture's login user; Gen2+: digest). */
  password?: string;
  nonceLifetimeMs?: number;
  /** "fw2" or "legacy" login behaviour; default: from the captured firmware version (>= 2.0.0 is fw2). */
  authMode?: AuthMode;
  /** Failed logins in 10 minutes before a fw2 device answers 429 instead of 401 (default 10). */
  authFailureLimit?: number;
  /** How long a throttled fw2 device keeps answering 429 after the latest failure (default 10 s, a guess). */
  authLockoutMs?: number;
  faults?: FaultSpec;
  /** How long a reboot keeps the device unreachable (default 2000 ms). */
  rebootMs?: number;
  /**
   * Start unprovisioned: AP on, station off, answering at this address until WiFi is configured.
   * `network`: the only station network that exists; other credentials never connect, and the
   * device answers at its AP address again after `fallbackMs` (default 5000).
   */
  apMode?: {
    host: string;
    port?: number;
    dropResponse?: boolean;
    network?: { ssid: string; password: string };
    fallbackMs?: number;
  };
  /** The device's clock (default Date.now); affects nonces and the time fields. */
  now?: () => number;
  /**
   * The DHCP server the device asks for its address at each boot (e.g. OpnsenseSim.leaseFor): an
   * address for its MAC moves it there, on the same port; undefined keeps the address it has.
   */
  lease?: (mac: string) => string | undefined;
  /**
   * A battery device that sleeps (Gen2+ only, sim/README.md "Sleeping devices"): HTTP does not
   * answer while asleep; a wake connects to the configured outbound WebSocket server and stays
   * awake `awakeMs` (default 10 000).
   */
  sleeping?: { awakeMs?: number };
}

/** A password for captures that have auth on when the caller gives none (sim/README.md). */
export const DEFAULT_PASSWORD = "shelly-sim";
