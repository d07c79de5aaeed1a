// The device captures the simulator ships (sim/devices/<name>/), as planner documents.
import * as fs from "node:fs";
import * as path from "node:path";
import type { DeviceDocuments } from "../../providers/shelly/model/normalize";
import { REPO_ROOT } from "./cli";

export const CAPTURES_DIR = process.env.TEST_CAPTURES_DIR ?? path.join(REPO_ROOT, "sim", "devices");

function readJson(dir: string, file: string): Record<string, unknown> | undefined {
  const full = path.join(dir, file);
  return fs.existsSync(full) ? JSON.parse(fs.readFileSync(full, "utf8")) : undefined;
}

export function loadCapture(name: string): DeviceDocuments {
  const dir = path.join(CAPTURES_DIR, name);
  const settings = readJson(dir, "settings.json");
  if (settings) {
    return { generation: "gen1", shelly: readJson(dir, "shelly.json") ?? {}, settings };
  }
  const config = readJson(dir, "Shelly.GetConfig.json");
  if (!config) throw new Error(`${dir}: neither settings.json nor Shelly.GetConfig.json`);
  const deviceInfo = readJson(dir, "Shelly.GetDeviceInfo.json") ?? readJson(dir, "shelly.json") ?? {};
  return { generation: "gen2", deviceInfo, config };
}

export function captureNames(): string[] {
  return fs
    .readdirSync(CAPTURES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}
