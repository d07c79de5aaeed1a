// A simulated device is defined by a directory of captured responses (format: sim/README.md).
import * as fs from "node:fs";
import * as path from "node:path";
import { isObject, type JsonObject } from "./json";

export interface Gen1Capture {
  gen: 1;
  dir: string;
  shelly: JsonObject;
  settings: JsonObject;
  status: JsonObject;
}

export interface Gen2Capture {
  /** 2, 3 or 4: the `gen` field of the device info. */
  gen: number;
  dir: string;
  info: JsonObject;
  config: JsonObject;
  status: JsonObject;
  /** Shelly.ListMethods as captured; derived from the components when absent. */
  methods?: string[];
}

export type Capture = Gen1Capture | Gen2Capture;

export const isGen1 = (capture: Capture): capture is Gen1Capture => "shelly" in capture;

/** A capture directory or file that cannot be used; the message names the file. */
export class CaptureError extends Error {
  override readonly name = "CaptureError";
}

function readJsonObject(file: string): JsonObject {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new CaptureError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CaptureError(`${file}: malformed JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) throw new CaptureError(`${file}: expected a JSON object`);
  return value;
}

const exists = (file: string): boolean => fs.existsSync(file);

export function loadCapture(dir: string): Capture {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) throw new CaptureError(`${dir}: not a capture directory`);
  const file = (name: string) => path.join(dir, name);

  const infoFile = exists(file("shelly.json")) ? file("shelly.json") : file("Shelly.GetDeviceInfo.json");
  if (!exists(infoFile)) {
    throw new CaptureError(`${dir}: no shelly.json or Shelly.GetDeviceInfo.json in the capture directory`);
  }
  const info = readJsonObject(infoFile);

  if (typeof info.gen === "number" && info.gen >= 2) {
    for (const key of ["id", "mac"]) {
      if (typeof info[key] !== "string") throw new CaptureError(`${infoFile}: "${key}" must be a string`);
    }
    const capture: Gen2Capture = {
      gen: info.gen,
      dir,
      info,
      config: readJsonObject(file("Shelly.GetConfig.json")),
      status: readJsonObject(file("Shelly.GetStatus.json")),
    };
    if (exists(file("Shelly.ListMethods.json"))) {
      const methods = readJsonObject(file("Shelly.ListMethods.json")).methods;
      if (!Array.isArray(methods) || !methods.every((m) => typeof m === "string")) {
        throw new CaptureError(`${file("Shelly.ListMethods.json")}: "methods" must be an array of strings`);
      }
      capture.methods = methods as string[];
    }
    // Shelly.GetComponents.json is checked for syntax only: the answer is built from config and status.
    if (exists(file("Shelly.GetComponents.json"))) readJsonObject(file("Shelly.GetComponents.json"));
    return capture;
  }
  // Gen1 /shelly has no `gen`, but has `type` and `auth` (API.md section 1).
  if (typeof info.type === "string" && typeof info.auth === "boolean" && typeof info.mac === "string") {
    return {
      gen: 1,
      dir,
      shelly: info,
      settings: readJsonObject(file("settings.json")),
      status: readJsonObject(file("status.json")),
    };
  }
  throw new CaptureError(
    `${infoFile}: neither a Gen2+ device info ("gen" >= 2, "id", "mac") nor a Gen1 /shelly ("type", "mac", "auth")`,
  );
}

/**
 * Gives a capture another MAC: every occurrence of the old MAC (either case) and of its last three bytes
 * (Gen1 host names such as `shellyplug-s-DDEEFF`, names such as `[DDEEFF]`) is replaced, so ids,
 * host names and MQTT client ids follow. One pass, so a replacement is never replaced again.
 */
export function rewriteMac(text: string, oldMac: string, newMac: string): string {
  const oldUpper = oldMac.toUpperCase();
  const newUpper = newMac.toUpperCase();
  const table = new Map<string, string>([
    [oldUpper, newUpper],
    [oldUpper.toLowerCase(), newUpper.toLowerCase()],
    [oldUpper.slice(6), newUpper.slice(6)],
    [oldUpper.slice(6).toLowerCase(), newUpper.slice(6).toLowerCase()],
  ]);
  const pattern = new RegExp([...table.keys()].join("|"), "g");
  return text.replace(pattern, (match) => table.get(match) ?? match);
}

export function withMac<T extends Capture>(capture: T, mac: string): T {
  const oldMac = isGen1(capture) ? capture.shelly.mac : capture.info.mac;
  if (typeof oldMac !== "string" || oldMac.toUpperCase() === mac.toUpperCase())
    return structuredClone(capture);
  return JSON.parse(rewriteMac(JSON.stringify(capture), oldMac, mac)) as T;
}

export const MAC_PATTERN = /^[0-9A-Fa-f]{12}$/;
