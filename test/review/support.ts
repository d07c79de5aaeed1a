// Shared by the review tests: where the captured preview documents live.
import * as fs from "node:fs";
import * as path from "node:path";
import type { PreviewDigest } from "../../review/preview-json";

export const FIXTURES_DIR = path.join(__dirname, "fixtures");
/** Stands in for the capture's scratch fleet directory in the fixtures. */
export const FIXTURE_FLEET_ROOT = "/srv/shelly-fleet";

export function fixturePath(name: string): string {
  return path.join(FIXTURES_DIR, `${name}.json`);
}

export function loadFixture(name: string): PreviewDigest {
  return JSON.parse(fs.readFileSync(fixturePath(name), "utf8")) as PreviewDigest;
}
