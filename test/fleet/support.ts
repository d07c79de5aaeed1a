// Tiny fleets written to a temporary directory, for tests that vary their input.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];

afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` (path relative to the fleet root → text) and returns the root. */
export function writeFleet(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-test-"));
  made.push(root);
  for (const [relative, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), text);
  }
  return root;
}

/** A device file's required lines, for tests about everything else. */
export const DEVICE_HEAD = 'mac = "AABBCCDDEE01"\naddress = "10.0.20.10"\n';
