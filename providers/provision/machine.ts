// The provisioning state machine: find the AP, join it, identify the device (MAC), write the
// pre-network settings, write the station WiFi last (on Gen1 it cuts the AP at once), leave,
// verify the device on the target network, harden it. Each step has its own time limit; a
// failure leaves the device in AP mode or on the network, and the error says which and what to do.
import { randomBytes } from "node:crypto";
import { probe, ShellyConnectionError, ShellyError, ShellyTimeoutError } from "../shelly/client";
import type { DeviceConfig } from "../shelly/model/catalog";
import { applyDevice, ShellyApplyError, ShellyPlanError } from "../shelly/plan/executor";
import type { DeviceRequest } from "../shelly/plan/types";
import { hostOf, openSession, type ShellySession } from "../shelly/session";
import {
  DEFAULT_TIMEOUTS_MS,
  type DeviceLeft,
  type ProgressListener,
  ProvisionError,
  type ProvisionJob,
  type ProvisionOutcome,
  type StepName,
  type StepTiming,
} from "./job";
import { isDeviceSsid, sleep, type WifiLink } from "./link";

class StepTimeout extends Error {}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The password a device with `desired` auth has once configured: undefined when auth stays off. */
function authPassword(job: ProvisionJob): string | undefined {
  const ref = job.preNetwork.auth?.password;
  if (job.preNetwork.auth?.enabled === false || !ref) return undefined;
  return job.secrets[ref.secret];
}

/** Answers with this MAC at `address` within one short probe; undefined when nothing answers. */
async function macAt(address: string): Promise<string | undefined> {
  return (await answerAt(address)).mac;
}

/** What answered at `address`: a device's MAC, or why nothing did (the evidence errors quote). */
async function answerAt(address: string): Promise<{ mac?: string; error?: string }> {
  try {
    return { mac: (await probe(hostOf(address), { timeoutMs: 2_000, readRetries: 0 })).mac };
  } catch (err) {
    if (err instanceof ShellyError) return { error: err.message };
    throw err;
  }
}

/** What the station address showed while provisioning waited for the device there. */
interface StationEvidence {
  /** The last other device that answered there. */
  otherMac?: string;
  /** Why the last try got no answer. */
  lastError?: string;
}

/** Polls `address` until the device with `mac` answers there, noting what answered instead. */
async function waitForMac(
  address: string,
  mac: string,
  signal: AbortSignal,
  evidence: StationEvidence = {},
): Promise<void> {
  while (!signal.aborted) {
    const seen = await answerAt(address);
    if (seen.mac === mac) return;
    if (seen.mac !== undefined) evidence.otherMac = seen.mac;
    if (seen.error !== undefined) evidence.lastError = seen.error;
    await sleep(300, signal);
  }
}

export interface RunOptions {
  onProgress?: ProgressListener;
}

export async function runProvisioning(
  job: ProvisionJob,
  link: WifiLink,
  options: RunOptions = {},
): Promise<ProvisionOutcome> {
  const timings: StepTiming[] = [];
  const limit = (step: StepName) => job.timeoutsMs?.[step] ?? DEFAULT_TIMEOUTS_MS[step];
  const who = `${job.device} (MAC ${job.mac})`;

  /** Runs one step under its time limit; the step's loops stop when the signal aborts. */
  async function step<T>(name: StepName, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const started = Date.now();
    options.onProgress?.({ step: name, phase: "start" });
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new StepTimeout(`${name} took longer than ${limit(name) / 1000} s`));
      }, limit(name));
    });
    try {
      const result = await Promise.race([body(controller.signal), timeout]);
      timings.push({ step: name, ms: Date.now() - started });
      options.onProgress?.({ step: name, phase: "done" });
      return result;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  const fail = (name: StepName, left: DeviceLeft, text: string) =>
    new ProvisionError(`${who}: ${text}`, name, left);

  /** Leaves the AP without hiding the error that brought us here. */
  async function leaveQuietly(): Promise<void> {
    await step("leaveAp", (signal) => link.leaveAccessPoint(signal)).catch(() => undefined);
  }

  // A re-run after a failed harden, or an agent restarted mid-task: the device is on the network.
  if ((await macAt(job.stationAddress)) === job.mac) {
    const session = await openSession(job.stationAddress, {
      expectedMac: job.mac,
      password: authPassword(job) ?? job.loginPassword,
    });
    await harden(session);
    return outcome(session, undefined, true);
  }

  const apTarget = { mac: job.mac, ssid: job.apSsid, address: job.apAddress };
  const apSsid = await step("findAp", (signal) => link.findAccessPoint(apTarget, signal)).catch((err) => {
    throw fail(
      "findAp",
      "untouched",
      err instanceof StepTimeout
        ? `no access point ${job.apSsid ?? `ending in ${job.mac}`} found through ${link.description} within ${limit("findAp") / 1000} s: is the device powered and in AP mode (factory-new, or reset by holding its button 10 s)? Then run up again`
        : `looking for its access point through ${link.description} failed: ${message(err)}`,
    );
  });
  if (apSsid !== undefined && !isDeviceSsid(apSsid, apTarget)) {
    throw fail(
      "findAp",
      "untouched",
      `the access point found, "${apSsid}", is not this device's: nothing written`,
    );
  }
  await step("joinAp", (signal) => link.joinAccessPoint(apSsid, signal)).catch(async (err) => {
    await leaveQuietly();
    throw fail(
      "joinAp",
      "untouched",
      `joining its access point ${apSsid ?? job.apAddress} failed: ${message(err)}; run up again`,
    );
  });

  let session: ShellySession;
  try {
    session = await step("identify", async () => {
      const found = await probe(hostOf(job.apAddress), { timeoutMs: 5_000 });
      if (found.mac !== job.mac) {
        throw new ProvisionError(
          `${who}: the device at its access point ${apSsid ?? job.apAddress} has MAC ${found.mac}: nothing written. Check the mac in the device file, or switch off other new devices nearby, then run up again`,
          "identify",
          "untouched",
        );
      }
      return openSession(job.apAddress, {
        expectedMac: job.mac,
        password: job.loginPassword ?? authPassword(job),
        passwordAfterAuthChange: authPassword(job) ?? null,
      });
    });
  } catch (err) {
    await leaveQuietly();
    if (err instanceof ProvisionError) throw err;
    throw fail(
      "identify",
      "untouched",
      `identifying the device at ${job.apAddress} failed: ${message(err)}; nothing written`,
    );
  }

  try {
    await step("configure", async () => {
      await applyDevice(
        {
          device: job.device,
          desired: job.preNetwork,
          secrets: job.secrets,
          secretHashes: {},
          salt: randomBytes(12).toString("base64url"),
        },
        session,
        { expectedMac: job.mac },
      );
    });
  } catch (err) {
    await leaveQuietly();
    const detail = err instanceof ShellyPlanError ? `cannot plan: ${err.errors.join("; ")}` : message(err);
    const rolled = err instanceof ShellyApplyError ? "" : " (its settings written so far were rolled back)";
    throw fail(
      "configure",
      "in AP mode",
      `writing its settings in AP mode failed${rolled}: ${detail}. It is still in AP mode; fix the cause and run up again`,
    );
  }

  try {
    await step("setStation", () => setStation(session));
  } catch (err) {
    await leaveQuietly();
    throw fail(
      "setStation",
      "in AP mode",
      `the device refused the WiFi settings for "${job.wifi.ssid}": ${message(err)}. It is still in AP mode; run up again`,
    );
  }

  await step("leaveAp", (signal) => link.leaveAccessPoint(signal)).catch((err) => {
    throw fail(
      "leaveAp",
      "unknown",
      `going back to the previous network through ${link.description} failed: ${message(err)}; reconnect this host by hand, then run up again`,
    );
  });

  const evidence: StationEvidence = {};
  try {
    await step("verify", (signal) => waitForMac(job.stationAddress, job.mac, signal, evidence));
  } catch (err) {
    const seen = evidence.otherMac
      ? ` (a device with MAC ${evidence.otherMac} answered there)`
      : evidence.lastError
        ? ` (the last try: ${evidence.lastError})`
        : "";
    await recover(err instanceof StepTimeout ? seen : ` (${message(err)})`);
  }

  const station = await openSession(job.stationAddress, {
    expectedMac: job.mac,
    password: authPassword(job) ?? job.loginPassword,
  });
  await harden(station);
  return outcome(station, apSsid, false);

  /** The station write: Gen1 answers and leaves at once; the answer may be lost (API.md section 5). */
  async function setStation(device: ShellySession): Promise<void> {
    const { ssid, password } = job.wifi;
    const request: DeviceRequest =
      device.generation === "gen1"
        ? { kind: "gen1", path: "/settings/sta", params: { enabled: true, ssid, key: password } }
        : {
            kind: "gen2",
            method: "WiFi.SetConfig",
            params: { config: { sta: { ssid, pass: password, enable: true } } },
          };
    try {
      await device.send(request);
    } catch (err) {
      // The radio switched networks before the answer got out: verify tells whether it worked.
      if (err instanceof ShellyConnectionError || err instanceof ShellyTimeoutError) return;
      throw err;
    }
  }

  /**
   * The device did not appear: get it back into AP mode with its station off, then fail. Whether
   * it came back to its access point tells the cause: a device the network refuses does; one that
   * joined (at another address than the file's) does not.
   */
  async function recover(seen: string): Promise<never> {
    const missing = `it did not appear at ${job.stationAddress} within ${limit("verify") / 1000} s${seen}`;
    try {
      await step("recover", async (signal) => {
        await link.joinAccessPoint(apSsid, signal);
        await waitForMac(job.apAddress, job.mac, signal);
        if (signal.aborted) return;
        const device = await openSession(job.apAddress, {
          expectedMac: job.mac,
          password: authPassword(job) ?? job.loginPassword,
        });
        // Station off so that the device stays in AP mode instead of retrying the bad network.
        const request: DeviceRequest =
          device.generation === "gen1"
            ? { kind: "gen1", path: "/settings/ap", params: { enabled: true } }
            : {
                kind: "gen2",
                method: "WiFi.SetConfig",
                params: { config: { sta: { enable: false }, ap: { enable: true } } },
              };
        await device.send(request);
      });
    } catch {
      await leaveQuietly();
      throw fail(
        "verify",
        "unknown",
        `${missing}, and not back at its access point within ${limit("recover") / 1000} s either. A device that "${job.wifi.ssid}" refuses comes back to its access point, so it probably joined at another address: look for MAC ${job.mac} in the DHCP server's leases and correct the file's address (or its reservation), then run up again. If it is on no network, power-cycle it; if its access point does not open again, factory-reset it (hold its button 10 s)`,
      );
    }
    await leaveQuietly();
    throw fail(
      "verify",
      "in AP mode",
      `${missing}, and came back to its access point: "${job.wifi.ssid}" refused it. The WiFi password (secret "${job.wifi.passwordSecret}") or the SSID is wrong, or the network is out of its range. Rolled back: the device is back in AP mode with its station WiFi off. Fix the WiFi settings (wifi_ssid, or the secret's value) and run up again`,
    );
  }

  /** AP off and BLE RPC off (unless the file keeps them), over the target network. */
  async function harden(device: ShellySession): Promise<void> {
    const desired: DeviceConfig = {};
    if (!job.keepAp) desired.wifi = { ap: { enabled: false } };
    if (!job.keepBleRpc && device.generation === "gen2" && (await hasBle(device)))
      desired.ble = { rpc: false };
    try {
      await step("harden", () =>
        applyDevice({ device: job.device, desired, secrets: {}, secretHashes: {}, salt: "harden" }, device, {
          expectedMac: job.mac,
        }),
      );
    } catch (err) {
      throw fail(
        "harden",
        "on the network",
        `it is on "${job.wifi.ssid}" at ${job.stationAddress}, but switching off its access point and BLE RPC failed: ${message(err)}. Run up again: provisioning then only hardens it`,
      );
    }
  }

  function outcome(
    device: ShellySession,
    ssid: string | undefined,
    alreadyOnNetwork: boolean,
  ): ProvisionOutcome {
    return {
      generation: device.generation,
      model: device.model,
      firmware: device.firmware,
      ...(ssid !== undefined && { apSsid: ssid }),
      steps: timings,
      alreadyOnNetwork,
    };
  }
}

async function hasBle(device: ShellySession): Promise<boolean> {
  const documents = await device.readDocuments();
  return documents.generation === "gen2" && typeof documents.config.ble === "object";
}
